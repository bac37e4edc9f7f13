#include "line_rate_uart.h"

#include <time.h>

namespace mos::sim {

LineRateUart::LineRateUart(PtyUart& pty, uint32_t baud) : pty_(pty), baud_(baud) {
  rx_last_us_ = tx_last_us_ = now_us();
}

Status LineRateUart::set_baud(uint32_t baud) {
  if (baud < 300 || baud > kMaxBaud) return Status::kInvalidArg;
  baud_ = baud;
  return Status::kOk;
}

uint64_t LineRateUart::now_us() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000u + static_cast<uint64_t>(ts.tv_nsec) / 1000u;
}

// 8N1: a start bit, 8 data bits and a stop bit per byte.
double LineRateUart::refill(double tokens, uint64_t* last_us) const {
  uint64_t now = now_us();
  double bytes_per_us = baud_ / 10.0 / 1e6;
  tokens += static_cast<double>(now - *last_us) * bytes_per_us;
  *last_us = now;
  return tokens > kBurstBytes ? kBurstBytes : tokens;
}

int32_t LineRateUart::write(ConstByteSpan data) {
  size_t done = 0;
  while (done < data.size()) {
    tx_tokens_ = refill(tx_tokens_, &tx_last_us_);
    if (tx_tokens_ < 1.0) {
      // Sleep until the next few bytes have been shifted out.
      double bytes_per_us = baud_ / 10.0 / 1e6;
      size_t want = data.size() - done < 64 ? data.size() - done : 64;
      auto us = static_cast<long>((static_cast<double>(want) - tx_tokens_) / bytes_per_us);
      timespec ts{us / 1000000, (us % 1000000) * 1000};
      nanosleep(&ts, nullptr);
      continue;
    }
    size_t n = static_cast<size_t>(tx_tokens_);
    if (n > data.size() - done) n = data.size() - done;
    int32_t w = pty_.write(ConstByteSpan(data.data() + done, n));
    if (w < 0) return w;
    // The pty drops output nobody reads; the line still spent the time.
    tx_tokens_ -= static_cast<double>(n);
    done += n;
  }
  return static_cast<int32_t>(done);
}

int32_t LineRateUart::read(ByteSpan out) {
  rx_tokens_ = refill(rx_tokens_, &rx_last_us_);
  size_t allowed = static_cast<size_t>(rx_tokens_);
  size_t n = out.size() < allowed ? out.size() : allowed;
  rx_limited_ = n < out.size();
  if (n == 0) return 0;
  int32_t r = pty_.read(ByteSpan(out.data(), n));
  if (r > 0) rx_tokens_ -= r;
  // Nothing waiting: the line is idle, not the limit.
  if (r < static_cast<int32_t>(n)) rx_limited_ = false;
  return r;
}

uint32_t LineRateUart::rx_wait_ms() const {
  if (!rx_limited_) return 0;
  double bytes_per_ms = baud_ / 10.0 / 1e3;
  double need = 64.0 - rx_tokens_;
  if (need <= 0) return 0;
  auto ms = static_cast<uint32_t>(need / bytes_per_ms) + 1;
  return ms;
}

}  // namespace mos::sim

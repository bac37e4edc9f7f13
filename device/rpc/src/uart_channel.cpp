#include <cstring>

#include "mos/rpc_uart.h"

namespace mos::rpc {

bool UartChannel::enqueue(std::string_view a, std::string_view b) {
  const size_t need = a.size() + b.size();
  if (need > sizeof(tx_) - tx_len_) flush();  // make room if the UART takes bytes now
  if (need > sizeof(tx_) - tx_len_) return false;
  if (!a.empty()) std::memcpy(tx_ + tx_len_, a.data(), a.size());
  if (!b.empty()) std::memcpy(tx_ + tx_len_ + a.size(), b.data(), b.size());
  tx_len_ += need;
  return true;
}

void UartChannel::flush() {
  if (in_flush_) return;
  in_flush_ = true;
  // Bounded: a UART that keeps accepting a few bytes cannot trap us here.
  for (int i = 0; i < 64 && tx_len_ > 0; ++i) {
    int32_t n = uart_.write(ConstByteSpan(reinterpret_cast<const uint8_t*>(tx_), tx_len_));
    // 0 = would block, < 0 = failed: keep the bytes and retry on the next
    // poll (no logging here: the log goes through this very queue).
    if (n <= 0) break;
    size_t sent = static_cast<size_t>(n) < tx_len_ ? static_cast<size_t>(n) : tx_len_;
    std::memmove(tx_, tx_ + sent, tx_len_ - sent);
    tx_len_ -= sent;
  }
  in_flush_ = false;
}

Status UartChannel::send_frame(std::string_view json, bool with_crc) {
  const size_t need = encoded_size(json, with_crc);
  if (need > sizeof(tx_) - tx_len_) flush();
  if (need > sizeof(tx_) - tx_len_) return Status::kNoSpace;
  size_t len = 0;
  Status s = encode_line(json, with_crc, Span<char>(tx_ + tx_len_, sizeof(tx_) - tx_len_), &len);
  if (s != Status::kOk) return s;
  tx_len_ += len;
  flush();
  return Status::kOk;
}

void UartChannel::write_log_line(std::string_view line) {
  if (!enqueue(line, "\n")) {
    ++stats_.log_dropped;
    return;
  }
  flush();
}

bool UartChannel::write_raw(std::string_view text) {
  if (!enqueue(text)) {
    ++stats_.log_dropped;
    return false;
  }
  flush();
  return true;
}

int32_t UartChannel::SharedTx::write(ConstByteSpan data) {
  if (data.size() > INT32_MAX) return Transport::kError;
  return ch_.write_raw(as_string(data)) ? static_cast<int32_t>(data.size()) : 0;
}

void UartChannel::log_sink(LogLevel level, std::string_view line, void* ctx) {
  auto* self = static_cast<UartChannel*>(ctx);
  // "W rpc: ..." like the console of the seed's firmware: level, then text.
  char prefix[3] = {to_string(level)[0], ' ', '\0'};
  if (!self->enqueue(std::string_view(prefix, 2), line) || !self->enqueue("\n")) {
    ++self->stats_.log_dropped;
    return;
  }
  self->flush();
}

void UartChannel::handle_line(std::string_view line) {
  DecodedLine d = decode_line(line);
  switch (d.kind) {
    case LineKind::kFrame:
      ++stats_.frames_in;
      dispatcher_.handle_frame(*this, d.json, d.had_crc);
      break;
    case LineKind::kHandshake:
      ++stats_.handshakes;
      (void)enqueue(kHandshakeReply);
      break;
    case LineKind::kEmpty:
      break;
    case LineKind::kBadCrc:
      ++stats_.bad_crc;
      MOS_LOGW("rpc: %s: frame dropped: CRC %08lx in the frame, %08lx computed; resend it", info_,
               static_cast<unsigned long>(d.crc_expected), static_cast<unsigned long>(d.crc_actual));
      break;
    case LineKind::kBadMeta:
      ++stats_.bad_meta;
      MOS_LOGW("rpc: %s: frame dropped: expected a JSON object then 8 hex digits of CRC32",
               info_);
      break;
    case LineKind::kNotFrame:
      ++stats_.console_lines;
      if (console_ != nullptr) {
        console_(line, console_ctx_);
      } else {
        log_input(line);
      }
      break;
  }
}

// The default for console input: show it arrived. Blank lines (Enter alone,
// the newline a host sends before each frame) are not worth a log line;
// control bytes are shown as '.' so line noise cannot drive the terminal.
void UartChannel::log_input(std::string_view line) {
  char shown[80];
  size_t n = 0;
  bool blank = true;
  for (char c : line) {
    if (n == sizeof(shown)) break;
    const auto u = static_cast<unsigned char>(c);
    if (c != ' ' && c != '\t' && c != '\r') blank = false;
    shown[n++] = u >= 0x20 && u < 0x7f ? c : '.';
  }
  if (blank) return;
  MOS_LOGI("%s input: %.*s%s", info_, static_cast<int>(n), shown, n < line.size() ? "..." : "");
}

void UartChannel::poll(uint64_t /*now_ms*/) {
  uint8_t chunk[64];
  // Bounded per turn so a busy line cannot starve the other pollers.
  for (int round = 0; round < 64; ++round) {
    int32_t n = uart_.read(ByteSpan(chunk, sizeof(chunk)));
    if (n <= 0) break;
    ConstByteSpan in(chunk, static_cast<size_t>(n) < sizeof(chunk) ? static_cast<size_t>(n)
                                                                    : sizeof(chunk));
    while (!in.empty()) {
      std::string_view line;
      bool has_line = false;
      size_t used = rx_.feed(in, &line, &has_line);
      in = in.subspan(used);
      if (rx_.oversize_dropped() != stats_.oversize) {
        stats_.oversize = rx_.oversize_dropped();
        MOS_LOGW("rpc: %s: line longer than %u bytes discarded", info_,
                 static_cast<unsigned>(MOS_RPC_MAX_FRAME));
      }
      if (has_line) handle_line(line);
    }
  }
  flush();
}

}  // namespace mos::rpc

// The one fake SerialLine for the flasher's tests: virtual time (sleeps and
// read timeouts advance it), a record of every DTR/RTS change, and an
// optional virtual chip behind it (SimChip: the RomLoader on a RAM flash,
// reset into download mode by the same DTR/RTS wiring as a NodeMCU).
#pragma once
#include <deque>
#include <functional>
#include <memory>
#include <vector>

#include "mos/espflash/serial_line.h"
#include "mos/sim/rom_loader.h"

namespace mos::espflash::test {

class FakeLine : public SerialLine {
 public:
  struct LineEvent {
    uint64_t t_ms;
    bool dtr, rts;
  };
  std::vector<LineEvent> events;
  std::vector<uint32_t> bauds;
  uint64_t now_ms = 0;
  bool lines_ok = true;  // false: behaves like a pty (no modem lines)
  std::deque<uint8_t> rx;
  std::function<void(const uint8_t*, size_t)> on_write;
  std::function<void(bool dtr, bool rts)> on_lines;

  void advance(std::chrono::milliseconds ms) { now_ms += static_cast<uint64_t>(ms.count()); }
  void push_rx(const uint8_t* p, size_t n) { rx.insert(rx.end(), p, p + n); }

  void write(const uint8_t* data, size_t n) override {
    if (on_write) on_write(data, n);
  }
  size_t read(uint8_t* out, size_t max, std::chrono::milliseconds timeout) override {
    if (rx.empty()) {
      advance(timeout);
      return 0;
    }
    size_t n = 0;
    while (n < max && !rx.empty()) {
      out[n++] = rx.front();
      rx.pop_front();
    }
    return n;
  }
  void set_baud(uint32_t baud) override { bauds.push_back(baud); }
  bool set_dtr_rts(bool dtr, bool rts) override {
    if (!lines_ok) return false;
    events.push_back({now_ms, dtr, rts});
    if (on_lines) on_lines(dtr, rts);
    return true;
  }
  void flush_input() override { rx.clear(); }
  std::string name() const override { return "/dev/fake0"; }
};

// RTS asserted holds EN low (reset); releasing it with DTR asserted (GPIO0
// low) starts the ROM loader, without DTR the firmware boots.
class SimChip : public sim::RomLoaderHost {
 public:
  SimChip(FakeLine& line, Flash& flash, bool start_in_download_mode = false) : line_(line), flash_(flash) {
    line.on_write = [this](const uint8_t* p, size_t n) {
      if (loader && !loader->exited()) loader->feed(ConstByteSpan(p, n));
    };
    line.on_lines = [this](bool dtr, bool rts) {
      if (rts) {
        loader.reset();
        in_reset_ = true;
      } else if (in_reset_) {
        in_reset_ = false;
        if (dtr) {
          loader = std::make_unique<sim::RomLoader>(flash_, *this);
        } else {
          ++boots;
        }
      }
    };
    if (start_in_download_mode) loader = std::make_unique<sim::RomLoader>(flash_, *this);
  }
  void send(ConstByteSpan b) override { line_.push_rx(b.data(), b.size()); }
  void set_baud(uint32_t baud) override { bauds.push_back(baud); }
  void run_user_code() override { ++boots; }

  std::unique_ptr<sim::RomLoader> loader;
  int boots = 0;
  std::vector<uint32_t> bauds;

 private:
  FakeLine& line_;
  Flash& flash_;
  bool in_reset_ = false;
};

}  // namespace mos::espflash::test

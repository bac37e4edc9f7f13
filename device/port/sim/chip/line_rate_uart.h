// UART0 at its emulated baud rate: bytes cross the line no faster than a
// real 8N1 line carries them (baud / 10 bytes per second), in both
// directions, so flashing and RPC take as long as on a real board. Below it
// sits the pseudo-terminal (PtyUart), which has no speed of its own.
//
// Receive: the bytes a line delivered since the last read, up to a FIFO's
// worth saved while idle; what the host wrote beyond that waits in the pty.
// Transmit: write() sleeps as the shift register would (the chip's driver
// is blocking), so output never outruns the line.
#pragma once
#include <cstdint>

#include "mos/hal.h"
#include "mos/sim/pty_uart.h"

namespace mos::sim {

class LineRateUart : public Uart {
 public:
  static constexpr uint32_t kDefaultBaud = 115200;
  static constexpr uint32_t kMaxBaud = 4000000;
  // What the line can deliver at once after being idle (a UART FIFO plus
  // the driver's buffer).
  static constexpr uint32_t kBurstBytes = 256;

  explicit LineRateUart(PtyUart& pty, uint32_t baud = kDefaultBaud);
  // kInvalidArg outside 300..kMaxBaud.
  [[nodiscard]] Status set_baud(uint32_t baud);
  uint32_t baud() const { return baud_; }

  int32_t write(ConstByteSpan data) override;
  int32_t read(ByteSpan out) override;

  // > 0 when the last read was held back by the line rate: the ms to wait
  // before reading again (and not to poll the pty meanwhile, it would spin).
  uint32_t rx_wait_ms() const;

 private:
  static uint64_t now_us();
  double refill(double tokens, uint64_t* last_us) const;

  PtyUart& pty_;
  uint32_t baud_;
  double rx_tokens_ = kBurstBytes;
  double tx_tokens_ = kBurstBytes;
  uint64_t rx_last_us_ = 0;
  uint64_t tx_last_us_ = 0;
  bool rx_limited_ = false;
};

}  // namespace mos::sim

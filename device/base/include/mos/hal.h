// The seams between the portable core and a port (STYLE.md §2). Each is a few
// virtual functions with a host test double (device/base/test/fakes.h keeps
// shared fakes) and a `sim` implementation (device/port/sim).
#pragma once
#include <cstdint>
#include <string_view>

#include "mos/span.h"
#include "mos/status.h"

namespace mos {

// Monotonic milliseconds since boot, injected so tests own time.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual uint64_t now_ms() const = 0;
};

// A byte stream to a peer: plain TCP, or TLS over another Transport.
// Non-blocking: connect() starts, and read()/write() drive progress.
class Transport {
 public:
  // read()/write() results: > 0 bytes moved, 0 = would block, < 0 = failed.
  static constexpr int32_t kWouldBlock = 0;
  static constexpr int32_t kClosed = -1;  // peer closed in order
  static constexpr int32_t kError = -2;   // failure; last_error() says why

  virtual ~Transport() = default;
  // Begins a connection. kOk or kWouldBlock (in progress) on success.
  virtual Status connect(std::string_view host, uint16_t port) = 0;
  virtual int32_t write(ConstByteSpan data) = 0;
  virtual int32_t read(ByteSpan out) = 0;
  virtual void close() = 0;
  // True once connected (TCP established, TLS handshake done).
  virtual bool connected() const = 0;
  // A line a person can act on, for the last failure ("connection refused",
  // "server certificate: unknown CA"). Valid until the next call.
  virtual const char* last_error() const { return ""; }
};

// SPI-NOR flash semantics: erase() sets a whole sector to 0xFF; write() can
// only clear bits (the result is old & new), exactly as the chip does.
class Flash {
 public:
  virtual ~Flash() = default;
  virtual uint32_t size() const = 0;
  virtual uint32_t sector_size() const = 0;  // erase unit, typically 4096
  virtual Status read(uint32_t addr, ByteSpan out) = 0;
  virtual Status write(uint32_t addr, ConstByteSpan data) = 0;
  virtual Status erase(uint32_t sector_addr) = 0;
};

enum class GpioMode { kInput, kInputPullUp, kOutput };

class Gpio {
 public:
  virtual ~Gpio() = default;
  virtual Status set_mode(int pin, GpioMode mode) = 0;
  virtual Status write(int pin, bool level) = 0;
  virtual Status read(int pin, bool* level) = 0;
};

// A serial port: the console log and RPC frames share it.
class Uart {
 public:
  virtual ~Uart() = default;
  // Same result convention as Transport.
  virtual int32_t write(ConstByteSpan data) = 0;
  virtual int32_t read(ByteSpan out) = 0;
};

// Entropy for jitter and TLS seeding.
class Random {
 public:
  virtual ~Random() = default;
  virtual uint32_t next_u32() = 0;
};

}  // namespace mos

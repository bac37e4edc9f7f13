// The firmware's side of the chip: the seams of mos/hal.h (Clock, Random,
// Uart, Flash, Gpio, Transport) and the event loop's Waiter, each a thin
// adapter over the ROM API table (rom_api.h). Nothing here touches the host:
// this is what keeps the firmware a firmware.
#pragma once
#include <cstdint>

#include "mos/event_loop.h"
#include "mos/hal.h"
#include "mos/sim/rom_api.h"

namespace mos::sim::fw {

class RomClock : public Clock {
 public:
  explicit RomClock(const mos_rom_api& rom) : rom_(rom) {}
  uint64_t now_ms() const override { return rom_.millis(); }

 private:
  const mos_rom_api& rom_;
};

class RomRandom : public Random {
 public:
  explicit RomRandom(const mos_rom_api& rom) : rom_(rom) {}
  uint32_t next_u32() override { return rom_.random32(); }

 private:
  const mos_rom_api& rom_;
};

class RomUart : public Uart {
 public:
  explicit RomUart(const mos_rom_api& rom) : rom_(rom) {}
  int32_t write(ConstByteSpan data) override;
  int32_t read(ByteSpan out) override;

 private:
  const mos_rom_api& rom_;
};

class RomFlash : public Flash {
 public:
  explicit RomFlash(const mos_rom_api& rom);
  uint32_t size() const override { return size_; }
  uint32_t sector_size() const override { return sector_; }
  Status read(uint32_t addr, ByteSpan out) override;
  Status write(uint32_t addr, ConstByteSpan data) override;
  Status erase(uint32_t sector_addr) override;

 private:
  const mos_rom_api& rom_;
  uint32_t size_ = 0;
  uint32_t sector_ = 0;
};

class RomGpio : public Gpio {
 public:
  explicit RomGpio(const mos_rom_api& rom) : rom_(rom) {}
  Status set_mode(int pin, GpioMode mode) override;
  Status write(int pin, bool level) override;
  Status read(int pin, bool* level) override;

 private:
  const mos_rom_api& rom_;
};

// A TCP socket of the chip's network stack. connect() fails with "network
// down" until Wi-Fi has an IP, as on a real station.
class RomTransport : public Transport {
 public:
  explicit RomTransport(const mos_rom_api& rom) : rom_(rom) {}
  ~RomTransport() override;
  Status connect(std::string_view host, uint16_t port) override;
  int32_t write(ConstByteSpan data) override;
  int32_t read(ByteSpan out) override;
  void close() override;
  bool connected() const override;
  const char* last_error() const override;

 private:
  const mos_rom_api& rom_;
  int32_t handle_ = -1;
};

// The loop sleeps in the chip (ROM idle), which wakes on UART input,
// sockets and the chip's own events.
class RomWaiter : public Waiter {
 public:
  explicit RomWaiter(const mos_rom_api& rom) : rom_(rom) {}
  void wait(uint32_t max_ms) override { rom_.idle(max_ms); }

 private:
  const mos_rom_api& rom_;
};

}  // namespace mos::sim::fw

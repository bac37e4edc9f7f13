#include "rom_hal.h"

#include <cstring>

namespace mos::sim::fw {
namespace {

Status from_rom(int32_t r) {
  switch (r) {
    case MOS_ROM_OK: return Status::kOk;
    case MOS_ROM_EINVAL: return Status::kInvalidArg;
    case MOS_ROM_ECLOSED: return Status::kClosed;
    case MOS_ROM_EAGAIN: return Status::kWouldBlock;
    case MOS_ROM_ENOSPC: return Status::kNoSpace;
    default: return r >= 0 ? Status::kOk : Status::kIoError;
  }
}

// Transport's result convention from a ROM byte count.
int32_t io_result(int32_t r) {
  if (r >= 0) return r;
  return r == MOS_ROM_ECLOSED ? Transport::kClosed : Transport::kError;
}

}  // namespace

int32_t RomUart::write(ConstByteSpan data) {
  return io_result(rom_.uart_write(data.data(), static_cast<uint32_t>(data.size())));
}

int32_t RomUart::read(ByteSpan out) {
  return io_result(rom_.uart_read(out.data(), static_cast<uint32_t>(out.size())));
}

RomFlash::RomFlash(const mos_rom_api& rom) : rom_(rom) {
  mos_chip_info info;
  std::memset(&info, 0, sizeof(info));
  rom_.chip_info(&info);
  size_ = info.flash_size;
  sector_ = info.flash_sector_size;
}

Status RomFlash::read(uint32_t addr, ByteSpan out) {
  return from_rom(rom_.flash_read(addr, out.data(), static_cast<uint32_t>(out.size())));
}

Status RomFlash::write(uint32_t addr, ConstByteSpan data) {
  return from_rom(rom_.flash_write(addr, data.data(), static_cast<uint32_t>(data.size())));
}

Status RomFlash::erase(uint32_t sector_addr) { return from_rom(rom_.flash_erase(sector_addr)); }

Status RomGpio::set_mode(int pin, GpioMode mode) {
  int32_t m = mode == GpioMode::kInput ? 0 : mode == GpioMode::kInputPullUp ? 1 : 2;
  return from_rom(rom_.gpio_set_mode(pin, m));
}

Status RomGpio::write(int pin, bool level) { return from_rom(rom_.gpio_write(pin, level ? 1 : 0)); }

Status RomGpio::read(int pin, bool* level) {
  int32_t r = rom_.gpio_read(pin);
  if (r < 0) return from_rom(r);
  *level = r != 0;
  return Status::kOk;
}

RomTransport::~RomTransport() { close(); }

Status RomTransport::connect(std::string_view host, uint16_t port) {
  if (handle_ < 0) {
    handle_ = rom_.tcp_open();
    if (handle_ < 0) return from_rom(handle_);
  }
  char name[256];
  if (host.size() >= sizeof(name)) return Status::kInvalidArg;
  std::memcpy(name, host.data(), host.size());
  name[host.size()] = '\0';
  return from_rom(rom_.tcp_connect(handle_, name, port));
}

int32_t RomTransport::write(ConstByteSpan data) {
  if (handle_ < 0) return kError;
  return io_result(rom_.tcp_send(handle_, data.data(), static_cast<uint32_t>(data.size())));
}

int32_t RomTransport::read(ByteSpan out) {
  if (handle_ < 0) return kError;
  return io_result(rom_.tcp_recv(handle_, out.data(), static_cast<uint32_t>(out.size())));
}

void RomTransport::close() {
  if (handle_ >= 0) rom_.tcp_close(handle_);
}

bool RomTransport::connected() const { return handle_ >= 0 && rom_.tcp_connected(handle_) == 1; }

const char* RomTransport::last_error() const {
  return handle_ >= 0 ? rom_.tcp_error(handle_) : "no socket";
}

}  // namespace mos::sim::fw

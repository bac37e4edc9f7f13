// The ROM API table (mos/sim/rom_api.h) filled with the chip's services. C
// function pointers carry no context, so they reach the one chip of this
// process through g_rom_chip, set before the firmware is entered.
#include "rom_table.h"

#include <sys/time.h>

#include <cstring>

namespace mos::sim {
namespace {

Chip* g_rom_chip = nullptr;

int32_t rom_status(Status s) {
  switch (s) {
    case Status::kOk: return MOS_ROM_OK;
    case Status::kInvalidArg: return MOS_ROM_EINVAL;
    case Status::kWouldBlock: return MOS_ROM_EAGAIN;
    case Status::kClosed: return MOS_ROM_ECLOSED;
    case Status::kNoSpace: return MOS_ROM_ENOSPC;
    default: return MOS_ROM_EIO;
  }
}

int32_t rom_io(int32_t r) {
  if (r >= 0) return r;
  return r == Transport::kClosed ? MOS_ROM_ECLOSED : MOS_ROM_EIO;
}

uint64_t millis() { return g_rom_chip->millis(); }
int64_t unix_ms() {
  timeval tv{};
  gettimeofday(&tv, nullptr);
  return static_cast<int64_t>(tv.tv_sec) * 1000 + tv.tv_usec / 1000;
}
uint32_t random32() { return g_rom_chip->random32(); }
void chip_info(mos_chip_info* out) { g_rom_chip->chip_info(out); }
void idle(uint32_t max_ms) { g_rom_chip->idle(max_ms); }
void restart(const char* reason) {
  g_rom_chip->reset(reason != nullptr ? reason : "software reboot", false, false);
}

int32_t uart_write(const uint8_t* data, uint32_t len) {
  if (data == nullptr && len > 0) return MOS_ROM_EINVAL;
  return rom_io(g_rom_chip->uart().write(ConstByteSpan(data, len)));
}
int32_t uart_read(uint8_t* out, uint32_t len) {
  if (out == nullptr && len > 0) return MOS_ROM_EINVAL;
  return rom_io(g_rom_chip->uart().read(ByteSpan(out, len)));
}
void console_line(const char* text, uint32_t len) {
  if (text != nullptr) g_rom_chip->console_line(text, len);
}

int32_t flash_read(uint32_t addr, uint8_t* out, uint32_t len) {
  return rom_status(g_rom_chip->flash().read(addr, ByteSpan(out, len)));
}
int32_t flash_write(uint32_t addr, const uint8_t* data, uint32_t len) {
  return rom_status(g_rom_chip->flash().write(addr, ConstByteSpan(data, len)));
}
int32_t flash_erase(uint32_t sector_addr) {
  return rom_status(g_rom_chip->flash().erase(sector_addr));
}

int32_t gpio_set_mode(int32_t pin, int32_t mode) {
  if (mode < 0 || mode > 2) return MOS_ROM_EINVAL;
  static constexpr GpioMode kModes[] = {GpioMode::kInput, GpioMode::kInputPullUp, GpioMode::kOutput};
  return rom_status(g_rom_chip->gpio().set_mode(pin, kModes[mode]));
}
int32_t gpio_write(int32_t pin, int32_t level) {
  return rom_status(g_rom_chip->gpio().write(pin, level != 0));
}
int32_t gpio_read(int32_t pin) {
  bool level = false;
  Status s = g_rom_chip->gpio().read(pin, &level);
  return s == Status::kOk ? (level ? 1 : 0) : rom_status(s);
}

int32_t wifi_connect(const char* ssid, const char* pass) {
  if (ssid == nullptr || pass == nullptr) return MOS_ROM_EINVAL;
  return rom_status(g_rom_chip->wifi().connect(ssid, pass));
}
void wifi_disconnect() { g_rom_chip->wifi().disconnect(); }
int32_t wifi_status() { return static_cast<int32_t>(g_rom_chip->wifi().status()); }
const char* wifi_ssid() { return g_rom_chip->wifi().ssid().c_str(); }
const char* wifi_ip() { return g_rom_chip->wifi().ip(); }

int32_t tcp_open() { return g_rom_chip->open_socket(); }
int32_t tcp_connect(int32_t h, const char* host, uint16_t port) {
  net::TcpTransport* t = g_rom_chip->socket(h);
  if (t == nullptr || host == nullptr) return MOS_ROM_EINVAL;
  // The station has a network only after "got IP".
  if (!g_rom_chip->wifi().has_ip()) return MOS_ROM_ECLOSED;
  return rom_status(t->connect(host, port));
}
int32_t tcp_send(int32_t h, const uint8_t* data, uint32_t len) {
  net::TcpTransport* t = g_rom_chip->socket(h);
  if (t == nullptr) return MOS_ROM_EINVAL;
  return rom_io(t->write(ConstByteSpan(data, len)));
}
int32_t tcp_recv(int32_t h, uint8_t* out, uint32_t len) {
  net::TcpTransport* t = g_rom_chip->socket(h);
  if (t == nullptr) return MOS_ROM_EINVAL;
  return rom_io(t->read(ByteSpan(out, len)));
}
int32_t tcp_connected(int32_t h) {
  net::TcpTransport* t = g_rom_chip->socket(h);
  return t != nullptr && t->connected() ? 1 : 0;
}
void tcp_close(int32_t h) {
  if (net::TcpTransport* t = g_rom_chip->socket(h)) t->close();
}
const char* tcp_error(int32_t h) {
  net::TcpTransport* t = g_rom_chip->socket(h);
  if (t == nullptr) return "bad socket handle";
  if (!g_rom_chip->wifi().has_ip() && !t->connected()) return "network down: Wi-Fi has no IP";
  return t->last_error();
}

}  // namespace

const mos_rom_api* rom_table(Chip* chip) {
  g_rom_chip = chip;
  static const mos_rom_api table = {
      MOS_ROM_API_MAJOR, MOS_ROM_API_MINOR, sizeof(mos_rom_api),
      millis, unix_ms, random32, chip_info, idle, restart,
      uart_write, uart_read, console_line,
      flash_read, flash_write, flash_erase,
      gpio_set_mode, gpio_write, gpio_read,
      wifi_connect, wifi_disconnect, wifi_status, wifi_ssid, wifi_ip,
      tcp_open, tcp_connect, tcp_send, tcp_recv, tcp_connected, tcp_close, tcp_error,
  };
  return &table;
}

}  // namespace mos::sim

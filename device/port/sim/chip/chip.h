// The virtual chip: the board process is the hardware of a NodeMCU (flash,
// UART0 on a pseudo-terminal at a real line rate, GPIO, the Wi-Fi radio and
// its network, reset) plus a mask ROM. At every reset the ROM decides what
// runs, as an ESP8266's does:
//
//   EN held low (the modem lines)      -> nothing, until EN is released
//   GPIO0 low at reset                 -> the ROM serial loader (download)
//   no valid image at 0x0 (fw_image.h) -> says why, then the ROM loader
//   otherwise                          -> the firmware, through the ROM API
//
// A reset re-executes the process: nothing of the old firmware survives but
// the port, the control socket and the flash, as on the chip.
#pragma once
#include <cstdint>
#include <string>

#include "mos/event_loop.h"
#include "mos/log.h"
#include "mos/net/poll_waiter.h"
#include "mos/net/tcp_transport.h"
#include "mos/sim/control.h"
#include "mos/sim/file_flash.h"
#include "mos/sim/fw_image.h"
#include "mos/sim/host.h"
#include "mos/sim/pty_uart.h"
#include "mos/sim/rom_api.h"
#include "mos/sim/sim_gpio.h"
#include "mos/sim/wifi.h"
#include "line_rate_uart.h"
#include "options.h"

namespace mos::sim {

class Chip {
 public:
  static constexpr int kSockets = 4;

  Chip(Options o, char** argv);
  Chip(const Chip&) = delete;
  Chip& operator=(const Chip&) = delete;

  // Power on: returns the process's exit code (0 after a power off).
  int run();

  // ---- the chip's services, behind the ROM API (rom_table.cpp) ----
  void idle(uint32_t max_ms);
  [[noreturn]] void reset(const char* reason, bool download, bool in_reset);
  [[noreturn]] void power_off();
  void chip_info(mos_chip_info* out);
  void console_line(const char* text, uint32_t len);  // console.log only
  // A ROM message: UART0 and console.log, no timestamp (the ROM has no clock).
  void rom_print(const char* fmt, ...) __attribute__((format(printf, 2, 3)));
  // A timestamped line of the chip's own (GPIO edges) in console.log.
  void chip_log(const char* fmt, ...) __attribute__((format(printf, 2, 3)));

  uint64_t millis() const { return clock_.now_ms(); }
  uint32_t random32() { return random_.next_u32(); }
  LineRateUart& uart() { return uart_; }
  FileFlash& flash() { return flash_; }
  SimGpio& gpio() { return gpio_; }
  VirtualWifi& wifi() { return wifi_; }
  // A socket handle's transport, or null for a bad handle.
  net::TcpTransport* socket(int32_t h);
  int32_t open_socket();

 private:
  bool power_on();
  [[noreturn]] void boot();
  [[noreturn]] void wait_in_reset();
  [[noreturn]] void run_rom_loader(const char* why);
  bool run_firmware(const FwImageInfo& image, std::string* why);
  void write_board_file(const char* status);
  void update_uart_watch();
  void compute_fw_id(uint32_t payload_size);

  static void on_lines(bool dtr, bool rts, void* ctx);
  static void on_reset(bool download, void* ctx);
  static void on_gpio_change(int pin, bool level, void* ctx);
  static void wake(void*) {}

  Options o_;
  char** argv_;
  MonotonicClock clock_;
  KernelRandom random_;
  EventLoop loop_;
  net::PollWaiter waiter_;
  PtyUart pty_;
  LineRateUart uart_;
  FileFlash flash_;
  SimGpio gpio_;
  VirtualWifi wifi_;
  ControlServer ctl_;
  net::TcpTransport sockets_[kSockets];
  bool socket_used_[kSockets] = {};
  bool uart_watched_ = false;
  static void log_sink(LogLevel level, std::string_view msg, void* ctx);

  Mac mac_;
  char mac_str_[18] = {};
  std::string firmware_ = "-";   // "c_mqtt 1.0.0" once an image is booted
  char fw_id_[17] = {};
  std::string status_ = "rom";
  uint32_t ram_min_free_ = UINT32_MAX;
};

// The stop signal (SIGTERM/SIGINT): the chip powers off at its next idle.
extern volatile int g_power_off;

}  // namespace mos::sim

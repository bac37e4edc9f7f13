#include "chip.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <malloc.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <vector>

#include "mos/json.h"
#include "mos/sim/console.h"
#include "mos/sim/flash_layout.h"

namespace mos::sim {

volatile int g_power_off = 0;

namespace {

int64_t wall_ms() {
  timeval tv{};
  gettimeofday(&tv, nullptr);
  return static_cast<int64_t>(tv.tv_sec) * 1000 + tv.tv_usec / 1000;
}

// NodeMCU's auto-reset circuit: two transistors between the USB-serial
// bridge and the module. EN is pulled low while RTS is asserted and DTR is
// not; GPIO0 is pulled low while DTR is asserted and RTS is not. (Both
// asserted, or neither, leaves both high: opening a port does not reset.)
bool en_low(bool dtr, bool rts) { return rts && !dtr; }
bool gpio0_low(bool dtr, bool rts) { return dtr && !rts; }

}  // namespace

Chip::Chip(Options o, char** argv)
    : o_(std::move(o)), argv_(argv), loop_(clock_), uart_(pty_), wifi_(loop_), ctl_(loop_, gpio_) {}

bool Chip::power_on() {
  mac_ = mac_for_name(o_.name);
  format_mac(mac_, mac_str_, sizeof(mac_str_));
  Status s = o_.uart_fd >= 0 ? pty_.adopt(o_.uart_fd) : pty_.open();
  if (s != Status::kOk) {
    std::fprintf(stderr, "UART0: %s\n", pty_.error());
    return false;
  }
  o_.uart_fd = pty_.fd();
  loop_.set_waiter(&waiter_);
  set_log_sink(&Chip::log_sink, this);
  // Wakes the loop to notice a terminal program opening the port.
  if (!require_timer(loop_.add_timer(100, true, &Chip::wake, nullptr), "the chip's UART watch")) {
    return false;
  }

  // Secrets live in the flash (keys, Wi-Fi passwords): owner-only files.
  umask(077);
  s = flash_.open("flash.bin", o_.flash_size, o_.flash_sync);
  if (s != Status::kOk) {
    std::fprintf(stderr, "flash: %s\n", flash_.error());
    return false;
  }
  (void)chmod("flash.bin", 0600);
  gpio_.set_change_handler(&Chip::on_gpio_change, this);
  (void)write_file_atomic("gpio.json", gpio_.to_json() + "\n");
  s = o_.ctl_fd >= 0 ? ctl_.adopt(o_.ctl_fd, "ctl.sock") : ctl_.open("ctl.sock");
  if (s == Status::kOk) {
    o_.ctl_fd = ctl_.fd();
    (void)waiter_.watch_fd(ctl_.fd(), POLLIN);
    if (!require_poller(loop_, &ctl_, "the control socket")) return false;
    ControlServer::ResetHooks hooks;
    hooks.lines = &Chip::on_lines;
    hooks.reset = &Chip::on_reset;
    hooks.ctx = this;
    ctl_.set_reset_hooks(hooks);
  } else {
    std::fprintf(stderr, "control socket ctl.sock: %s (mos sim press and mos flash will not work)\n",
                 std::strerror(errno));
  }
  for (const AccessPoint& ap : o_.aps) wifi_.add_access_point(ap);
  for (int i = 0; i < kSockets; ++i) (void)waiter_.watch(&sockets_[i]);
  return true;
}

void Chip::rom_print(const char* fmt, ...) {
  char line[320];
  va_list ap;
  va_start(ap, fmt);
  int n = std::vsnprintf(line, sizeof(line) - 2, fmt, ap);
  va_end(ap);
  size_t len = n < 0 ? 0 : static_cast<size_t>(n) < sizeof(line) - 2 ? static_cast<size_t>(n)
                                                                        : sizeof(line) - 3;
  std::fwrite(line, 1, len, stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
  line[len] = '\r';
  line[len + 1] = '\n';
  (void)uart_.write(ConstByteSpan(reinterpret_cast<const uint8_t*>(line), len + 2));
}

void Chip::chip_log(const char* fmt, ...) {
  char msg[256];
  va_list ap;
  va_start(ap, fmt);
  int n = std::vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  if (n < 0) return;
  char line[320];
  size_t len = format_log_line(wall_ms(), LogLevel::kInfo, msg, line, sizeof(line));
  console_line(line, static_cast<uint32_t>(len));
}

// The chip's own records (the Wi-Fi station's progress, as the ESP8266 SDK
// prints it) go to UART0 and console.log like the firmware's.
void Chip::log_sink(LogLevel level, std::string_view msg, void* ctx) {
  auto* c = static_cast<Chip*>(ctx);
  char line[MOS_LOG_LINE_MAX + 40];
  size_t n = format_log_line(wall_ms(), level, msg, line, sizeof(line) - 1);
  c->console_line(line, static_cast<uint32_t>(n));
  line[n] = '\n';
  (void)c->uart_.write(ConstByteSpan(reinterpret_cast<const uint8_t*>(line), n + 1));
}

void Chip::console_line(const char* text, uint32_t len) {
  std::fwrite(text, 1, len, stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

void Chip::on_gpio_change(int pin, bool level, void* ctx) {
  auto* c = static_cast<Chip*>(ctx);
  if (pin == SimGpio::kLedPin) {
    c->chip_log("GPIO%d -> %s (LED %s)", pin, level ? "HIGH" : "LOW", level ? "off" : "on");
  } else if (pin == SimGpio::kButtonPin) {
    c->chip_log("GPIO%d -> %s (FLASH button %s)", pin, level ? "HIGH" : "LOW", level ? "up" : "down");
  } else {
    c->chip_log("GPIO%d -> %s", pin, level ? "HIGH" : "LOW");
  }
  (void)write_file_atomic("gpio.json", c->gpio_.to_json() + "\n");
}

void Chip::on_lines(bool dtr, bool rts, void* ctx) {
  auto* c = static_cast<Chip*>(ctx);
  const bool was_in_reset = en_low(c->o_.dtr, c->o_.rts);
  c->o_.dtr = dtr;
  c->o_.rts = rts;
  const bool in_reset = en_low(dtr, rts);
  if (in_reset && !was_in_reset) c->reset("external (EN)", false, true);
  // EN released while the chip waits in reset: wait_in_reset() boots.
}

void Chip::on_reset(bool download, void* ctx) {
  auto* c = static_cast<Chip*>(ctx);
  c->reset("external (RST button)", download || !c->gpio_.level(SimGpio::kButtonPin), false);
}

void Chip::update_uart_watch() {
  // The pty reports POLLHUP while nobody has it open, which would spin
  // poll(); and while the line rate holds reads back, readiness is moot.
  bool want = pty_.listener_present() && uart_.rx_wait_ms() == 0;
  if (want && !uart_watched_) uart_watched_ = waiter_.watch_fd(pty_.fd(), POLLIN) == Status::kOk;
  if (!want && uart_watched_) {
    waiter_.unwatch_fd(pty_.fd());
    uart_watched_ = false;
  }
}

void Chip::idle(uint32_t max_ms) {
  if (g_power_off) power_off();
  update_uart_watch();
  uint32_t rx_wait = uart_.rx_wait_ms();
  if (rx_wait > 0 && rx_wait < max_ms) max_ms = rx_wait;
  loop_.run_once(max_ms);
  if (g_power_off) power_off();
}

net::TcpTransport* Chip::socket(int32_t h) {
  if (h < 0 || h >= kSockets || !socket_used_[h]) return nullptr;
  return &sockets_[h];
}

int32_t Chip::open_socket() {
  for (int i = 0; i < kSockets; ++i) {
    if (!socket_used_[i]) {
      socket_used_[i] = true;
      return i;
    }
  }
  return MOS_ROM_ENOSPC;
}

void Chip::chip_info(mos_chip_info* out) {
  std::memset(out, 0, sizeof(*out));
  std::memcpy(out->mac, mac_.b, sizeof(out->mac));
  out->flash_size = flash_.size();
  out->flash_sector_size = flash_.sector_size();
  out->board_name = o_.name.c_str();
  out->chip = "ESP8266-like (mos sim)";
  out->fw_id = fw_id_;
  out->boot_count = o_.boot;
  out->reset_reason = o_.reset_reason.c_str();
  // The process heap stands for the chip's RAM (glibc's arena figures).
  struct mallinfo2 mi = mallinfo2();
  out->ram_size = static_cast<uint32_t>(mi.arena);
  out->ram_free = static_cast<uint32_t>(mi.fordblks);
}

void Chip::write_board_file(const char* status) {
  std::string aps;
  for (const std::string& a : o_.ap_specs) {
    char q[160];
    json::Writer w(Span<char>(q, sizeof(q)));
    w.string_value(a);
    aps += (aps.empty() ? "" : ",") + std::string(w.view());
  }
  char buf[1024];
  std::snprintf(buf, sizeof(buf),
                "{\"name\":\"%s\",\"pid\":%d,\"pty\":\"%s\",\"status\":\"%s\",\"mac\":\"%s\","
                "\"flash_size\":%u,\"firmware\":\"%s\",\"fw_id\":\"%s\",\"boot\":%u,"
                "\"aps\":[%s]}\n",
                o_.name.c_str(), static_cast<int>(getpid()), pty_.path(), status, mac_str_,
                static_cast<unsigned>(o_.flash_size), firmware_.c_str(), fw_id_, o_.boot,
                aps.c_str());
  (void)write_file_atomic("board.json", buf);
}

void Chip::reset(const char* reason, bool download, bool in_reset) {
  write_board_file("resetting");
  std::fflush(stdout);
  flash_.close();
  // Nothing but the port and the control socket survives a reset: sockets
  // the firmware left open (MQTT, TLS) close as a chip's would.
  o_.ctl_fd = ctl_.detach_for_reset();
  (void)close_range(3, ~0u, CLOSE_RANGE_CLOEXEC);
  (void)fcntl(pty_.fd(), F_SETFD, 0);
  if (o_.ctl_fd >= 0) (void)fcntl(o_.ctl_fd, F_SETFD, 0);
  o_.boot += 1;
  o_.reset_reason = reason;
  o_.download = download;
  o_.in_reset = in_reset;
  std::vector<std::string> args = reexec_args(argv_[0], o_);
  std::vector<char*> av;
  for (std::string& a : args) av.push_back(a.data());
  av.push_back(nullptr);
  execv("/proc/self/exe", av.data());
  std::fprintf(stderr, "reset failed: exec: %s\n", std::strerror(errno));
  std::_Exit(1);
}

void Chip::power_off() {
  chip_log("power off");
  write_board_file("stopped");
  flash_.close();
  ctl_.close();
  std::fflush(stdout);
  std::_Exit(0);
}

void Chip::wait_in_reset() {
  // A chip held in reset prints nothing and reads nothing.
  write_board_file("in reset");
  while (en_low(o_.dtr, o_.rts)) {
    loop_.run_once(100);
    if (g_power_off) power_off();
  }
  // EN released: boot now, with GPIO0 as the bridge (or the button) holds it.
  o_.in_reset = false;
  o_.download = gpio0_low(o_.dtr, o_.rts) || !gpio_.level(SimGpio::kButtonPin);
  o_.reset_reason = "external (EN)";
  boot();
}

void Chip::boot() {
  rom_print("%s", "");
  rom_print("mos sim ROM: NodeMCU (ESP8266-like), MAC %s, flash %u KB, UART0 %s @ %u", mac_str_,
            static_cast<unsigned>(flash_.size() / 1024), pty_.path(),
            static_cast<unsigned>(uart_.baud()));
  rom_print("reset reason: %s, boot #%u, boot mode: %s", o_.reset_reason.c_str(), o_.boot,
            o_.download ? "download (GPIO0 low)" : "flash");
  if (o_.download) run_rom_loader("GPIO0 held low at reset");

  FwImageInfo image;
  const char* why = "";
  static uint8_t scratch[4096];
  uint32_t room = flash_.size() < kFwMaxSize ? flash_.size() : kFwMaxSize;
  if (fw_image_check(flash_, kFwAddr, room, ByteSpan(scratch, sizeof(scratch)), &image, &why) !=
      Status::kOk) {
    char msg[160];
    std::snprintf(msg, sizeof(msg), "no valid firmware at 0x%06x (%s)", static_cast<unsigned>(kFwAddr), why);
    run_rom_loader(msg);
  }
  if (image.api_major != MOS_ROM_API_MAJOR || image.api_minor > MOS_ROM_API_MINOR) {
    char msg[200];
    std::snprintf(msg, sizeof(msg),
                  "firmware %s %s needs ROM API %u.%u, this board has %u.%u (rebuild it with this "
                  "mos, or update the board)",
                  image.app, image.version, image.api_major, image.api_minor, MOS_ROM_API_MAJOR,
                  MOS_ROM_API_MINOR);
    run_rom_loader(msg);
  }
  std::string load_error;
  if (!run_firmware(image, &load_error)) run_rom_loader(load_error.c_str());
  power_off();  // the firmware returned: it ended on its own
}

int Chip::run() {
  if (!power_on()) return 1;
  if (o_.in_reset) wait_in_reset();
  boot();
}

}  // namespace mos::sim

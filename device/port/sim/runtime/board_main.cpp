// The firmware runtime of the virtual board: boots the device core on the sim
// port and runs the app linked with it (mos/app.h). One process is one board;
// a reboot re-executes the process with its pseudo-terminal and flash kept.
//
// Boot order, as on a Mongoose OS device: banner, flash store (formatted when
// blank), config (defaults + conf9.json), RPC on UART0, GPIO, the app, then
// Wi-Fi from wifi.sta.*; the app hears "network up" after "got IP".
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <linux/close_range.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <string>
#include <vector>

#include "mos/app.h"
#include "mos/event_loop.h"
#include "mos/config.h"
#include "mos/fs.h"
#include "mos/json.h"
#include "mos/log.h"
#include "mos/net/poll_waiter.h"
#include "mos/net/tcp_transport.h"
#include "mos/rpc.h"
#include "mos/rpc_sys.h"
#include "mos/rpc_store.h"
#include "mos/rpc_uart.h"
#include "mos/sim/console.h"
#include "mos/sim/control.h"
#include "mos/sim/file_flash.h"
#include "mos/sim/host.h"
#include "mos/sim/pty_uart.h"
#include "mos/sim/sim_gpio.h"
#include "mos/sim/wifi.h"
#include "mos/tls.h"
#include "mos_config.h"  // generated from mos_core.yml + the app's mos.yml

#ifndef MOS_APP_NAME
#define MOS_APP_NAME "app"
#endif
#ifndef MOS_APP_VERSION
#define MOS_APP_VERSION "0.0.0"
#endif
#ifndef MOS_VERSION
#define MOS_VERSION "0.1.0"
#endif

namespace mos::sim {
namespace {

volatile sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

// ---------------------------------------------------------------- options --

struct Options {
  std::string name = "board";
  std::string dir = ".";
  std::vector<AccessPoint> aps;
  std::vector<std::string> ap_specs;
  uint32_t flash_size = FileFlash::kDefaultSize;
  FileFlash::Sync flash_sync = FileFlash::Sync::kOnFlush;
  int uart_fd = -1;  // inherited across a reboot
  unsigned boot = 0;
  std::string reset_reason = "power on";
};

void usage() {
  std::fprintf(stderr,
               "usage: mos-sim-board [--name N] [--dir D] [--ap SSID:PASS]... [--flash-size BYTES]\n"
               "                     [--flash-sync every-write|on-flush]\n"
               "A virtual NodeMCU board running the " MOS_APP_NAME
               " firmware. Start it with `mos sim start`.\n");
}

bool parse_options(int argc, char** argv, Options* o) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&](std::string* out) {
      if (i + 1 >= argc) return false;
      *out = argv[++i];
      return true;
    };
    std::string v;
    if (a == "--name" && next(&v)) {
      o->name = v;
    } else if (a == "--dir" && next(&v)) {
      o->dir = v;
    } else if (a == "--ap" && next(&v)) {
      AccessPoint ap;
      std::string why;
      if (parse_access_point(v, &ap, &why) != Status::kOk) {
        std::fprintf(stderr, "bad --ap %s: %s\n", v.c_str(), why.c_str());
        return false;
      }
      o->aps.push_back(ap);
      o->ap_specs.push_back(v);
    } else if (a == "--flash-size" && next(&v)) {
      char* end = nullptr;
      unsigned long long n = std::strtoull(v.c_str(), &end, 10);
      if (end == v.c_str() || *end != '\0' || n > FileFlash::kMaxSize) {
        std::fprintf(stderr, "bad --flash-size %s: give bytes, e.g. 4194304\n", v.c_str());
        return false;
      }
      o->flash_size = static_cast<uint32_t>(n);
    } else if (a == "--flash-sync" && next(&v)) {
      if (v == "every-write") {
        o->flash_sync = FileFlash::Sync::kEveryWrite;
      } else if (v == "on-flush") {
        o->flash_sync = FileFlash::Sync::kOnFlush;
      } else {
        std::fprintf(stderr, "bad --flash-sync %s: every-write or on-flush\n", v.c_str());
        return false;
      }
    } else if (a == "--uart-fd" && next(&v)) {
      o->uart_fd = std::atoi(v.c_str());
    } else if (a == "--boot" && next(&v)) {
      o->boot = static_cast<unsigned>(std::strtoul(v.c_str(), nullptr, 10));
    } else if (a == "--reset-reason" && next(&v)) {
      o->reset_reason = v;
    } else {
      usage();
      return false;
    }
  }
  return true;
}

// ------------------------------------------------------------ the console --

// Log records become "[Nov 27 06:01:02.123] I message" lines on UART0 (through
// the RPC channel's queue, so they never split a frame) and in console.log.
struct ConsoleSink {
  rpc::UartChannel* chan = nullptr;
  std::FILE* tee = nullptr;

  void line(std::string_view text) {
    if (chan != nullptr) chan->write_log_line(text);
    if (tee != nullptr) {
      std::fwrite(text.data(), 1, text.size(), tee);
      std::fputc('\n', tee);
      std::fflush(tee);
    }
  }
  static void sink(LogLevel level, std::string_view msg, void* ctx) {
    timeval tv{};
    gettimeofday(&tv, nullptr);
    char buf[MOS_LOG_LINE_MAX + 40];
    size_t n = format_log_line(static_cast<int64_t>(tv.tv_sec) * 1000 + tv.tv_usec / 1000, level,
                               msg, buf, sizeof(buf));
    static_cast<ConsoleSink*>(ctx)->line(std::string_view(buf, n));
  }
};

// The pty reports POLLHUP while nobody has it open, which would spin poll():
// watch it only while a program is connected, and look again every turn.
class UartWatch : public Poller {
 public:
  UartWatch(PtyUart& uart, net::PollWaiter& waiter) : uart_(uart), waiter_(waiter) {}
  void poll(uint64_t) override {
    bool present = uart_.listener_present();
    if (present && !watched_) watched_ = waiter_.watch_fd(uart_.fd(), POLLIN) == Status::kOk;
    if (!present && watched_) {
      waiter_.unwatch_fd(uart_.fd());
      watched_ = false;
    }
  }

 private:
  PtyUart& uart_;
  net::PollWaiter& waiter_;
  bool watched_ = false;
};

// ----------------------------------------------------------------- config --

// The app's view of mos::Config (schema from mos_core.yml + the app's mos.yml).
class ConfigView : public app::Config {
 public:
  explicit ConfigView(const mos::Config& cfg) : cfg_(cfg) {}
  std::string_view get_string(std::string_view key) const override {
    const char* v = cfg_.get_string(key);
    return v != nullptr ? std::string_view(v) : std::string_view();
  }
  int64_t get_int(std::string_view key, int64_t def) const override {
    int32_t i = 0;
    if (cfg_.get_int(key, &i)) return i;
    double d = 0;  // "d" keys such as mqtt.reconnect_timeout_min
    if (cfg_.get_double(key, &d)) return static_cast<int64_t>(d);
    return def;
  }
  bool get_bool(std::string_view key, bool def) const override {
    bool v = def;
    return cfg_.get_bool(key, &v) ? v : def;
  }

 private:
  const mos::Config& cfg_;
};

// ------------------------------------------------------------- transports --

// TCP that exists only while Wi-Fi has an IP: the firmware has no network
// before "got IP", like a real station.
class StationTcp : public Transport {
 public:
  explicit StationTcp(const VirtualWifi& wifi) : wifi_(wifi) {}
  Status connect(std::string_view host, uint16_t port) override {
    if (!wifi_.has_ip()) {
      std::snprintf(error_, sizeof(error_), "network down: Wi-Fi is %s", to_string(wifi_.status()));
      return Status::kClosed;
    }
    error_[0] = '\0';
    return tcp_.connect(host, port);
  }
  int32_t write(ConstByteSpan data) override { return tcp_.write(data); }
  int32_t read(ByteSpan out) override { return tcp_.read(out); }
  void close() override { tcp_.close(); }
  bool connected() const override { return tcp_.connected(); }
  const char* last_error() const override { return error_[0] ? error_ : tcp_.last_error(); }
  const net::TcpTransport& tcp() const { return tcp_; }

 private:
  const VirtualWifi& wifi_;
  net::TcpTransport tcp_;
  char error_[96] = {};
};

class SystemWallClock : public tls::WallClock {
 public:
  int64_t unix_seconds() const override { return static_cast<int64_t>(std::time(nullptr)); }
};

// ------------------------------------------------------------------ board --

constexpr uint32_t kFsMaxSectors = 64;  // 256 KB store, as Mongoose OS on ESP8266

class Board : public app::Context, public rpc::SysPort {
 public:
  explicit Board(Options opts)
      : o_(std::move(opts)), loop_(clock_), wifi_(loop_), ctl_(loop_, gpio_), tcp_(wifi_),
        chan_(uart_, rpc_) {}

  int run(char** argv);

  // app::Context
  EventLoop& loop() override { return loop_; }
  const Clock& clock() override { return clock_; }
  Random& random() override { return random_; }
  Gpio& gpio() override { return gpio_; }
  const app::Config& config() override { return config_; }
  const tls::WallClock* wall_clock() override { return &wall_; }
  rpc::Dispatcher& rpc() override { return rpc_; }
  Status read_file(std::string_view name, Span<char> out, size_t* len) override;
  Transport* tcp() override {
    if (tcp_given_) return nullptr;
    tcp_given_ = true;
    (void)waiter_.watch(&tcp_.tcp());
    return &tcp_;
  }
  void on_network(app::NetworkFn fn, void* ctx) override {
    net_fn_ = fn;
    net_ctx_ = ctx;
  }
  bool network_up() const override { return wifi_.has_ip(); }
  std::string_view device_id() const override { return device_id_; }
  std::string_view mac() const override { return mac_hex_; }

  // rpc::SysPort
  void get_info(rpc::SysInfo* out) override;
  void reboot() override { reboot_ = true; }

 private:
  bool boot_hardware();
  void mount_store();
  void load_config();
  void write_board_file(const char* status);
  void write_gpio_file();
  void register_gpio_rpc();
  void start_wifi();
  void reexec(char** argv);

  static void on_gpio_change(int pin, bool level, void* ctx);
  static void on_wifi(WifiStatus s, void* ctx);
  static void wake(void*) {}
  static void gpio_rpc(rpc::Call& call, void* ctx);

  Options o_;
  MonotonicClock clock_;
  KernelRandom random_;
  SystemWallClock wall_;
  EventLoop loop_;
  net::PollWaiter waiter_;
  PtyUart uart_;
  FileFlash flash_;
  Fs fs_;
  FsSector sectors_[kFsMaxSectors];
  bool fs_ok_ = false;
  SimGpio gpio_;
  VirtualWifi wifi_;
  ControlServer ctl_;
  StationTcp tcp_;
  bool tcp_given_ = false;
  mos::Config cfg_;
  MosConfig cfg_cur_{}, cfg_base_{};
  char cfg_work_[4096];
  ConfigView config_{cfg_};
  rpc::Dispatcher rpc_;
  rpc::UartChannel chan_;
  ConsoleSink console_;
  std::string device_id_;
  char mac_hex_[13] = {};
  char mac_str_[18] = {};
  app::NetworkFn net_fn_ = nullptr;
  void* net_ctx_ = nullptr;
  bool reboot_ = false;
  uint32_t ram_min_free_ = UINT32_MAX;
};

bool Board::boot_hardware() {
  Mac mac = mac_for_name(o_.name);
  format_mac(mac, mac_str_, sizeof(mac_str_));
  std::snprintf(mac_hex_, sizeof(mac_hex_), "%02X%02X%02X%02X%02X%02X", mac.b[0], mac.b[1],
                mac.b[2], mac.b[3], mac.b[4], mac.b[5]);
  Status s = o_.uart_fd >= 0 ? uart_.adopt(o_.uart_fd) : uart_.open();
  if (s != Status::kOk) {
    std::fprintf(stderr, "UART0: %s\n", uart_.error());
    return false;
  }
  console_.chan = &chan_;
  console_.tee = stdout;
  set_log_sink(&ConsoleSink::sink, &console_);
  loop_.set_waiter(&waiter_);
  (void)loop_.add_poller(&chan_);
  static UartWatch watch(uart_, waiter_);
  (void)loop_.add_poller(&watch);
  // Wakes the loop to notice a terminal program opening the port.
  (void)loop_.add_timer(100, true, &Board::wake, nullptr);

  // The banner, before any timestamped line (no timestamp: it is what the
  // "ROM" prints before the firmware's clock runs).
  char line[200];
  console_.line("");
  std::snprintf(line, sizeof(line), "mos sim board \"%s\": NodeMCU (ESP8266-like), MAC %s, flash %u KB, UART0 %s",
                o_.name.c_str(), mac_str_, static_cast<unsigned>(o_.flash_size / 1024), uart_.path());
  console_.line(line);
  std::snprintf(line, sizeof(line), "%s %s (mos %s, built %s %s), boot #%u, reset reason: %s", MOS_APP_NAME,
                MOS_APP_VERSION, MOS_VERSION, __DATE__, __TIME__, o_.boot, o_.reset_reason.c_str());
  console_.line(line);

  s = flash_.open("flash.bin", o_.flash_size, o_.flash_sync);
  if (s != Status::kOk) {
    MOS_LOGE("flash: %s", flash_.error());
    return false;
  }
  gpio_.set_change_handler(&Board::on_gpio_change, this);
  write_gpio_file();
  if (ctl_.open("ctl.sock") == Status::kOk) {
    (void)waiter_.watch_fd(ctl_.fd(), POLLIN);
    (void)loop_.add_poller(&ctl_);
  } else {
    MOS_LOGW("control socket ctl.sock: %s (mos sim press will not work)", std::strerror(errno));
  }
  return true;
}

void Board::mount_store() {
  // The store's partition: 256 KB from 1 MB on (the first MB is for the
  // firmware image), or the top half of a smaller flash.
  const uint32_t ss = flash_.sector_size();
  uint32_t base = flash_.size() >= (2u << 20) ? (1u << 20) : flash_.size() / 2 / ss * ss;
  uint32_t size = flash_.size() - base;
  if (size > kFsMaxSectors * ss) size = kFsMaxSectors * ss;
  Span<FsSector> secs(sectors_, size / ss);
  if (fs_.init(flash_, base, size, secs) != Status::kOk) {
    MOS_LOGE("fs: flash of %u bytes is too small for the store", static_cast<unsigned>(flash_.size()));
    return;
  }
  // A blank (erased) partition mounts as an empty store; only a store that
  // cannot be read is formatted, which loses its files, so say so.
  Status s = fs_.mount();
  if (s != Status::kOk) {
    MOS_LOGE("fs: mount failed (%s): formatting %u KB at 0x%x", to_string(s),
             static_cast<unsigned>(size / 1024), static_cast<unsigned>(base));
    s = fs_.format();
    if (s == Status::kOk) s = fs_.mount();
  }
  fs_ok_ = s == Status::kOk;
  if (!fs_ok_) {
    MOS_LOGE("fs: cannot mount the store: %s", to_string(s));
    return;
  }
  FsInfo info = fs_.info();
  MOS_LOGI("fs: %u files, %u of %u bytes used", static_cast<unsigned>(fs_.file_count()),
           static_cast<unsigned>(info.used), static_cast<unsigned>(info.total));
}

Status Board::read_file(std::string_view name, Span<char> out, size_t* len) {
  if (!fs_ok_) return Status::kIoError;
  uint32_t size = 0;
  Status s = fs_.stat(name, &size);
  if (s != Status::kOk) return s;
  if (size > out.size()) return Status::kNoSpace;
  size_t n = 0;
  s = fs_.read(name, 0, ByteSpan(reinterpret_cast<uint8_t*>(out.data()), size), &n);
  if (s == Status::kOk && len != nullptr) *len = n;
  return s;
}

void Board::load_config() {
  uint8_t mac[6];
  for (int i = 0; i < 6; ++i) {
    mac[i] = static_cast<uint8_t>(std::strtoul(std::string(mac_hex_ + 2 * i, 2).c_str(), nullptr, 16));
  }
  Status s = cfg_.init(kMosConfigSchema, &cfg_cur_, &cfg_base_, Span<char>(cfg_work_, sizeof(cfg_work_)),
                       fs_ok_ ? &fs_ : nullptr, ConstByteSpan(mac, sizeof(mac)));
  if (s == Status::kOk) s = cfg_.load();
  if (s != Status::kOk) MOS_LOGE("config: %s (%s)", to_string(s), cfg_.error());
  if (cfg_.error()[0] != '\0') MOS_LOGW("config: %s", cfg_.error());
  int32_t level = 2;
  if (cfg_.get_int("debug.level", &level) && level >= 0 && level <= 3) {
    set_log_level(static_cast<LogLevel>(level));
  }
  device_id_ = std::string(config_.get_string("device.id"));
  rpc_.set_device_id(device_id_);
  MOS_LOGI("config: device.id %s", device_id_.c_str());
}

void Board::write_board_file(const char* status) {
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
                "\"device_id\":\"%s\",\"flash_size\":%u,\"firmware\":\"%s %s\",\"boot\":%u,"
                "\"aps\":[%s]}\n",
                o_.name.c_str(), static_cast<int>(getpid()), uart_.path(), status, mac_str_,
                device_id_.c_str(), static_cast<unsigned>(o_.flash_size), MOS_APP_NAME,
                MOS_APP_VERSION, o_.boot, aps.c_str());
  (void)write_file_atomic("board.json", buf);
}

void Board::write_gpio_file() { (void)write_file_atomic("gpio.json", gpio_.to_json() + "\n"); }

void Board::on_gpio_change(int pin, bool level, void* ctx) {
  auto* b = static_cast<Board*>(ctx);
  if (pin == SimGpio::kLedPin) {
    MOS_LOGI("GPIO%d -> %s (LED %s)", pin, level ? "HIGH" : "LOW", level ? "off" : "on");
  } else if (pin == SimGpio::kButtonPin) {
    MOS_LOGI("GPIO%d -> %s (FLASH button %s)", pin, level ? "HIGH" : "LOW",
             level ? "up" : "down");
  } else {
    MOS_LOGI("GPIO%d -> %s", pin, level ? "HIGH" : "LOW");
  }
  b->write_gpio_file();
}

// Mongoose OS's rpc-service-gpio: GPIO.Write {pin, value} makes the pin an
// output; GPIO.Read {pin} -> {value}; GPIO.Toggle {pin} -> {value}.
void Board::gpio_rpc(rpc::Call& call, void* ctx) {
  auto* b = static_cast<Board*>(ctx);
  json::Token t;
  int pin = -1;
  if (json::find(call.params(), "pin", &t) != json::Result::kOk ||
      json::as_int(t, &pin) != json::Result::kOk) {
    return call.error(400, "pin is required, e.g. {\"pin\": 2}");
  }
  const bool write = json::string_equals(call.method(), "GPIO.Write");
  const bool toggle = json::string_equals(call.method(), "GPIO.Toggle");
  int value = -1;
  if (write && (json::find(call.params(), "value", &t) != json::Result::kOk ||
                json::as_int(t, &value) != json::Result::kOk || (value != 0 && value != 1))) {
    return call.error(400, "value 0 or 1 is required, e.g. {\"pin\": 2, \"value\": 0}");
  }
  bool level = false;
  if (b->gpio_.read(pin, &level) != Status::kOk) {
    return call.error(400, "no such pin: GPIO 0..16 except 6..11 (the flash chip)");
  }
  if (write || toggle) {
    level = write ? value == 1 : !level;
    // Latch first, then switch to output: one edge, no glitch.
    (void)b->gpio_.write(pin, level);
    (void)b->gpio_.set_mode(pin, GpioMode::kOutput);
  }
  // Reading never changes the mode: an app's button keeps its pull-up.
  (void)b->gpio_.read(pin, &level);
  call.result().begin_object().key("value").int_value(level ? 1 : 0).end_object();
}

void Board::register_gpio_rpc() {
  for (const char* m : {"GPIO.Read", "GPIO.Write", "GPIO.Toggle"}) {
    (void)rpc_.add_handler(m, &Board::gpio_rpc, this);
  }
}

void Board::get_info(rpc::SysInfo* out) {
  static char fw_id[32];
  std::snprintf(fw_id, sizeof(fw_id), "%s %s", __DATE__, __TIME__);
  out->app = MOS_APP_NAME;
  out->arch = "sim";
  out->fw_version = MOS_APP_VERSION;
  out->fw_id = fw_id;
  out->mac = mac_hex_;
  out->uptime_s = clock_.now_ms() / 1000;
  // The process heap stands for the chip's RAM (glibc's arena figures).
  struct mallinfo2 mi = mallinfo2();
  out->ram_size = static_cast<uint32_t>(mi.arena);
  out->ram_free = static_cast<uint32_t>(mi.fordblks);
  if (out->ram_free < ram_min_free_) ram_min_free_ = out->ram_free;
  out->ram_min_free = ram_min_free_;
  if (fs_ok_) {
    FsInfo fi = fs_.info();
    out->fs_size = fi.total;
    out->fs_free = fi.free;
  }
  out->wifi_status = to_string(wifi_.status());
  // A view of the member, not of a temporary std::string.
  out->wifi_ssid = wifi_.status() == WifiStatus::kDisconnected ? std::string_view()
                                                                 : std::string_view(wifi_.ssid());
  out->wifi_ip = wifi_.ip();
}

void Board::on_wifi(WifiStatus s, void* ctx) {
  auto* b = static_cast<Board*>(ctx);
  static bool was_up = false;
  bool up = s == WifiStatus::kGotIp;
  if (up != was_up && b->net_fn_ != nullptr) b->net_fn_(up, b->net_ctx_);
  if (up != was_up && !up) b->tcp_.close();
  was_up = up;
}

void Board::start_wifi() {
  for (const AccessPoint& ap : o_.aps) wifi_.add_access_point(ap);
  wifi_.set_event_handler(&Board::on_wifi, this);
  if (!config_.get_bool("wifi.sta.enable", false)) {
    MOS_LOGI("WiFi STA: disabled (set wifi.sta.enable, wifi.sta.ssid, wifi.sta.pass)");
    return;
  }
  std::string ssid(config_.get_string("wifi.sta.ssid"));
  std::string pass(config_.get_string("wifi.sta.pass"));
  if (wifi_.connect(ssid, pass) != Status::kOk) {
    MOS_LOGE("WiFi STA: bad wifi.sta.ssid \"%s\"", ssid.c_str());
  }
}

void Board::reexec(char** argv) {
  MOS_LOGI("rebooting");
  chan_.flush();
  flash_.close();
  ctl_.close();
  // Nothing but the console survives the reboot: sockets the app left open
  // (MQTT, TLS) must close as a chip's would, not leak into the next boot.
  (void)close_range(3, ~0u, CLOSE_RANGE_CLOEXEC);
  // The pty master survives exec, so a tool holding the port keeps it.
  int fd = uart_.fd();
  (void)fcntl(fd, F_SETFD, 0);
  std::vector<std::string> args = {argv[0], "--name", o_.name, "--dir", ".", "--flash-size",
                                   std::to_string(o_.flash_size), "--uart-fd", std::to_string(fd),
                                   "--boot", std::to_string(o_.boot + 1), "--reset-reason",
                                   "software reboot", "--flash-sync",
                                   o_.flash_sync == FileFlash::Sync::kEveryWrite ? "every-write" : "on-flush"};
  for (const std::string& a : o_.ap_specs) {
    args.push_back("--ap");
    args.push_back(a);
  }
  std::vector<char*> av;
  for (std::string& a : args) av.push_back(a.data());
  av.push_back(nullptr);
  std::fflush(stdout);
  execv("/proc/self/exe", av.data());
  std::fprintf(stderr, "reboot failed: exec: %s\n", std::strerror(errno));
}

int Board::run(char** argv) {
  if (!boot_hardware()) return 1;
  mount_store();
  load_config();
  write_board_file("running");

  static rpc::SysService sys(rpc_, *this, loop_);
  (void)sys.register_handlers();
  static rpc::ConfigService config_rpc(rpc_, cfg_, this, loop_);
  (void)config_rpc.register_handlers();
  if (fs_ok_) {
    static rpc::FsService fs_rpc(rpc_, fs_);
    (void)fs_rpc.register_handlers();
  }
  register_gpio_rpc();

  Status s = mos_app_init(*this);
  if (s != Status::kOk) MOS_LOGE("app %s: init failed: %s", MOS_APP_NAME, to_string(s));
  start_wifi();

  while (!g_stop && !reboot_) loop_.run_once(100);

  if (reboot_) {
    write_board_file("rebooting");
    reexec(argv);
    return 1;
  }
  MOS_LOGI("power off");
  chan_.flush();
  write_board_file("stopped");
  flash_.close();
  ctl_.close();
  return 0;
}

}  // namespace
}  // namespace mos::sim

int main(int argc, char** argv) {
  mos::sim::Options o;
  if (!mos::sim::parse_options(argc, argv, &o)) return 2;
  if (o.dir != "." && chdir(o.dir.c_str()) != 0) {
    std::fprintf(stderr, "cannot enter board directory %s: %s\n", o.dir.c_str(), std::strerror(errno));
    return 1;
  }
  struct sigaction sa{};
  sa.sa_handler = mos::sim::on_signal;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
  static mos::sim::Board board(std::move(o));
  return board.run(argv);
}

#include "runtime.h"

#include <cstdio>
#include <cstring>

#include "mos/log.h"
#include "mos/require.h"
#include "mos/sim/console.h"
#include "mos/sim/flash_layout.h"

#ifndef MOS_APP_NAME
#define MOS_APP_NAME "app"
#endif
#ifndef MOS_APP_VERSION
#define MOS_APP_VERSION "0.0.0"
#endif

namespace mos::sim::fw {

Runtime::Runtime(const mos_rom_api& rom)
    : rom_(rom), clock_(rom), random_(rom), uart_(rom), flash_(rom), gpio_(rom), tcp_(rom),
      waiter_(rom), wall_(rom), loop_(clock_), chan_(uart_, rpc_),
      sys_rpc_(rpc_, *this, loop_), config_rpc_(rpc_, cfg_, this, loop_), fs_rpc_(rpc_, fs_),
      gpio_rpc_(rpc_, gpio_) {}

// Log records become "[Nov 27 06:01:02.123] I message" lines on UART0
// (through the RPC channel's queue, so they never split a frame) and in the
// board's console.log.
void Runtime::log_sink(LogLevel level, std::string_view msg, void* ctx) {
  auto* self = static_cast<Runtime*>(ctx);
  char buf[MOS_LOG_LINE_MAX + 40];
  size_t n = format_log_line(self->rom_.unix_ms(), level, msg, buf, sizeof(buf));
  self->chan_.write_log_line(std::string_view(buf, n));
  self->rom_.console_line(buf, static_cast<uint32_t>(n));
}

bool Runtime::start_console() {
  rom_.chip_info(&chip_);
  std::snprintf(mac_hex_, sizeof(mac_hex_), "%02X%02X%02X%02X%02X%02X", chip_.mac[0], chip_.mac[1],
                chip_.mac[2], chip_.mac[3], chip_.mac[4], chip_.mac[5]);
  set_log_sink(&Runtime::log_sink, this);
  loop_.set_waiter(&waiter_);
  if (!require_poller(loop_, &chan_, "the UART0 RPC channel") ||
      !require_poller(loop_, this, "the Wi-Fi watch")) {
    return false;
  }
  MOS_LOGI("%s %s (fw_id %s) on %s, boot #%u, reset reason: %s", MOS_APP_NAME, MOS_APP_VERSION,
           chip_.fw_id, chip_.chip, static_cast<unsigned>(chip_.boot_count), chip_.reset_reason);
  return true;
}

void Runtime::mount_store() {
  // The store's partition is fixed by the flash layout that `mos build`
  // wrote the fs part to.
  const uint32_t ss = flash_.sector_size();
  if (flash_.size() < kFsAddr + kFsSize || ss == 0 || kFsSize / ss > kFsMaxSectors) {
    MOS_LOGE("fs: flash of %u bytes has no room for the store at 0x%x",
             static_cast<unsigned>(flash_.size()), static_cast<unsigned>(kFsAddr));
    return;
  }
  Span<FsSector> secs(sectors_, kFsSize / ss);
  if (fs_.init(flash_, kFsAddr, kFsSize, secs) != Status::kOk) {
    MOS_LOGE("fs: cannot use 0x%x..0x%x for the store", static_cast<unsigned>(kFsAddr),
             static_cast<unsigned>(kFsAddr + kFsSize));
    return;
  }
  // A blank (erased) partition mounts as an empty store; only a store that
  // cannot be read is formatted, which loses its files, so say so.
  Status s = fs_.mount();
  if (s != Status::kOk) {
    MOS_LOGE("fs: mount failed (%s): formatting %u KB at 0x%x", to_string(s),
             static_cast<unsigned>(kFsSize / 1024), static_cast<unsigned>(kFsAddr));
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

Status Runtime::read_file(std::string_view name, Span<char> out, size_t* len) {
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

void Runtime::load_config() {
  Status s = cfg_.init(kMosConfigSchema, &cfg_cur_, &cfg_base_,
                       Span<char>(cfg_work_, sizeof(cfg_work_)), fs_ok_ ? &fs_ : nullptr,
                       ConstByteSpan(chip_.mac, sizeof(chip_.mac)));
  if (s == Status::kOk) s = cfg_.load();
  if (s != Status::kOk) MOS_LOGE("config: %s (%s)", to_string(s), cfg_.error());
  if (cfg_.error()[0] != '\0') MOS_LOGW("config: %s", cfg_.error());
  int32_t level = 2;
  if (cfg_.get_int("debug.level", &level) && level >= 0 && level <= 3) {
    set_log_level(static_cast<LogLevel>(level));
  }
  std::string_view id = config_.get_string("device.id");
  if (id.size() >= sizeof(device_id_)) id = id.substr(0, sizeof(device_id_) - 1);
  std::memcpy(device_id_, id.data(), id.size());
  device_id_[id.size()] = '\0';
  rpc_.set_device_id(device_id_);
  MOS_LOGI("config: device.id %s", device_id_);
}

// A service that cannot register would leave the board half-reachable: say
// which and stop the boot rather than run without it.
bool Runtime::register_services() {
  constexpr const char* kLimit = "MOS_RPC_MAX_HANDLERS";
  return require(sys_rpc_.register_handlers(), "the Sys.* and RPC.* methods", kLimit) &&
         require(config_rpc_.register_handlers(), "the Config.* methods", kLimit) &&
         require(gpio_rpc_.register_handlers(), "the GPIO.* methods", kLimit) &&
         (!fs_ok_ || require(fs_rpc_.register_handlers(), "the FS.* methods", kLimit));
}

Transport* Runtime::tcp() {
  if (tcp_given_) return nullptr;
  tcp_given_ = true;
  return &tcp_;
}

void Runtime::poll(uint64_t /*now_ms*/) {
  bool up = network_up();
  if (up == net_up_) return;
  net_up_ = up;
  if (!up) tcp_.close();
  if (net_fn_ != nullptr) net_fn_(up, net_ctx_);
}

void Runtime::start_wifi() {
  if (!config_.get_bool("wifi.sta.enable", false)) {
    MOS_LOGI("WiFi STA: disabled (set it with: mos wifi SSID PASSWORD)");
    return;
  }
  char ssid[64], pass[128];
  std::snprintf(ssid, sizeof(ssid), "%.*s", static_cast<int>(config_.get_string("wifi.sta.ssid").size()),
                config_.get_string("wifi.sta.ssid").data());
  std::snprintf(pass, sizeof(pass), "%.*s", static_cast<int>(config_.get_string("wifi.sta.pass").size()),
                config_.get_string("wifi.sta.pass").data());
  if (rom_.wifi_connect(ssid, pass) != MOS_ROM_OK) {
    MOS_LOGE("WiFi STA: bad wifi.sta.ssid \"%s\"", ssid);
  }
}

void Runtime::get_info(rpc::SysInfo* out) {
  rom_.chip_info(&chip_);
  out->app = MOS_APP_NAME;
  out->arch = "sim";
  out->fw_version = MOS_APP_VERSION;
  out->fw_id = chip_.fw_id;
  out->mac = mac_hex_;
  out->uptime_s = clock_.now_ms() / 1000;
  out->ram_size = chip_.ram_size;
  out->ram_free = chip_.ram_free;
  if (out->ram_free < ram_min_free_) ram_min_free_ = out->ram_free;
  out->ram_min_free = ram_min_free_;
  if (fs_ok_) {
    FsInfo fi = fs_.info();
    out->fs_size = fi.total;
    out->fs_free = fi.free;
  }
  static const char* const kWifi[] = {"disconnected", "connecting", "connected", "got ip"};
  int32_t ws = rom_.wifi_status();
  out->wifi_status = ws >= 0 && ws <= 3 ? kWifi[ws] : "unknown";
  out->wifi_ssid = ws == 0 ? "" : rom_.wifi_ssid();
  out->wifi_ip = rom_.wifi_ip();
}

int Runtime::run() {
  if (!start_console()) return 1;
  mount_store();
  load_config();
  if (!register_services()) {
    // RPC still answers whatever did register; nothing else starts.
    while (!reboot_) loop_.run_once(1000);
    rom_.restart("software reboot");
  }
  Status s = mos_app_init(*this);
  boot_arena_.seal();  // no allocation after init
  if (s != Status::kOk) MOS_LOGE("app %s: init failed: %s", MOS_APP_NAME, to_string(s));
  if (boot_arena_.used() > 0) {
    MOS_LOGI("boot: the app took %u of %u bytes of boot memory (MOS_BOOT_ARENA_BYTES)",
             static_cast<unsigned>(boot_arena_.used()), static_cast<unsigned>(boot_arena_.capacity()));
  }
  start_wifi();
  while (!reboot_) loop_.run_once(1000);
  MOS_LOGI("rebooting");
  chan_.flush();
  rom_.restart("software reboot");
  return 0;
}

}  // namespace mos::sim::fw

// The firmware runtime of the virtual board: what runs after the ROM found a
// valid image in flash and jumped to it. Boot order, as on a Mongoose OS
// device: flash store (formatted when unreadable), config (defaults +
// conf1..9), RPC on UART0, the built-in services, the app, then Wi-Fi from
// wifi.sta.*; the app hears "network up" after "got IP".
//
// It reaches the chip only through the ROM API (rom_hal.h), and keeps all
// its state in this one object, which the entry point makes static: no
// allocation after boot, as on the chip.
#pragma once
#include <cstdint>
#include <string_view>

#include "config_view.h"
#include "mos/app.h"
#include "mos/arena.h"
#include "mos/config.h"
#include "mos/defaults.h"
#include "mos/event_loop.h"
#include "mos/fs.h"
#include "mos/rpc.h"
#include "mos/rpc_gpio.h"
#include "mos/rpc_store.h"
#include "mos/rpc_sys.h"
#include "mos/rpc_uart.h"
#include "mos/sim/rom_api.h"
#include "mos/tls.h"
#include "mos_config.h"  // generated from mos_core.yml + the app's mos.yml
#include "rom_hal.h"

namespace mos::sim::fw {

class RomWallClock : public tls::WallClock {
 public:
  explicit RomWallClock(const mos_rom_api& rom) : rom_(rom) {}
  int64_t unix_seconds() const override { return rom_.unix_ms() / 1000; }

 private:
  const mos_rom_api& rom_;
};

class Runtime : public app::Context, public rpc::SysPort, public Poller {
 public:
  explicit Runtime(const mos_rom_api& rom);
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // Boots and runs the firmware; returns only when the chip stops it.
  int run();

  // app::Context
  EventLoop& loop() override { return loop_; }
  const Clock& clock() override { return clock_; }
  Random& random() override { return random_; }
  Gpio& gpio() override { return gpio_; }
  const app::Config& config() override { return config_; }
  const tls::WallClock* wall_clock() override { return &wall_; }
  rpc::Dispatcher& rpc() override { return rpc_; }
  Status read_file(std::string_view name, Span<char> out, size_t* len) override;
  Status boot_buffer(size_t size, size_t align, ByteSpan* out) override { return boot_arena_.take(size, align, out); }
  Transport* tcp() override;
  void on_network(app::NetworkFn fn, void* ctx) override {
    net_fn_ = fn;
    net_ctx_ = ctx;
  }
  void on_uart_line(app::UartLineFn fn, void* ctx) override { chan_.set_line_handler(fn, ctx); }
  bool network_up() const override { return rom_.wifi_status() == 3; }
  std::string_view device_id() const override { return device_id_; }
  std::string_view mac() const override { return mac_hex_; }

  // rpc::SysPort
  void get_info(rpc::SysInfo* out) override;
  void reboot() override { reboot_ = true; }

  // Poller: notices Wi-Fi changes (the chip reports status, not events).
  void poll(uint64_t now_ms) override;

 private:
  static constexpr uint32_t kFsMaxSectors = 64;

  bool start_console();
  void mount_store();
  void load_config();
  bool register_services();
  void start_wifi();
  static void log_sink(LogLevel level, std::string_view msg, void* ctx);

  const mos_rom_api& rom_;
  RomClock clock_;
  RomRandom random_;
  RomUart uart_;
  RomFlash flash_;
  RomGpio gpio_;
  RomTransport tcp_;
  RomWaiter waiter_;
  RomWallClock wall_;
  EventLoop loop_;
  bool tcp_given_ = false;

  Fs fs_;
  FsSector sectors_[kFsMaxSectors];
  bool fs_ok_ = false;

  // What apps size from their config at boot (Context::boot_buffer); static
  // storage like the rest of the runtime, sealed when mos_app_init() returns.
  alignas(16) uint8_t boot_bytes_[MOS_BOOT_ARENA_BYTES];
  BootArena boot_arena_{ByteSpan(boot_bytes_)};

  mos::Config cfg_;
  MosConfig cfg_cur_{}, cfg_base_{};
  char cfg_work_[4096];
  ConfigView config_{cfg_};

  rpc::Dispatcher rpc_;
  rpc::UartChannel chan_;
  rpc::SysService sys_rpc_;
  rpc::ConfigService config_rpc_;
  rpc::FsService fs_rpc_;
  rpc::GpioService gpio_rpc_;

  mos_chip_info chip_{};
  char device_id_[64] = {};
  char mac_hex_[13] = {};
  app::NetworkFn net_fn_ = nullptr;
  void* net_ctx_ = nullptr;
  bool net_up_ = false;
  bool reboot_ = false;
  uint32_t ram_min_free_ = UINT32_MAX;
};

}  // namespace mos::sim::fw

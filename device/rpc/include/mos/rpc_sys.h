// Built-in RPC services: RPC.List, RPC.Ping, Sys.GetInfo, Sys.Reboot.
// The port supplies the facts and the reboot through SysPort.
#pragma once
#include <cstdint>
#include <string_view>

#include "mos/event_loop.h"
#include "mos/rpc.h"

namespace mos::rpc {

// What Sys.GetInfo reports. The views must stay valid for the duration of the
// RPC call that asked (get_info() is called and the reply written right away).
struct SysInfo {
  std::string_view app;         // "c_mqtt"
  std::string_view arch;        // "sim", "esp8266"
  std::string_view fw_version;  // "1.0"
  std::string_view fw_id;       // build id, e.g. "20261127-101500"
  std::string_view mac;         // 12 upper-case hex digits, as Mongoose OS prints it
  uint64_t uptime_s = 0;
  uint32_t ram_size = 0, ram_free = 0, ram_min_free = 0;
  uint32_t fs_size = 0, fs_free = 0;
  std::string_view wifi_status;  // "disconnected", "connecting", "got ip"
  std::string_view wifi_ssid;
  std::string_view wifi_ip;      // station IP, "" when none
};

class SysPort {
 public:
  virtual ~SysPort() = default;
  virtual void get_info(SysInfo* out) = 0;
  // Restarts the device; called from the event loop after Sys.Reboot's delay.
  virtual void reboot() = 0;
};

// Registers the four built-in methods. Keep the object alive as long as the
// dispatcher (handlers point at it).
//   RPC.List                 -> ["RPC.List","RPC.Ping",...] every registered method
//   RPC.Ping                 -> {"channel_info":"UART0"}
//   Sys.GetInfo              -> {"app":..,"arch":..,"fw_version":..,"fw_id":..,"mac":..,
//                                "uptime":s,"ram_size":..,"ram_free":..,"ram_min_free":..,
//                                "fs_size":..,"fs_free":..,
//                                "wifi":{"status":..,"ssid":..,"ip":..,"sta_ip":..}}
//   Sys.Reboot {delay_ms}    -> {} now, SysPort::reboot() after delay_ms (default 100)
class SysService {
 public:
  static constexpr uint32_t kDefaultRebootDelayMs = 100;

  SysService(Dispatcher& d, SysPort& port, EventLoop& loop) : d_(d), port_(port), loop_(loop) {}
  SysService(const SysService&) = delete;
  SysService& operator=(const SysService&) = delete;
  Status register_handlers();

 private:
  static void rpc_list(Call& call, void* ctx);
  static void rpc_ping(Call& call, void* ctx);
  static void sys_get_info(Call& call, void* ctx);
  static void sys_reboot(Call& call, void* ctx);
  static void reboot_now(void* ctx);

  Dispatcher& d_;
  SysPort& port_;
  EventLoop& loop_;
  TimerId reboot_timer_ = kNoTimer;
};

}  // namespace mos::rpc

#include "mos/log.h"
#include "mos/rpc_sys.h"

namespace mos::rpc {

Status SysService::register_handlers() {
  Status s;
  if ((s = d_.add_handler("RPC.List", rpc_list, this)) != Status::kOk) return s;
  if ((s = d_.add_handler("RPC.Ping", rpc_ping, this)) != Status::kOk) return s;
  if ((s = d_.add_handler("Sys.GetInfo", sys_get_info, this)) != Status::kOk) return s;
  return d_.add_handler("Sys.Reboot", sys_reboot, this);
}

void SysService::rpc_list(Call& call, void* ctx) {
  auto* self = static_cast<SysService*>(ctx);
  json::Writer& w = call.result();
  w.begin_array();
  for (size_t i = 0; i < self->d_.handler_count(); ++i) w.string_value(self->d_.handler_name(i));
  w.end_array();
}

void SysService::rpc_ping(Call& call, void* /*ctx*/) {
  const char* info = call.channel() != nullptr ? call.channel()->info() : "";
  call.result().begin_object().key("channel_info").string_value(info).end_object();
}

void SysService::sys_get_info(Call& call, void* ctx) {
  auto* self = static_cast<SysService*>(ctx);
  SysInfo i;
  self->port_.get_info(&i);
  json::Writer& w = call.result();
  w.begin_object()
      .key("app").string_value(i.app)
      .key("arch").string_value(i.arch)
      .key("fw_version").string_value(i.fw_version)
      .key("fw_id").string_value(i.fw_id)
      .key("mac").string_value(i.mac)
      .key("uptime").uint_value(i.uptime_s)
      .key("ram_size").uint_value(i.ram_size)
      .key("ram_free").uint_value(i.ram_free)
      .key("ram_min_free").uint_value(i.ram_min_free)
      .key("fs_size").uint_value(i.fs_size)
      .key("fs_free").uint_value(i.fs_free)
      .key("wifi").begin_object()
          .key("status").string_value(i.wifi_status)
          .key("ssid").string_value(i.wifi_ssid)
          .key("ip").string_value(i.wifi_ip)
          .key("sta_ip").string_value(i.wifi_ip)  // Mongoose OS's name for it
      .end_object()
      .end_object();
}

void SysService::sys_reboot(Call& call, void* ctx) {
  auto* self = static_cast<SysService*>(ctx);
  int delay = static_cast<int>(kDefaultRebootDelayMs);
  json::Token t;
  if (call.params().type != json::Type::kInvalid && !call.params().is_null()) {
    if (!call.params().is_object()) {
      return call.error(400, "params must be an object, e.g. {\"delay_ms\": 500}");
    }
    json::Result r = json::find(call.params(), "delay_ms", &t);
    if (r == json::Result::kOk) {
      if (json::as_int(t, &delay) != json::Result::kOk || delay < 0) {
        return call.error(400, "delay_ms must be a non-negative integer (milliseconds)");
      }
    }
  }
  self->loop_.cancel_timer(self->reboot_timer_);
  self->reboot_timer_ =
      self->loop_.add_timer(static_cast<uint32_t>(delay), false, reboot_now, self);
  if (self->reboot_timer_ == kNoTimer) {
    return call.error(500, "no free timer to schedule the reboot; try again");
  }
  MOS_LOGI("rpc: rebooting in %d ms", delay);
  call.result().begin_object().end_object();
}

void SysService::reboot_now(void* ctx) {
  auto* self = static_cast<SysService*>(ctx);
  self->reboot_timer_ = kNoTimer;
  self->port_.reboot();
}

}  // namespace mos::rpc

#include <cstdio>

#include "mos/log.h"
#include "mos/rpc_store.h"

namespace mos::rpc {
namespace {

// Reads an optional boolean member; false (after replying 400) if it has
// another type.
bool opt_bool(Call& call, const char* name, bool* out) {
  *out = false;
  if (!call.params().is_object()) return true;
  json::Token t;
  if (json::find(call.params(), name, &t) != json::Result::kOk || t.is_null()) return true;
  if (json::as_bool(t, out) != json::Result::kOk) {
    char msg[96];
    std::snprintf(msg, sizeof(msg), "%s must be true or false", name);
    call.error(400, msg);
    return false;
  }
  return true;
}

bool params_ok(Call& call, const char* example) {
  const json::Token& p = call.params();
  if (p.type == json::Type::kInvalid || p.is_null() || p.is_object()) return true;
  char msg[128];
  std::snprintf(msg, sizeof(msg), "params must be an object, e.g. %s", example);
  call.error(400, msg);
  return false;
}

int http_code(Status s) {
  switch (s) {
    case Status::kNotFound: return 404;
    case Status::kInvalidArg:
    case Status::kNoSpace:
    case Status::kMalformed: return 400;
    default: return 500;
  }
}

}  // namespace

Status ConfigService::register_handlers() {
  Status s;
  if ((s = d_.add_handler("Config.Get", get, this)) != Status::kOk) return s;
  if ((s = d_.add_handler("Config.Set", set, this)) != Status::kOk) return s;
  return d_.add_handler("Config.Save", save, this);
}

void ConfigService::get(Call& call, void* ctx) {
  auto* self = static_cast<ConfigService*>(ctx);
  if (!params_ok(call, "{\"key\": \"mqtt.server\"}")) return;
  char key[Config::kMaxPath] = {};
  size_t klen = 0;
  json::Token t;
  if (call.params().is_object() && json::find(call.params(), "key", &t) == json::Result::kOk && !t.is_null()) {
    if (!t.is_string() || json::as_string(t, Span<char>(key, sizeof(key)), &klen) != json::Result::kOk) {
      return call.error(400, "key must be a string such as \"wifi.sta\" or \"mqtt.server\"");
    }
  }
  std::string_view k(key, klen);
  if (!k.empty() && self->cfg_.find(k) == nullptr) {
    char msg[Config::kMaxPath + 64];
    std::snprintf(msg, sizeof(msg), "unknown config key '%s'; Config.Get without a key lists them", key);
    return call.error(404, msg);
  }
  // Too big for a reply: the dispatcher turns the overflow into a 500.
  (void)self->cfg_.get(k, call.result());
}

bool ConfigService::save_and_reboot(Call& call, bool reboot) {
  if (reboot && port_ == nullptr) {
    call.error(400, "this device cannot reboot on request; save without reboot");
    return false;
  }
  Status s = cfg_.save();
  if (s != Status::kOk) {
    char msg[200];
    std::snprintf(msg, sizeof(msg), "saving failed: %s", cfg_.error());
    call.error(500, msg);
    return false;
  }
  if (reboot) {
    loop_.cancel_timer(reboot_timer_);
    reboot_timer_ = loop_.add_timer(kRebootDelayMs, false, reboot_now, this);
    if (reboot_timer_ == kNoTimer) {
      call.error(500, "saved, but no free timer to schedule the reboot; call Sys.Reboot");
      return false;
    }
    MOS_LOGI("config: saved; rebooting in %u ms", static_cast<unsigned>(kRebootDelayMs));
  }
  return true;
}

void ConfigService::set(Call& call, void* ctx) {
  auto* self = static_cast<ConfigService*>(ctx);
  const char* kExample = "{\"config\": {\"wifi\": {\"sta\": {\"ssid\": \"x\"}}}, \"save\": true}";
  json::Token patch;
  if (!call.params().is_object() || json::find(call.params(), "config", &patch) != json::Result::kOk ||
      !patch.is_object()) {
    char msg[160];
    std::snprintf(msg, sizeof(msg), "config must be an object, e.g. %s", kExample);
    return call.error(400, msg);
  }
  bool save = false, reboot = false;
  if (!opt_bool(call, "save", &save) || !opt_bool(call, "reboot", &reboot)) return;
  Status s = self->cfg_.set(patch);
  if (s != Status::kOk) return call.error(http_code(s), self->cfg_.error());
  if (save && !self->save_and_reboot(call, reboot)) return;
  call.result().begin_object().key("saved").bool_value(save).end_object();
}

void ConfigService::save(Call& call, void* ctx) {
  auto* self = static_cast<ConfigService*>(ctx);
  if (!params_ok(call, "{\"reboot\": true}")) return;
  bool reboot = false;
  if (!opt_bool(call, "reboot", &reboot)) return;
  if (!self->save_and_reboot(call, reboot)) return;
  call.result().begin_object().key("saved").bool_value(true).end_object();
}

void ConfigService::reboot_now(void* ctx) {
  auto* self = static_cast<ConfigService*>(ctx);
  self->reboot_timer_ = kNoTimer;
  if (self->port_ != nullptr) self->port_->reboot();
}

}  // namespace mos::rpc

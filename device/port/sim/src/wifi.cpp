#include "mos/sim/wifi.h"

#include "mos/log.h"

namespace mos::sim {

const char* to_string(WifiStatus s) {
  switch (s) {
    case WifiStatus::kDisconnected: return "disconnected";
    case WifiStatus::kConnecting: return "connecting";
    case WifiStatus::kConnected: return "connected";
    case WifiStatus::kGotIp: return "got ip";
  }
  return "?";
}

Status parse_access_point(std::string_view spec, AccessPoint* out, std::string* why) {
  const size_t colon = spec.find(':');
  std::string_view ssid = spec.substr(0, colon);
  std::string_view pass = colon == std::string_view::npos ? std::string_view() : spec.substr(colon + 1);
  auto fail = [why](const char* text) {
    if (why != nullptr) *why = text;
    return Status::kInvalidArg;
  };
  if (ssid.empty()) return fail("the SSID is empty: use SSID:PASS, or SSID for an open network");
  // IEEE 802.11 §9.4.2.2: an SSID is 0..32 octets.
  if (ssid.size() > 32) return fail("the SSID is longer than 32 bytes");
  // IEEE 802.11i (WPA2-PSK): a passphrase is 8..63 printable characters.
  if (!pass.empty() && (pass.size() < 8 || pass.size() > 63)) {
    return fail("a WPA2 password has 8 to 63 characters (leave it out for an open network)");
  }
  out->ssid = std::string(ssid);
  out->pass = std::string(pass);
  return Status::kOk;
}

VirtualWifi::~VirtualWifi() { loop_.cancel_timer(timer_); }

Status VirtualWifi::connect(std::string_view ssid, std::string_view pass) {
  if (ssid.empty() || ssid.size() > 32) return Status::kInvalidArg;
  disconnect();
  ssid_ = std::string(ssid);
  pass_ = std::string(pass);
  wanted_ = true;
  attempts_ = 0;
  retry_ms_ = kRetryMinMs;
  MOS_LOGI("WiFi STA: connecting to %s", ssid_.c_str());
  set_status(WifiStatus::kConnecting);
  arm(kAssocMs);
  return Status::kOk;
}

void VirtualWifi::disconnect() {
  loop_.cancel_timer(timer_);
  timer_ = kNoTimer;
  wanted_ = false;
  if (status_ != WifiStatus::kDisconnected) {
    MOS_LOGI("WiFi STA: disconnected");
    set_status(WifiStatus::kDisconnected);
  }
}

void VirtualWifi::remove_access_point(std::string_view ssid) {
  for (auto it = aps_.begin(); it != aps_.end();) {
    it = it->ssid == ssid ? aps_.erase(it) : it + 1;
  }
  if (wanted_ && ssid_ == ssid &&
      (status_ == WifiStatus::kConnected || status_ == WifiStatus::kGotIp)) {
    set_status(WifiStatus::kDisconnected);
    retry_later("beacon timeout");
  }
}

void VirtualWifi::arm(uint32_t ms) {
  loop_.cancel_timer(timer_);
  timer_ = loop_.add_timer(ms, false, &VirtualWifi::on_timer, this);
}

void VirtualWifi::on_timer(void* ctx) {
  auto* self = static_cast<VirtualWifi*>(ctx);
  self->timer_ = kNoTimer;
  self->step();
}

void VirtualWifi::retry_later(const char* reason) {
  // The SDK keeps retrying on its own; we double the pause between attempts
  // so a board with a wrong password does not flood its log.
  MOS_LOGW("WiFi STA: %s, retrying in %u ms", reason, static_cast<unsigned>(retry_ms_));
  if (status_ != WifiStatus::kConnecting) set_status(WifiStatus::kConnecting);
  arm(retry_ms_);
  retry_ms_ = retry_ms_ * 2 > kRetryMaxMs ? kRetryMaxMs : retry_ms_ * 2;
}

void VirtualWifi::step() {
  if (!wanted_) return;
  if (status_ == WifiStatus::kConnecting) {
    ++attempts_;
    const AccessPoint* ap = nullptr;
    for (const AccessPoint& a : aps_) {
      if (a.ssid == ssid_) ap = &a;
    }
    if (ap == nullptr) {
      MOS_LOGE("WiFi STA: no AP found: %s", ssid_.c_str());
      retry_later("no AP found");
      return;
    }
    if (ap->pass != pass_) {
      MOS_LOGE("WiFi STA: auth failed: %s (wrong password?)", ssid_.c_str());
      retry_later("auth failed");
      return;
    }
    MOS_LOGI("WiFi STA: connected to %s", ssid_.c_str());
    set_status(WifiStatus::kConnected);
    arm(kDhcpMs);
  } else if (status_ == WifiStatus::kConnected) {
    retry_ms_ = kRetryMinMs;
    MOS_LOGI("WiFi STA: got IP %s", kIp);
    set_status(WifiStatus::kGotIp);
  }
}

void VirtualWifi::set_status(WifiStatus s) {
  status_ = s;
  if (on_event_ != nullptr) on_event_(s, on_event_ctx_);
}

}  // namespace mos::sim

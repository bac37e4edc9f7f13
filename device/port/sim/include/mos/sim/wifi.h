// Virtual Wi-Fi: the access points around the board are given when it starts
// (`--ap SSID:PASS`); the station joins one only with the right SSID and
// password, and the firmware has a network only after "got IP". Timing and
// log lines follow the ESP8266 SDK as seen through Mongoose OS: a wrong
// password is "auth failed" and is retried with a doubling back-off, an
// unknown SSID is "no AP found".
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mos/event_loop.h"

namespace mos::sim {

enum class WifiStatus { kDisconnected, kConnecting, kConnected, kGotIp };
const char* to_string(WifiStatus s);  // "disconnected", "connecting", "connected", "got ip"

struct AccessPoint {
  std::string ssid;
  std::string pass;  // empty: an open network
};
// "SSID:PASS" (split at the first ':') or "SSID" for an open network.
// kInvalidArg for an empty SSID, an SSID over 32 bytes (IEEE 802.11 §9.4.2.2)
// or a WPA2 passphrase outside 8..63 characters.
Status parse_access_point(std::string_view spec, AccessPoint* out, std::string* why);

class VirtualWifi {
 public:
  // The station's address on the virtual network: the host's loopback,
  // because that is the network the board really has.
  static constexpr const char* kIp = "127.0.0.1";
  static constexpr uint32_t kAssocMs = 150;   // scan + association
  static constexpr uint32_t kDhcpMs = 100;    // "connected" to "got ip"
  static constexpr uint32_t kRetryMinMs = 1000;
  static constexpr uint32_t kRetryMaxMs = 16000;

  // Events go to the handler in the order a real station reports them.
  using EventFn = void (*)(WifiStatus status, void* ctx);

  explicit VirtualWifi(EventLoop& loop) : loop_(loop) {}
  ~VirtualWifi();
  VirtualWifi(const VirtualWifi&) = delete;
  VirtualWifi& operator=(const VirtualWifi&) = delete;

  void add_access_point(AccessPoint ap) { aps_.push_back(std::move(ap)); }
  void set_event_handler(EventFn fn, void* ctx) {
    on_event_ = fn;
    on_event_ctx_ = ctx;
  }

  // Starts joining; keeps retrying until it succeeds or disconnect().
  Status connect(std::string_view ssid, std::string_view pass);
  void disconnect();
  // The AP disappears (switched off): a joined station loses the network and
  // retries, as it would after a beacon timeout.
  void remove_access_point(std::string_view ssid);

  WifiStatus status() const { return status_; }
  bool has_ip() const { return status_ == WifiStatus::kGotIp; }
  const std::string& ssid() const { return ssid_; }
  const char* ip() const { return has_ip() ? kIp : ""; }
  uint32_t attempts() const { return attempts_; }
  uint32_t next_retry_ms() const { return retry_ms_; }

 private:
  static void on_timer(void* ctx);
  void step();
  void set_status(WifiStatus s);
  void arm(uint32_t ms);
  void retry_later(const char* reason);

  EventLoop& loop_;
  std::vector<AccessPoint> aps_;
  std::string ssid_, pass_;
  WifiStatus status_ = WifiStatus::kDisconnected;
  bool wanted_ = false;
  TimerId timer_ = kNoTimer;
  uint32_t attempts_ = 0;
  uint32_t retry_ms_ = kRetryMinMs;
  EventFn on_event_ = nullptr;
  void* on_event_ctx_ = nullptr;
};

}  // namespace mos::sim

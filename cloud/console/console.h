// The web console of mos-cloud (README): everything under /console on the
// HTTP(S) listeners. handle() answers the static page and the REST API;
// upgrade() accepts the live channel (WebSocket GET /console/api/live) for
// HttpServer's UpgradeHandler. Checks, in order: the route exists, the login
// cookie (401), the Origin (403), X-Mos-Console on POSTs (403).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "api.h"
#include "broker.h"
#include "denials.h"
#include "http_server.h"
#include "live_watcher.h"
#include "login_sessions.h"
#include "mos/registry/registry.h"
#include "views.h"

namespace mos::console {

struct ConsoleConfig {
  std::string access_key_id, secret_access_key;  // the local cloud's credentials (cloud::Settings)
  ServiceIdentities ids;
  DenialReader denials;  // Registry::denials() in mos-cloud; empty: /console/api/denials answers 501
  std::chrono::milliseconds poll_interval{300};
};

class Console {
 public:
  Console(ConsoleConfig cfg, registry::Registry& reg, Broker& broker,
          std::function<int64_t()> now_s = nullptr);  // unix seconds; default: the system clock
  ~Console();  // stop()

  // Whether `target` (path + query) is the console's: /console, /console/...
  static bool owns(std::string_view target);
  cloud::Response handle(const sigv4::Request& req);
  std::shared_ptr<cloud::LiveHandler> upgrade(const sigv4::Request& req, std::shared_ptr<cloud::LiveChannel> channel,
                                              cloud::Response& reject);

  // The live watcher's thread.
  void start();
  void stop();

  LoginSessions& logins() { return logins_; }
  LiveWatcher& watcher() { return watcher_; }

 private:
  cloud::Response api(const sigv4::Request& req, std::string_view route, std::string_view query);
  cloud::Response login(const sigv4::Request& req);
  cloud::Response logout(const sigv4::Request& req);
  cloud::Response session(const sigv4::Request& req);
  cloud::Response set_status(const std::string& id, const std::string& body);
  cloud::Response denials(std::string_view query);
  std::optional<uint64_t> logged_in(const sigv4::Request& req);
  nlohmann::json who() const;

  ConsoleConfig cfg_;
  registry::Registry& reg_;
  Broker& broker_;
  std::function<int64_t()> now_s_;
  LoginSessions logins_;
  LiveWatcher watcher_;
};

}  // namespace mos::console

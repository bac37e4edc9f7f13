// The registry pushes of the live channel (README "Live"), for every open tab
// from ONE thread: every interval (300 ms) it reads who is connected
// (Registry::connected_clients(), written by the policy plugin), the
// certificates' statuses and new denials, and sends a frame only when
// something changed: "connections" (each tab also gets the list once when it
// opens), "certificate" for a status that changed, "denial" for each new
// denial. It also closes the channels of logins that ended. With no tab
// open it reads nothing.
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "console_session.h"
#include "denials.h"
#include "mos/registry/registry.h"
#include "views.h"

namespace mos::console {

class LiveWatcher {
 public:
  struct Sources {
    registry::Registry* reg = nullptr;
    ServiceIdentities ids;
    DenialReader denials;                     // empty: no denial frames
    std::function<bool(uint64_t)> login_alive;  // empty: logins never end
  };

  explicit LiveWatcher(Sources sources, std::chrono::milliseconds interval = std::chrono::milliseconds(300));
  ~LiveWatcher();  // stop()

  void add(const std::shared_ptr<ConsoleSession>& tab);
  // The thread; poll() every interval until stop().
  void start();
  void stop();
  // One round (tests call it without the thread).
  void poll();
  size_t tabs();

 private:
  std::vector<std::shared_ptr<ConsoleSession>> live_tabs();
  static void broadcast(const std::vector<std::shared_ptr<ConsoleSession>>& tabs, const std::string& frame);

  Sources src_;
  std::chrono::milliseconds interval_;
  std::mutex mu_;
  std::vector<std::weak_ptr<ConsoleSession>> tabs_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
  // Baselines, touched only by poll() (the one thread); reset when no tab is open.
  std::optional<std::string> connections_;
  std::optional<std::map<std::string, std::string>> statuses_;  // certificate id -> status
  std::optional<int64_t> last_denial_;
};

}  // namespace mos::console

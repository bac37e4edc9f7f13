#include "live_watcher.h"

#include <algorithm>

namespace mos::console {

LiveWatcher::LiveWatcher(Sources sources, std::chrono::milliseconds interval)
    : src_(std::move(sources)), interval_(interval) {}

LiveWatcher::~LiveWatcher() { stop(); }

void LiveWatcher::add(const std::shared_ptr<ConsoleSession>& tab) {
  std::lock_guard<std::mutex> lock(mu_);
  tabs_.push_back(tab);
}

size_t LiveWatcher::tabs() { return live_tabs().size(); }

void LiveWatcher::start() {
  std::lock_guard<std::mutex> guard(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_) {
      lock.unlock();
      poll();
      lock.lock();
      cv_.wait_for(lock, interval_, [this] { return stop_; });
    }
  });
}

void LiveWatcher::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::vector<std::shared_ptr<ConsoleSession>> LiveWatcher::live_tabs() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::shared_ptr<ConsoleSession>> out;
  tabs_.erase(std::remove_if(tabs_.begin(), tabs_.end(),
                             [&](const std::weak_ptr<ConsoleSession>& w) {
                               auto t = w.lock();
                               if (!t || t->closed()) return true;
                               out.push_back(std::move(t));
                               return false;
                             }),
              tabs_.end());
  return out;
}

void LiveWatcher::broadcast(const std::vector<std::shared_ptr<ConsoleSession>>& tabs, const std::string& frame) {
  for (const auto& t : tabs) t->send(frame);
}

void LiveWatcher::poll() {
  auto tabs = live_tabs();
  // A login that ended (logout, 12 h idle, pushed out) takes its tabs along.
  if (src_.login_alive) {
    tabs.erase(std::remove_if(tabs.begin(), tabs.end(),
                              [&](const std::shared_ptr<ConsoleSession>& t) {
                                if (src_.login_alive(t->login_id())) return false;
                                t->end("Your console login ended (logged out or expired); log in again.");
                                return true;
                              }),
               tabs.end());
  }
  if (tabs.empty()) {
    connections_.reset();
    statuses_.reset();
    last_denial_.reset();
    return;
  }
  registry::Registry& reg = *src_.reg;

  std::string conns = to_text({{"type", "connections"}, {"connections", connections_view(reg.connected_clients(), src_.ids)}});
  bool changed = conns != connections_;
  connections_ = conns;
  for (const auto& t : tabs)
    if ((changed || !t->has_connections) && t->send(conns)) t->has_connections = true;

  std::map<std::string, std::string> now;
  std::vector<registry::Certificate> certs = reg.certificates(true);
  for (const auto& c : certs) {
    now[c.id] = c.status;
    if (!statuses_) continue;
    auto was = statuses_->find(c.id);
    if (was != statuses_->end() && was->second != c.status)
      broadcast(tabs, to_text({{"type", "certificate"}, {"certificate", certificate_view(reg, c)}}));
  }
  statuses_ = std::move(now);

  if (src_.denials) {
    if (!last_denial_) {
      // The baseline: what was recorded before these tabs opened is on the
      // Denials page, not pushed.
      DenialQuery q;
      q.limit = 1;
      auto newest = src_.denials(q);
      last_denial_ = newest.empty() ? 0 : newest.front().id;
    } else {
      DenialQuery q;
      q.after_id = *last_denial_;
      q.limit = 100;
      auto fresh = src_.denials(q);  // newest first
      for (auto it = fresh.rbegin(); it != fresh.rend(); ++it) {
        broadcast(tabs, to_text({{"type", "denial"}, {"denial", denial_view(*it)}}));
        last_denial_ = std::max(*last_denial_, it->id);
      }
    }
  }
}

}  // namespace mos::console

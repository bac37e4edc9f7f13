#include "subscription_table.h"

#include <mosquitto.h>

#include <algorithm>

namespace mos::console {

int SubscriptionTable::subscribe_qos(const std::string& filter, int qos) const {
  int q = qos;
  auto it = filters_.find(filter);
  if (it != filters_.end()) q = std::max(q, it->second.qos);
  for (const auto& [mid, p] : pending_)
    if (p.filter == filter)
      for (const auto& w : p.waiters)
        if (!w.cancelled) q = std::max(q, w.qos);
  return q;
}

void SubscriptionTable::sent(int mid, const std::string& filter, const std::shared_ptr<Subscriber>& tab, int qos,
                             SubscribeDone done) {
  Filter& f = filters_[filter];
  f.qos = std::max(f.qos, qos);
  pending_[mid] = Pending{filter, {Waiter{tab.get(), tab, qos, std::move(done)}}};
}

void SubscriptionTable::resent(int mid, const std::string& filter) { pending_[mid] = Pending{filter, {}}; }

bool SubscriptionTable::waited_for(const std::string& filter) const {
  for (const auto& [mid, p] : pending_)
    if (p.filter == filter)
      for (const auto& w : p.waiters)
        if (!w.cancelled) return true;
  return false;
}

bool SubscriptionTable::drop_if_unused(const std::string& filter) {
  auto it = filters_.find(filter);
  if (it == filters_.end() || !it->second.holders.empty() || waited_for(filter)) return false;
  filters_.erase(it);
  return true;
}

SubscriptionTable::Outcome SubscriptionTable::suback(int mid, int granted, Clock::time_point now) {
  Outcome out;
  auto pit = pending_.find(mid);
  if (pit == pending_.end()) return out;  // its connection is gone; answered by connection_lost
  Pending p = std::move(pit->second);
  pending_.erase(pit);
  bool refused = granted < 0 || granted > 2;
  auto fit = filters_.find(p.filter);
  if (p.waiters.empty()) {
    // A renewal after reconnecting. Refused (the policy changed meanwhile):
    // every tab that held the filter loses it.
    if (refused && fit != filters_.end()) {
      std::string message = "The broker refused the subscription to '" + p.filter + "' (SUBACK 0x" +
                            (granted == 0x80 ? std::string("80") : std::to_string(granted)) +
                            ") when the console reconnected; its policy no longer allows it.";
      for (auto& [key, h] : fit->second.holders)
        if (auto tab = h.tab.lock())
          out.calls.push_back([tab, filter = p.filter, message] { tab->subscription_lost(filter, message); });
      fit->second.holders.clear();
      if (drop_if_unused(p.filter)) out.unsubscribe.push_back(p.filter);
    }
    return out;
  }
  for (auto& w : p.waiters) {
    if (w.cancelled) continue;
    if (refused) {
      out.calls.push_back([done = std::move(w.done), granted, filter = p.filter] {
        done(-1, "The broker refused the subscription to '" + filter + "' (SUBACK 0x" +
                     (granted == 0x80 ? std::string("80") : std::to_string(granted)) +
                     "): the policy mos-cloud-console (or a broker limit, e.g. 50 subscriptions per "
                     "connection) does not allow it; see the Denials page or `mos cloud denials "
                     "--client-id mos-cloud-console`.");
      });
      continue;
    }
    int tab_qos = std::min(w.qos, granted);
    Filter& f = filters_[p.filter];
    f.holders[w.key] = Holder{w.tab, w.qos, now + kRetainedWindow};
    out.calls.push_back([done = std::move(w.done), tab_qos] { done(tab_qos, ""); });
  }
  // A refused filter that nobody holds: make sure the broker holds nothing
  // (it keeps an older grant of the same filter, MQTT 3.1.1 §3.8.4).
  if (refused && drop_if_unused(p.filter)) out.unsubscribe.push_back(p.filter);
  return out;
}

bool SubscriptionTable::remove(const Subscriber* tab, const std::string& filter) {
  for (auto& [mid, p] : pending_)
    if (p.filter == filter)
      for (auto& w : p.waiters)
        if (w.key == tab) w.cancelled = true;
  auto it = filters_.find(filter);
  if (it == filters_.end()) return false;
  it->second.holders.erase(tab);
  return drop_if_unused(filter);
}

std::vector<std::string> SubscriptionTable::remove_all(const Subscriber* tab) {
  std::vector<std::string> names;
  for (const auto& [name, f] : filters_) names.push_back(name);
  std::vector<std::string> out;
  for (const auto& name : names)
    if (remove(tab, name)) out.push_back(name);
  return out;
}

SubscriptionTable::Outcome SubscriptionTable::connection_lost(const std::string& message) {
  Outcome out;
  std::vector<std::string> touched;
  for (auto& [mid, p] : pending_) {
    touched.push_back(p.filter);
    for (auto& w : p.waiters)
      if (!w.cancelled) out.calls.push_back([done = std::move(w.done), message] { done(-1, message); });
  }
  pending_.clear();
  for (const auto& f : touched) drop_if_unused(f);  // nothing on the broker any more
  return out;
}

std::vector<std::pair<std::string, int>> SubscriptionTable::held() const {
  std::vector<std::pair<std::string, int>> out;
  for (const auto& [name, f] : filters_)
    if (!f.holders.empty()) out.emplace_back(name, f.qos);
  return out;
}

std::vector<std::pair<std::shared_ptr<Subscriber>, int>> SubscriptionTable::route(const std::string& topic, int qos,
                                                                                  bool retain,
                                                                                  Clock::time_point now) {
  std::map<const Subscriber*, std::pair<std::shared_ptr<Subscriber>, int>> to;
  for (const auto& [name, f] : filters_) {
    bool match = false;
    if (mosquitto_topic_matches_sub(name.c_str(), topic.c_str(), &match) != MOSQ_ERR_SUCCESS || !match) continue;
    for (const auto& [key, h] : f.holders) {
      if (retain && now > h.retained_until) continue;
      auto tab = h.tab.lock();
      if (!tab) continue;
      auto [it, fresh] = to.try_emplace(key, tab, h.qos);
      if (!fresh) it->second.second = std::max(it->second.second, h.qos);
    }
  }
  std::vector<std::pair<std::shared_ptr<Subscriber>, int>> out;
  for (auto& [key, v] : to) out.emplace_back(std::move(v.first), std::min(qos, v.second));
  return out;
}

size_t SubscriptionTable::held_by(const Subscriber* tab) const {
  size_t n = 0;
  for (const auto& [name, f] : filters_) n += f.holders.count(tab);
  return n;
}

}  // namespace mos::console

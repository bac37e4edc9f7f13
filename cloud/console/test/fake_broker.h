// The one fake Broker (the console's seam to the MQTT broker) of the console's
// tests and fuzzer: records every request; answers at once (granting the QoS
// asked, or refusing filters listed in `refuse`) or holds the answers until the
// test calls answer_all(). deliver() sends a message to every tab with a
// matching filter, as ConsoleBridge does.
#pragma once
#include <mosquitto.h>

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "broker.h"

namespace mos::console::test {

class FakeBroker : public Broker {
 public:
  struct Call {
    std::string op, name;  // op: subscribe | unsubscribe | leave | publish
    int qos = 0;
    bool retain = false;
    std::string payload;
  };

  bool answer_at_once = true;
  std::set<std::string> refuse;  // filters answered with SUBACK 0x80
  std::string publish_error;     // "" = publishes succeed

  void subscribe(const std::shared_ptr<Subscriber>& tab, const std::string& filter, int qos,
                 SubscribeDone done) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      calls_.push_back({"subscribe", filter, qos, false, ""});
      if (!refuse.count(filter)) held_[tab.get()][filter] = {tab, qos};
      if (!answer_at_once) {
        pending_.push_back([this, filter, qos, done] { answer(filter, qos, done); });
        return;
      }
    }
    answer(filter, qos, done);
  }
  void unsubscribe(const Subscriber* tab, const std::string& filter) override {
    std::lock_guard<std::mutex> lock(mu_);
    calls_.push_back({"unsubscribe", filter, 0, false, ""});
    held_[tab].erase(filter);
  }
  void leave(const Subscriber* tab) override {
    std::lock_guard<std::mutex> lock(mu_);
    calls_.push_back({"leave", "", 0, false, ""});
    held_.erase(tab);
  }
  void publish(const std::string& topic, const std::string& payload, int qos, bool retain, PublishDone done) override {
    std::string err;
    {
      std::lock_guard<std::mutex> lock(mu_);
      calls_.push_back({"publish", topic, qos, retain, payload});
      if (!answer_at_once) {
        pending_.push_back([this, done] { done(publish_error); });
        return;
      }
      err = publish_error;
    }
    done(err);
  }

  // Runs the answers held back while answer_at_once was false.
  void answer_all() {
    std::vector<std::function<void()>> p;
    {
      std::lock_guard<std::mutex> lock(mu_);
      p.swap(pending_);
    }
    for (auto& f : p) f();
  }
  // A message from the broker: to each tab holding a matching filter, once.
  void deliver(const std::string& topic, const std::string& payload, int qos = 0, bool retain = false) {
    std::vector<std::pair<std::shared_ptr<Subscriber>, int>> to;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& [key, filters] : held_) {
        int best = -1;
        std::shared_ptr<Subscriber> tab;
        for (auto& [filter, h] : filters) {
          bool match = false;
          mosquitto_topic_matches_sub(filter.c_str(), topic.c_str(), &match);
          if (match && (tab = h.first.lock())) best = std::max(best, h.second);
        }
        if (best >= 0 && tab) to.emplace_back(tab, std::min(best, qos));
      }
    }
    for (auto& [tab, q] : to) tab->deliver(BrokerMessage{topic, payload, q, retain, 1700000000123});
  }
  std::vector<Call> calls() {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }
  size_t filters_of(const Subscriber* tab) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = held_.find(tab);
    return it == held_.end() ? 0 : it->second.size();
  }

 private:
  void answer(const std::string& filter, int qos, const SubscribeDone& done) {
    if (refuse.count(filter)) {
      done(-1, "The broker refused the subscription to '" + filter + "' (SUBACK 0x80)");
      return;
    }
    done(qos, "");
  }
  std::mutex mu_;
  std::vector<Call> calls_;
  std::map<const Subscriber*, std::map<std::string, std::pair<std::weak_ptr<Subscriber>, int>>> held_;
  std::vector<std::function<void()>> pending_;
};

}  // namespace mos::console::test

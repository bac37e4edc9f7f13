// Which browser tabs hold which topic filters on the console's one broker
// connection (README "The console's broker identity"): the broker holds the
// union of the tabs' filters, each at the highest QoS a tab asked for; a
// filter is unsubscribed on the broker when the last tab lets go of it; a
// message goes to every tab with a matching filter (mosquitto_topic_matches_sub),
// once per tab. No I/O and no locking: ConsoleBridge calls it under its lock
// and performs what it returns.
//
// Retained messages: every tab's subscribe sends a SUBSCRIBE, even for a
// filter the broker already holds, because MQTT 3.1.1 §3.8.4 makes the broker
// send the retained messages again for it, with RETAIN set (§3.3.1.3; live
// messages arrive with RETAIN clear). A message with RETAIN set goes only to
// tabs whose SUBACK for a matching filter came in the last kRetainedWindow,
// so a tab does not see the retained messages again whenever another tab
// subscribes to the same filter.
#pragma once
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "broker.h"

namespace mos::console {

class SubscriptionTable {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::seconds kRetainedWindow{3};

  // What the caller does after releasing its lock.
  struct Outcome {
    std::vector<std::function<void()>> calls;  // replies and notices to tabs
    std::vector<std::string> unsubscribe;      // filters to UNSUBSCRIBE on the broker
  };

  // The QoS to SUBSCRIBE `filter` with when a tab asks for `qos`: the highest
  // any tab holds, waits for or asks for (a subscription is never downgraded
  // under the tabs that hold it).
  int subscribe_qos(const std::string& filter, int qos) const;
  // The SUBSCRIBE for a tab's request went out as packet `mid`.
  void sent(int mid, const std::string& filter, const std::shared_ptr<Subscriber>& tab, int qos, SubscribeDone done);
  // A SUBSCRIBE renewing a held filter (after a reconnect) went out as `mid`.
  void resent(int mid, const std::string& filter);
  // The SUBACK of packet `mid`: `granted` is 0, 1, 2 or 0x80 (failure).
  Outcome suback(int mid, int granted, Clock::time_point now);
  // `tab` drops `filter` (and any request for it still waiting); true when
  // no tab holds or waits for it any more, so the broker should drop it.
  bool remove(const Subscriber* tab, const std::string& filter);
  // `tab` is gone: the filters the broker should drop.
  std::vector<std::string> remove_all(const Subscriber* tab);
  // The connection dropped: requests waiting for a SUBACK fail with `message`.
  // The filters tabs hold stay, to be renewed on the next connection.
  Outcome connection_lost(const std::string& message);
  // Every held filter with its QoS (to SUBSCRIBE again after reconnecting).
  std::vector<std::pair<std::string, int>> held() const;
  // The tabs a message on `topic` goes to, each once, with the QoS it gets.
  std::vector<std::pair<std::shared_ptr<Subscriber>, int>> route(const std::string& topic, int qos, bool retain,
                                                                 Clock::time_point now);
  // Filters held or waited for (what the broker has, give or take in-flight packets).
  size_t filter_count() const { return filters_.size(); }
  // How many filters `tab` holds.
  size_t held_by(const Subscriber* tab) const;

 private:
  struct Holder {
    std::weak_ptr<Subscriber> tab;
    int qos = 0;
    Clock::time_point retained_until{};
  };
  struct Filter {
    std::map<const Subscriber*, Holder> holders;
    int qos = 0;  // what the broker was asked for
  };
  struct Waiter {
    const Subscriber* key;
    std::weak_ptr<Subscriber> tab;
    int qos;
    SubscribeDone done;
    bool cancelled = false;
  };
  struct Pending {
    std::string filter;
    std::vector<Waiter> waiters;  // empty for a renewal
  };
  bool waited_for(const std::string& filter) const;
  // Drops `filter` if nothing holds or waits for it; true if it was dropped.
  bool drop_if_unused(const std::string& filter);

  std::map<std::string, Filter> filters_;
  std::map<int, Pending> pending_;
};

}  // namespace mos::console

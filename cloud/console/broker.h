// The console's seam to the MQTT broker: what a browser tab (a live session)
// may ask of the one shared connection. ConsoleBridge implements it with
// libmosquitto (bridge.h); tests and the fuzzer use test/fake_broker.h.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace mos::console {

struct BrokerMessage {
  std::string topic;
  std::string payload;  // bytes as received
  int qos = 0;          // as delivered to this tab: min(message QoS, the tab's QoS)
  bool retain = false;  // set only on retained messages sent for a new subscription (MQTT 3.1.1 §3.3.1.3)
  int64_t time_ms = 0;  // unix milliseconds when mos-cloud received it
};

// One tab's side. Called on the broker connection's thread; must not block.
class Subscriber {
 public:
  virtual ~Subscriber() = default;
  // A message on a topic matching one of the tab's filters (once per message
  // even when several of its filters match).
  virtual void deliver(const BrokerMessage& m) = 0;
  // A filter the tab had was refused when the connection was re-established
  // (e.g. its policy changed meanwhile); the tab no longer has it.
  virtual void subscription_lost(const std::string& filter, const std::string& message) = 0;
};

// error "" on success; then `granted` is the QoS the tab gets.
using SubscribeDone = std::function<void(int granted, const std::string& error)>;
using PublishDone = std::function<void(const std::string& error)>;

class Broker {
 public:
  virtual ~Broker() = default;
  // Adds `filter` at `qos` (0 or 1; checked by the caller) for `tab`; `done`
  // runs once, maybe before this returns, maybe on another thread.
  virtual void subscribe(const std::shared_ptr<Subscriber>& tab, const std::string& filter, int qos,
                         SubscribeDone done) = 0;
  // Drops `filter` for `tab` (nothing if it has none).
  virtual void unsubscribe(const Subscriber* tab, const std::string& filter) = 0;
  // Drops every filter of `tab` (the tab closed).
  virtual void leave(const Subscriber* tab) = 0;
  virtual void publish(const std::string& topic, const std::string& payload, int qos, bool retain,
                       PublishDone done) = 0;
};

}  // namespace mos::console

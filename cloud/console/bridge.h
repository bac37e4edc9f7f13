// The web console's one MQTT connection into the local broker, shared by
// every browser tab (README "The console's broker identity"): client id
// mos-cloud-console, certificate console.pem from the data dir, checked by
// the policy plugin like any device. Reconnects (MqttLink) and then renews
// the tabs' subscriptions; SubscriptionTable decides what the broker holds
// and who gets which message.
#pragma once
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "broker.h"
#include "mqtt_link.h"
#include "subscription_table.h"

struct mosquitto;
struct mosquitto_message;

namespace mos::console {

class ConsoleBridge : public Broker {
 public:
  // `cfg`: the broker and the console's TLS files; the client id is always
  // mos-cloud-console.
  explicit ConsoleBridge(cloud::MqttLinkConfig cfg);
  ~ConsoleBridge() override;

  // Starts connecting in the background. False and `error` if the TLS files
  // cannot be used.
  bool start(std::string& error);
  void stop();
  bool connected();

  void subscribe(const std::shared_ptr<Subscriber>& tab, const std::string& filter, int qos,
                 SubscribeDone done) override;
  void unsubscribe(const Subscriber* tab, const std::string& filter) override;
  void leave(const Subscriber* tab) override;
  void publish(const std::string& topic, const std::string& payload, int qos, bool retain,
               PublishDone done) override;

  // For tests: filters the broker holds for the console.
  size_t broker_filters();

 private:
  static void on_connect(struct mosquitto*, void*, int);
  static void on_disconnect(struct mosquitto*, void*, int);
  static void on_subscribe(struct mosquitto*, void*, int, int, const int*);
  static void on_publish(struct mosquitto*, void*, int);
  static void on_message(struct mosquitto*, void*, const ::mosquitto_message*);
  static void run(SubscriptionTable::Outcome& out);
  std::string not_connected() const;
  // Sends one packet (`packet` gets the packet id to fill) and lets `record`
  // note what waits for its answer, both under mu_, so the answer cannot
  // overtake the note. "" or why nothing was sent.
  std::string send(const std::function<int(int*)>& packet, const std::function<void(int)>& record, const char* what);
  void unsubscribe_on_broker(const std::string& filter);  // under mu_

  // Held while calling into libmosquitto too, so a SUBACK or PUBACK (on the
  // network thread) cannot overtake the bookkeeping of its request.
  std::mutex mu_;
  bool connected_ = false;
  int refused_ = 0;  // the last CONNACK's return code when the broker refused the console
  SubscriptionTable table_;
  std::map<int, PublishDone> publishes_;  // by packet id, until written (QoS 0) or PUBACK (QoS 1)
  cloud::MqttLink link_;  // last: stopped first, before the state its callbacks use
};

}  // namespace mos::console

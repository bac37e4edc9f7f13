// mos-cloud's MQTT client into the local broker (the data plane behind
// POST /topics/{topic}): TLS with the dataplane certificate, which the policy
// plugin admits by its SHA-256 (CLOUD_CONTRACT.md), over an MqttLink. It also
// follows $SYS/broker/clients/connected for `mos cloud status`.
#pragma once
#include <condition_variable>
#include <mutex>
#include <set>
#include <string>

#include "mos/cloud/service_clients.h"
#include "mqtt_link.h"

struct mosquitto;
struct mosquitto_message;

namespace mos::cloud {

// An MqttLinkConfig whose client id defaults to the data plane's.
struct PublisherConfig : MqttLinkConfig {
  PublisherConfig() { client_id = kDataplaneClientId; }
};

class Publisher {
 public:
  explicit Publisher(PublisherConfig cfg);
  ~Publisher();
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  // Starts the network thread; connects (and reconnects) in the background.
  bool start(std::string& error);
  // Publishes; for QoS 1 waits for the broker's PUBACK. "" or the reason.
  std::string publish(const std::string& topic, const std::string& payload, int qos, bool retain);
  bool connected();
  // Clients the broker reports as connected (from $SYS), -1 if unknown.
  int clients_connected();

 private:
  static void on_connect(struct mosquitto*, void*, int);
  static void on_disconnect(struct mosquitto*, void*, int);
  static void on_publish(struct mosquitto*, void*, int);
  static void on_message(struct mosquitto*, void*, const ::mosquitto_message*);

  std::mutex mu_;
  std::condition_variable cv_;
  bool connected_ = false;
  int clients_ = -1;
  std::set<int> acked_;
  MqttLink link_;  // last: stopped before the state its callbacks use goes
};

}  // namespace mos::cloud

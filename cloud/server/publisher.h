// mos-cloud's MQTT client into the local broker (the data plane behind
// POST /topics/{topic}): TLS with the dataplane certificate, which the policy
// plugin admits by its SHA-256 (CLOUD_CONTRACT.md). It also follows
// $SYS/broker/clients/connected for `mos cloud status`.
#pragma once
#include <condition_variable>
#include <mutex>
#include <atomic>
#include <set>
#include <string>
#include <thread>

struct mosquitto;
struct mosquitto_message;

namespace mos::cloud {

struct PublisherConfig {
  std::string host = "localhost";
  int port = 8883;
  std::string ca_file, cert_file, key_file;
  std::string client_id = "mos-cloud-dataplane";
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

  PublisherConfig cfg_;
  struct mosquitto* mosq_ = nullptr;
  std::mutex mu_;
  std::condition_variable cv_;
  bool connected_ = false;
  int clients_ = -1;
  std::set<int> acked_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace mos::cloud

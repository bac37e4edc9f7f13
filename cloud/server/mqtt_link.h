// One MQTT connection of mos-cloud into its own broker (libmosquitto): mutual
// TLS with a certificate from the data dir, and a network thread that
// connects, runs the connection and reconnects until stopped, because the
// broker may start after mos-cloud, restart, or refuse a handshake while it
// starts. The data plane (Publisher) and the web console (ConsoleBridge) each
// own one; they install their callbacks and keep their own state.
#pragma once
#include <atomic>
#include <functional>
#include <string>
#include <thread>

struct mosquitto;

namespace mos::cloud {

struct MqttLinkConfig {
  std::string host = "localhost";
  int port = 8883;
  std::string ca_file, cert_file, key_file;
  std::string client_id;
  int keepalive_s = 30;
};

class MqttLink {
 public:
  explicit MqttLink(MqttLinkConfig cfg);
  ~MqttLink();  // stop()
  MqttLink(const MqttLink&) = delete;
  MqttLink& operator=(const MqttLink&) = delete;

  // Creates the client (clean session) with `owner` as the object its
  // callbacks receive, lets `install` set those callbacks, loads the TLS
  // files and starts the network thread. False and `error` if the client or
  // the TLS files are unusable.
  bool start(void* owner, const std::function<void(struct mosquitto*)>& install, std::string& error);
  // Disconnects and joins the network thread; callbacks no longer run after
  // it returns. Idempotent. An owner calls it before its own state goes.
  void stop();

  // The client, for publish/subscribe from other threads (threaded mode).
  struct mosquitto* client() const { return mosq_; }
  const MqttLinkConfig& config() const { return cfg_; }
  // "localhost:8883", for messages.
  std::string where() const;

 private:
  MqttLinkConfig cfg_;
  struct mosquitto* mosq_ = nullptr;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace mos::cloud

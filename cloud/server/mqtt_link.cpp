#include "mqtt_link.h"

#include <mosquitto.h>

#include <chrono>

namespace mos::cloud {

MqttLink::MqttLink(MqttLinkConfig cfg) : cfg_(std::move(cfg)) {}

MqttLink::~MqttLink() {
  stop();
  if (mosq_) mosquitto_destroy(mosq_);
}

std::string MqttLink::where() const { return cfg_.host + ":" + std::to_string(cfg_.port); }

bool MqttLink::start(void* owner, const std::function<void(struct mosquitto*)>& install, std::string& error) {
  mosquitto_lib_init();
  mosq_ = mosquitto_new(cfg_.client_id.c_str(), true, owner);
  if (!mosq_) {
    error = "cannot create the MQTT client";
    return false;
  }
  // Owners publish and subscribe from HTTP worker threads while the network
  // loop runs on this link's thread.
  mosquitto_threaded_set(mosq_, true);
  if (install) install(mosq_);
  int rc = mosquitto_tls_set(mosq_, cfg_.ca_file.c_str(), nullptr, cfg_.cert_file.c_str(), cfg_.key_file.c_str(),
                             nullptr);
  if (rc != MOSQ_ERR_SUCCESS) {
    error = "cannot load the TLS files " + cfg_.cert_file + " / " + cfg_.key_file + ": " + mosquitto_strerror(rc);
    return false;
  }
  // Connect, run until the connection ends for any reason, retry after 0.5 s.
  thread_ = std::thread([this] {
    while (!stop_) {
      if (mosquitto_connect(mosq_, cfg_.host.c_str(), cfg_.port, cfg_.keepalive_s) == MOSQ_ERR_SUCCESS)
        mosquitto_loop_forever(mosq_, 500, 1);
      for (int i = 0; i < 5 && !stop_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  return true;
}

void MqttLink::stop() {
  stop_ = true;
  if (mosq_) mosquitto_disconnect(mosq_);
  if (thread_.joinable()) thread_.join();
}

}  // namespace mos::cloud

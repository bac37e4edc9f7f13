#include "publisher.h"

#include <mosquitto.h>

#include <chrono>
#include <cstdlib>

namespace mos::cloud {

Publisher::Publisher(PublisherConfig cfg) : link_(std::move(cfg)) {}

Publisher::~Publisher() { link_.stop(); }

bool Publisher::start(std::string& error) {
  return link_.start(this, [](struct mosquitto* m) {
    mosquitto_connect_callback_set(m, &Publisher::on_connect);
    mosquitto_disconnect_callback_set(m, &Publisher::on_disconnect);
    mosquitto_publish_callback_set(m, &Publisher::on_publish);
    mosquitto_message_callback_set(m, &Publisher::on_message);
  }, error);
}

void Publisher::on_connect(struct mosquitto* m, void* self, int rc) {
  auto* p = static_cast<Publisher*>(self);
  {
    std::lock_guard<std::mutex> lock(p->mu_);
    p->connected_ = rc == 0;
  }
  p->cv_.notify_all();
  if (rc == 0) mosquitto_subscribe(m, nullptr, "$SYS/broker/clients/connected", 0);
}

void Publisher::on_disconnect(struct mosquitto*, void* self, int) {
  auto* p = static_cast<Publisher*>(self);
  std::lock_guard<std::mutex> lock(p->mu_);
  p->connected_ = false;
}

void Publisher::on_publish(struct mosquitto*, void* self, int mid) {
  auto* p = static_cast<Publisher*>(self);
  {
    std::lock_guard<std::mutex> lock(p->mu_);
    p->acked_.insert(mid);
  }
  p->cv_.notify_all();
}

void Publisher::on_message(struct mosquitto*, void* self, const struct mosquitto_message* msg) {
  auto* p = static_cast<Publisher*>(self);
  std::string v(static_cast<const char*>(msg->payload), static_cast<size_t>(msg->payloadlen));
  std::lock_guard<std::mutex> lock(p->mu_);
  p->clients_ = std::atoi(v.c_str());
}

bool Publisher::connected() {
  std::lock_guard<std::mutex> lock(mu_);
  return connected_;
}

int Publisher::clients_connected() {
  std::lock_guard<std::mutex> lock(mu_);
  return connected_ ? clients_ : -1;
}

std::string Publisher::publish(const std::string& topic, const std::string& payload, int qos,
                               bool retain) {
  using namespace std::chrono_literals;
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (!cv_.wait_for(lock, 3s, [this] { return connected_; }))
      return "The broker at " + link_.where() + " is not reachable; is it running? (mos cloud status)";
  }
  int mid = 0;
  int rc = mosquitto_publish(link_.client(), &mid, topic.c_str(), static_cast<int>(payload.size()),
                             payload.data(), qos, retain);
  if (rc != MOSQ_ERR_SUCCESS) return std::string("publish failed: ") + mosquitto_strerror(rc);
  // QoS 0 completes when written; QoS 1 when the broker's PUBACK arrives
  // (MQTT 3.1.1 §4.3.2). libmosquitto reports both through on_publish.
  std::unique_lock<std::mutex> lock(mu_);
  if (!cv_.wait_for(lock, 5s, [&] { return acked_.count(mid) > 0; }))
    return "The broker did not acknowledge the publish within 5 s.";
  acked_.erase(mid);
  return "";
}

}  // namespace mos::cloud

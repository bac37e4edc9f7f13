#include "bridge.h"

#include <mosquitto.h>

#include <chrono>

#include "mos/cloud/service_clients.h"

namespace mos::console {
namespace {

cloud::MqttLinkConfig with_console_id(cloud::MqttLinkConfig cfg) {
  cfg.client_id = cloud::kConsoleClientId;
  return cfg;
}

int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

ConsoleBridge::ConsoleBridge(cloud::MqttLinkConfig cfg) : link_(with_console_id(std::move(cfg))) {}

ConsoleBridge::~ConsoleBridge() { stop(); }

bool ConsoleBridge::start(std::string& error) {
  return link_.start(this, [](struct mosquitto* m) {
    // Refused at CONNECT (its certificate or policy changed), the console
    // retries like a polite device: 1 s, doubling to 30 s, so it does not
    // fill the denials record with one refusal a second.
    mosquitto_reconnect_delay_set(m, 1, 30, true);
    mosquitto_connect_callback_set(m, &ConsoleBridge::on_connect);
    mosquitto_disconnect_callback_set(m, &ConsoleBridge::on_disconnect);
    mosquitto_subscribe_callback_set(m, &ConsoleBridge::on_subscribe);
    mosquitto_publish_callback_set(m, &ConsoleBridge::on_publish);
    mosquitto_message_callback_set(m, &ConsoleBridge::on_message);
  }, error);
}

void ConsoleBridge::stop() { link_.stop(); }

bool ConsoleBridge::connected() {
  std::lock_guard<std::mutex> lock(mu_);
  return connected_;
}

size_t ConsoleBridge::broker_filters() {
  std::lock_guard<std::mutex> lock(mu_);
  return table_.filter_count();
}

std::string ConsoleBridge::not_connected() const {
  if (refused_ > 0)
    return "The broker refused the console's connection (CONNACK " + std::to_string(refused_) +
           "): the certificate or the policy mos-cloud-console does not allow it; see the Denials page or `mos "
           "cloud denials --client-id mos-cloud-console`.";
  return "The console is not connected to the broker at " + link_.where() +
         "; check that the local cloud runs (mos cloud status) and see mosquitto.log in its data dir.";
}

void ConsoleBridge::run(SubscriptionTable::Outcome& out) {
  for (auto& call : out.calls) call();
}

void ConsoleBridge::unsubscribe_on_broker(const std::string& filter) {
  if (connected_) mosquitto_unsubscribe(link_.client(), nullptr, filter.c_str());
}

std::string ConsoleBridge::send(const std::function<int(int*)>& packet, const std::function<void(int)>& record,
                                const char* what) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!connected_) return not_connected();
  int mid = 0;
  int rc = packet(&mid);
  if (rc != MOSQ_ERR_SUCCESS) return std::string("The console could not ") + what + ": " + mosquitto_strerror(rc) + ".";
  record(mid);
  return "";
}

void ConsoleBridge::subscribe(const std::shared_ptr<Subscriber>& tab, const std::string& filter, int qos,
                              SubscribeDone done) {
  std::string error = send(
      [&](int* mid) {
        return mosquitto_subscribe(link_.client(), mid, filter.c_str(), table_.subscribe_qos(filter, qos));
      },
      [&](int mid) { table_.sent(mid, filter, tab, qos, std::move(done)); }, "send the subscription");
  if (!error.empty()) done(-1, error);
}

void ConsoleBridge::unsubscribe(const Subscriber* tab, const std::string& filter) {
  std::lock_guard<std::mutex> lock(mu_);
  if (table_.remove(tab, filter)) unsubscribe_on_broker(filter);
}

void ConsoleBridge::leave(const Subscriber* tab) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& f : table_.remove_all(tab)) unsubscribe_on_broker(f);
}

void ConsoleBridge::publish(const std::string& topic, const std::string& payload, int qos, bool retain,
                            PublishDone done) {
  std::string error = send(
      [&](int* mid) {
        return mosquitto_publish(link_.client(), mid, topic.c_str(), static_cast<int>(payload.size()),
                                 payload.data(), qos, retain);
      },
      [&](int mid) { publishes_[mid] = std::move(done); }, "publish");
  if (!error.empty()) done(error);
}

void ConsoleBridge::on_connect(struct mosquitto* m, void* self, int rc) {
  auto* b = static_cast<ConsoleBridge*>(self);
  std::lock_guard<std::mutex> lock(b->mu_);
  b->connected_ = rc == 0;
  b->refused_ = rc;  // MQTT 3.1.1 §3.2.2.3 return code; 0 accepted
  if (rc != 0) return;
  // A clean session: the broker holds nothing for us; renew what tabs hold.
  for (const auto& [filter, qos] : b->table_.held()) {
    int mid = 0;
    if (mosquitto_subscribe(m, &mid, filter.c_str(), qos) == MOSQ_ERR_SUCCESS) b->table_.resent(mid, filter);
  }
}

void ConsoleBridge::on_disconnect(struct mosquitto*, void* self, int) {
  auto* b = static_cast<ConsoleBridge*>(self);
  SubscriptionTable::Outcome out;
  std::map<int, PublishDone> publishes;
  {
    std::lock_guard<std::mutex> lock(b->mu_);
    b->connected_ = false;
    out = b->table_.connection_lost(
        "The console's broker connection dropped before the broker answered; subscribe again once it is back.");
    publishes.swap(b->publishes_);
  }
  run(out);
  for (auto& [mid, done] : publishes)
    done("The console's broker connection dropped before the broker acknowledged the message; publish it again.");
}

void ConsoleBridge::on_subscribe(struct mosquitto*, void* self, int mid, int count, const int* granted) {
  auto* b = static_cast<ConsoleBridge*>(self);
  SubscriptionTable::Outcome out;
  {
    std::lock_guard<std::mutex> lock(b->mu_);
    // One filter per SUBSCRIBE, so one return code (MQTT 3.1.1 §3.9.3).
    out = b->table_.suback(mid, count > 0 && granted ? granted[0] : 0x80, SubscriptionTable::Clock::now());
    for (const auto& f : out.unsubscribe) b->unsubscribe_on_broker(f);
  }
  run(out);
}

void ConsoleBridge::on_publish(struct mosquitto*, void* self, int mid) {
  auto* b = static_cast<ConsoleBridge*>(self);
  PublishDone done;
  {
    std::lock_guard<std::mutex> lock(b->mu_);
    auto it = b->publishes_.find(mid);
    if (it == b->publishes_.end()) return;
    done = std::move(it->second);
    b->publishes_.erase(it);
  }
  if (done) done("");
}

void ConsoleBridge::on_message(struct mosquitto*, void* self, const struct mosquitto_message* msg) {
  auto* b = static_cast<ConsoleBridge*>(self);
  BrokerMessage m;
  m.topic = msg->topic ? msg->topic : "";
  if (msg->payload && msg->payloadlen > 0)
    m.payload.assign(static_cast<const char*>(msg->payload), static_cast<size_t>(msg->payloadlen));
  m.retain = msg->retain;
  m.time_ms = unix_ms();
  std::vector<std::pair<std::shared_ptr<Subscriber>, int>> to;
  {
    std::lock_guard<std::mutex> lock(b->mu_);
    to = b->table_.route(m.topic, msg->qos, msg->retain, SubscriptionTable::Clock::now());
  }
  for (auto& [tab, qos] : to) {
    m.qos = qos;
    tab->deliver(m);
  }
}

}  // namespace mos::console

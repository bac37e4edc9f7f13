#include "console_session.h"

#include "mqtt_names.h"
#include "views.h"

namespace mos::console {
namespace {

using json = nlohmann::json;

constexpr char kExample[] = "e.g. {\"op\":\"subscribe\",\"filter\":\"/response\",\"qos\":0}";

// A QoS member: absent means 0; AWS IoT Core has QoS 0 and 1 only.
bool read_qos(const json& req, int& qos) {
  auto it = req.find("qos");
  if (it == req.end()) {
    qos = 0;
    return true;
  }
  if (!it->is_number_integer()) return false;
  auto v = it->get<int64_t>();
  if (v != 0 && v != 1) return false;
  qos = static_cast<int>(v);
  return true;
}

}  // namespace

ConsoleSession::ConsoleSession(std::shared_ptr<cloud::LiveChannel> channel, Broker& broker, uint64_t login_id)
    : channel_(std::move(channel)), broker_(broker), login_id_(login_id) {}

bool ConsoleSession::send(const std::string& frame) {
  if (closed_) return false;
  return channel_->send_text(frame);
}

void ConsoleSession::end(const std::string& reason) {
  // Nothing more goes out; on_close still follows from the HTTP front.
  if (!closed_.exchange(true)) channel_->close(reason);
}

void ConsoleSession::reply(json frame, const json& id) {
  if (!id.is_null()) frame["id"] = id;
  send(to_text(frame));
}

void ConsoleSession::error(const std::string& op, const json& id, const std::string& message, const json* filter,
                           const json* topic) {
  json f{{"type", "error"}};
  if (!op.empty()) f["op"] = op;
  if (filter) f["filter"] = *filter;
  if (topic) f["topic"] = *topic;
  f["message"] = message;
  reply(std::move(f), id);
}

void ConsoleSession::on_text(const std::string& message) {
  try {
    handle(message);
  } catch (const std::exception& e) {
    // Nothing a client sends may take the channel down; this is a bug of ours.
    send(to_text({{"type", "error"}, {"message", std::string("The console failed on that request: ") + e.what()}}));
  } catch (...) {
    send(to_text({{"type", "error"}, {"message", "The console failed on that request."}}));
  }
}

void ConsoleSession::handle(const std::string& message) {
  json req = json::parse(message, nullptr, false);
  if (req.is_discarded() || !req.is_object())
    return error("", nullptr, std::string("The frame is not a JSON object; send one request per frame, ") + kExample +
                                  ".");
  json id;  // null: none
  if (auto it = req.find("id"); it != req.end()) {
    if (!it->is_string() && !it->is_number())
      return error("", nullptr, "The request's id must be a string or a number (it is echoed in the reply).");
    id = *it;
  }
  auto op = req.find("op");
  if (op == req.end() || !op->is_string())
    return error("", id, std::string("The request has no op; use subscribe, unsubscribe or publish, ") + kExample +
                             ".");
  const std::string& name = op->get_ref<const std::string&>();
  if (name == "subscribe") return subscribe(req, id);
  if (name == "unsubscribe") return unsubscribe(req, id);
  if (name == "publish") return publish(req, id);
  std::string shown = name.substr(0, 40);
  return error("", id, "Unknown op '" + shown + "'; use subscribe, unsubscribe or publish.");
}

void ConsoleSession::subscribe(const json& req, const json& id) {
  auto f = req.find("filter");
  if (f == req.end() || !f->is_string())
    return error("subscribe", id, "The subscribe request needs a filter (a string), e.g. \"/response\" or \"dev/#\".");
  const json filter = *f;
  const std::string& text = filter.get_ref<const std::string&>();
  if (std::string why = filter_problem(text); !why.empty()) return error("subscribe", id, why, &filter);
  int qos = 0;
  if (!read_qos(req, qos))
    return error("subscribe", id, "qos must be 0 or 1 (AWS IoT Core has no QoS 2).", &filter);
  std::weak_ptr<ConsoleSession> self = shared_from_this();
  broker_.subscribe(shared_from_this(), text, qos, [self, filter, id](int granted, const std::string& err) {
    auto s = self.lock();
    if (!s) return;
    if (!err.empty()) return s->error("subscribe", id, err, &filter);
    s->reply({{"type", "subscribed"}, {"filter", filter}, {"qos", granted}}, id);
  });
}

void ConsoleSession::unsubscribe(const json& req, const json& id) {
  auto f = req.find("filter");
  if (f == req.end() || !f->is_string())
    return error("unsubscribe", id, "The unsubscribe request needs the filter (a string) it subscribed to.");
  broker_.unsubscribe(this, f->get_ref<const std::string&>());
  reply({{"type", "unsubscribed"}, {"filter", *f}}, id);
}

void ConsoleSession::publish(const json& req, const json& id) {
  auto t = req.find("topic");
  if (t == req.end() || !t->is_string())
    return error("publish", id, "The publish request needs a topic (a string), e.g. \"/request\".");
  const json topic = *t;
  const std::string& name = topic.get_ref<const std::string&>();
  if (std::string why = topic_problem(name); !why.empty()) return error("publish", id, why, nullptr, &topic);
  std::string payload;
  if (auto p = req.find("payload"); p != req.end()) {
    if (!p->is_string())
      return error("publish", id, "The payload must be a string (the text to publish).", nullptr, &topic);
    payload = p->get<std::string>();
  }
  if (std::string why = payload_problem(payload.size()); !why.empty())
    return error("publish", id, why, nullptr, &topic);
  int qos = 0;
  if (!read_qos(req, qos))
    return error("publish", id, "qos must be 0 or 1 (AWS IoT Core has no QoS 2).", nullptr, &topic);
  bool retain = false;
  if (auto r = req.find("retain"); r != req.end()) {
    if (!r->is_boolean()) return error("publish", id, "retain must be true or false.", nullptr, &topic);
    retain = r->get<bool>();
  }
  std::weak_ptr<ConsoleSession> self = shared_from_this();
  broker_.publish(name, payload, qos, retain, [self, topic, id](const std::string& err) {
    auto s = self.lock();
    if (!s) return;
    if (!err.empty()) return s->error("publish", id, err, nullptr, &topic);
    s->reply({{"type", "published"}, {"topic", topic}}, id);
  });
}

void ConsoleSession::deliver(const BrokerMessage& m) {
  json f{{"type", "message"}, {"topic", m.topic}};
  if (is_utf8(m.payload)) {
    f["payload"] = m.payload;
  } else {
    f["payload"] = nullptr;
    f["payloadBase64"] = base64(m.payload);
  }
  f["qos"] = m.qos;
  f["retain"] = m.retain;
  f["time"] = m.time_ms;
  send(to_text(f));
}

void ConsoleSession::subscription_lost(const std::string& filter, const std::string& message) {
  send(to_text({{"type", "error"}, {"op", "subscribe"}, {"filter", filter}, {"message", message}}));
}

void ConsoleSession::on_close() {
  closed_ = true;
  broker_.leave(this);
}

}  // namespace mos::console

// The data plane's Publish (iot-data, POST /topics/{topic}): the body is the
// payload, sent into the broker as QoS 0 or 1.
#include "routes.h"

namespace mos::cloud {
namespace {

Response publish(Services& s, Call& c) {
  const std::string& topic = c.seg[1];
  std::string qos_text = c.q("qos", "0");
  if (qos_text != "0" && qos_text != "1") return invalid(validation(qos_text, "qos", "Member must be 0 or 1"));
  // MQTT 3.1.1 §4.7.3: a topic name is non-empty and has no wildcards;
  // AWS IoT limits it to 256 bytes.
  if (topic.empty() || topic.size() > 256 || topic.find_first_of("+#") != std::string::npos ||
      topic.find('\0') != std::string::npos)
    return invalid("The topic must be 1..256 bytes without the wildcards + and #.");
  if (!s.publish) return Api::error(503, "ServiceUnavailableException", "The data plane is not configured.");
  std::string why = s.publish(topic, c.req.body, qos_text == "1" ? 1 : 0, lower(c.q("retain")) == "true");
  if (!why.empty()) return Api::error(503, "ServiceUnavailableException", why);
  return ok(json{{"message", "OK"}});
}

}  // namespace

// The topic is one segment: Api::handle decodes everything after /topics/
// as the topic, '/' escaped or not.
std::vector<Route> dataplane_routes() { return {{"POST", "/topics/{topic}", publish, "Publish"}}; }

}  // namespace mos::cloud

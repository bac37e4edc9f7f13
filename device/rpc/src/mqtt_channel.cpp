#include <cstring>

#include "mos/log.h"
#include "mos/rpc_mqtt.h"

namespace mos::rpc {

Status MqttChannel::sub_topic(Span<char> out, size_t* len) const {
  std::string_view id = d_.device_id();
  if (id.empty()) return Status::kInvalidArg;
  if (id.size() + kSuffix.size() > out.size()) return Status::kNoSpace;
  std::memcpy(out.data(), id.data(), id.size());
  std::memcpy(out.data() + id.size(), kSuffix.data(), kSuffix.size());
  *len = id.size() + kSuffix.size();
  return Status::kOk;
}

bool MqttChannel::on_message(std::string_view topic, std::string_view payload) {
  std::string_view id = d_.device_id();
  if (id.empty() || topic.size() != id.size() + kSuffix.size() ||
      topic.substr(0, id.size()) != id || topic.substr(id.size()) != kSuffix) {
    return false;
  }
  d_.handle_frame(*this, payload, false);
  return true;
}

Status MqttChannel::send_frame(std::string_view json, bool /*with_crc*/) {
  Frame f;
  char topic[MOS_RPC_MAX_ADDR + 8];
  size_t n = 0;
  if (parse_frame(json, &f) != json::Result::kOk || !f.dst.is_string() ||
      json::as_string(f.dst, Span<char>(topic, MOS_RPC_MAX_ADDR), &n) != json::Result::kOk ||
      n == 0) {
    MOS_LOGW("rpc: MQTT: reply dropped: the request had no \"src\" to publish the reply to");
    return Status::kInvalidArg;
  }
  std::memcpy(topic + n, kSuffix.data(), kSuffix.size());
  return pub_.publish(std::string_view(topic, n + kSuffix.size()), json);
}

}  // namespace mos::rpc

// The RPC channel over MQTT, as Mongoose OS's rpc-mqtt does it: the device
// subscribes to "<device.id>/rpc"; each message is one frame (plain JSON, no
// `"""` framing, no CRC: MQTT already delivers whole, checked messages); the
// reply is published to "<src>/rpc", where src is the request's "src" (the
// mos tool subscribes there). This lets `mos` reach a device through the cloud.
//
// The channel does not depend on the MQTT client: the owner of the client
// implements MqttPublisher and feeds received messages to on_message():
//
//   rpc::MqttChannel mqtt_rpc(publisher, dispatcher);
//   char topic[80]; size_t n;
//   mqtt_rpc.sub_topic(topic, &n);                 // subscribe on every CONNACK
//   ... on PUBLISH: mqtt_rpc.on_message(topic, payload);
#pragma once
#include <cstddef>
#include <string_view>

#include "mos/rpc.h"

namespace mos::rpc {

class MqttPublisher {
 public:
  virtual ~MqttPublisher() = default;
  // Queues one PUBLISH (QoS 1 recommended). The views are valid only during the call.
  virtual Status publish(std::string_view topic, std::string_view payload) = 0;
};

class MqttChannel : public Channel {
 public:
  static constexpr std::string_view kSuffix = "/rpc";

  MqttChannel(MqttPublisher& pub, Dispatcher& d) : pub_(pub), d_(d) {}

  // "<device.id>/rpc" into out. kNoSpace if it does not fit, kInvalidArg
  // if the dispatcher has no device id yet.
  Status sub_topic(Span<char> out, size_t* len) const;
  // Handles a message if `topic` is our request topic; false otherwise.
  bool on_message(std::string_view topic, std::string_view payload);

  // Publishes the reply to "<dst>/rpc"; kInvalidArg (logged) when the frame
  // has no dst, because the request had no src to answer to.
  Status send_frame(std::string_view json, bool with_crc) override;
  const char* info() const override { return "MQTT"; }

 private:
  MqttPublisher& pub_;
  Dispatcher& d_;
};

}  // namespace mos::rpc

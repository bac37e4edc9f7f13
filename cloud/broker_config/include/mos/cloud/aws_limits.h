// AWS IoT Core message broker quotas that the local cloud enforces, shared by
// the generated mosquitto.conf (broker_config.cpp) and the policy plugin.
// Source: "AWS IoT Core endpoints and quotas", Message broker and protocol
// limits (https://docs.aws.amazon.com/general/latest/gr/iot-core.html#message-broker-limits);
// the AWS IoT Device SDK's "AwsIotCoreDefaults" validation lists the same
// topic/client-id numbers. cloud/README.md has the table and what happens when
// one is exceeded.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace mos::cloud::aws_limits {

// PUBLISH payload: 128 KB. AWS refuses a larger message and closes the
// connection (lifecycle event CLIENT_ERROR, PAYLOAD_LIMIT_EXCEEDED).
constexpr std::size_t kMaxPayloadBytes = 128 * 1024;
// Client ID: 128 bytes of UTF-8. A longer one is refused at CONNECT.
constexpr std::size_t kMaxClientIdBytes = 128;
// Topic name / topic filter: 256 bytes of UTF-8.
constexpr std::size_t kMaxTopicBytes = 256;
// At most 7 forward slashes in a topic or filter, i.e. 8 levels; the
// Basic Ingest prefix $aws/rules/<rule>/ does not count.
constexpr std::size_t kMaxTopicSlashes = 7;
// Subscriptions per connection: 50.
constexpr std::size_t kMaxSubscriptionsPerConnection = 50;
// Subscriptions in one SUBSCRIBE packet: 8.
constexpr std::size_t kMaxSubscriptionsPerSubscribe = 8;
// Unacknowledged QoS 1 messages in flight, inbound and outbound: 100.
constexpr int kMaxInflightMessages = 100;
// Keep-alive: 30..1200 s.
constexpr int kMaxKeepAliveSeconds = 1200;

// The largest PUBLISH packet a limit-abiding client can send: payload, topic
// (2-byte length + 256), packet id (2), fixed header (1 + 4-byte remaining
// length) and room for MQTT 5 properties. The broker drops the connection on
// anything larger before buffering it (memory stays flat for a 100 MB
// attempt); the plugin enforces the exact payload limit below this.
constexpr std::size_t kMaxPropertiesBytes = 4096;
constexpr std::size_t kMaxPacketBytes =
    kMaxPayloadBytes + 2 + kMaxTopicBytes + 2 + 5 + kMaxPropertiesBytes;

// Why `topic` (a topic name or filter) breaks the topic length or depth
// limit, as one lowercase clause ("topic has 9 forward slashes ..."), or "".
// The Basic Ingest prefix $aws/rules/<rule>/ counts for neither limit.
// Used by the policy plugin (PUBLISH, SUBSCRIBE) and the web console (before
// it sends, so its shared broker connection is not closed).
std::string topic_limit_violation(std::string_view topic);

}  // namespace mos::cloud::aws_limits

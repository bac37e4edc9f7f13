// MQTT 3.1.1 (OASIS Standard, 29 October 2014) packet codec, free of I/O.
//
// Hand-written rather than generated or taken from a general library: a
// device needs only the client's side of the protocol, and a direct encoder
// and decoder over byte spans keeps code small (see the size table), never
// allocates, and lets every check the spec demands sit next to the field it
// guards (STYLE.md §1).
//
// Encoding: size(msg) gives the exact packet length (0 when a field is out of
// range); encode(msg, out) writes exactly that many bytes at out's start.
// Decoding: decode() returns kOk, kNeedMore (a valid prefix) or kMalformed
// (with a reason). Views in a decoded Packet point into the input and are
// valid as long as the input bytes are.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mos/span.h"
#include "mos/status.h"

namespace mos::mqtt {

// §2.2.1 control packet types.
enum class PacketType : uint8_t {
  kConnect = 1,
  kConnack = 2,
  kPublish = 3,
  kPuback = 4,
  kPubrec = 5,
  kPubrel = 6,
  kPubcomp = 7,
  kSubscribe = 8,
  kSuback = 9,
  kUnsubscribe = 10,
  kUnsuback = 11,
  kPingreq = 12,
  kPingresp = 13,
  kDisconnect = 14,
};

// §2.2.3: four bytes of 7 bits each.
constexpr uint32_t kMaxRemainingLength = 268435455;
// §3.9.3 SUBACK return code for a refused subscription.
constexpr uint8_t kSubackFailure = 0x80;

// §3.2.2.3 connect return codes.
enum ConnackCode : uint8_t {
  kConnectionAccepted = 0,
  kUnacceptableProtocolVersion = 1,
  kIdentifierRejected = 2,
  kServerUnavailable = 3,
  kBadUserNameOrPassword = 4,
  kNotAuthorized = 5,
};
// The §3.2.2.3 name of a return code ("not authorized"); "reserved" above 5.
const char* connack_reason(uint8_t code);

struct Connect {
  std::string_view client_id;   // may be empty only with clean_session (§3.1.3.1)
  std::string_view user;        // empty: no user name (§3.1.2.8)
  ConstByteSpan password;       // empty: no password; needs a user (§3.1.2.9)
  std::string_view will_topic;  // empty: no will (§3.1.2.5)
  ConstByteSpan will_message;
  uint8_t will_qos = 0;
  bool will_retain = false;
  bool clean_session = true;
  uint16_t keep_alive_s = 0;    // §3.1.2.10; 0 turns keep-alive off
};

struct Connack {
  bool session_present = false;
  uint8_t return_code = 0;
};

struct Publish {
  std::string_view topic;
  ConstByteSpan payload;
  uint8_t qos = 0;
  bool retain = false;
  bool dup = false;
  uint16_t packet_id = 0;  // only with qos > 0 (§2.3.1)
};

struct Subscription {
  std::string_view filter;
  uint8_t qos = 0;
};

struct Subscribe {
  uint16_t packet_id = 0;
  Span<const Subscription> topics;  // at least one (§3.8.3)
};

struct Unsubscribe {
  uint16_t packet_id = 0;
  Span<const std::string_view> filters;  // at least one (§3.10.3)
};

// Encoded sizes of the fixed-size packets.
constexpr size_t kAckPacketSize = 4;    // PUBACK, PUBREC, PUBREL, PUBCOMP
constexpr size_t kEmptyPacketSize = 2;  // PINGREQ, PINGRESP, DISCONNECT

size_t size(const Connect& msg);
size_t size(const Publish& msg);
size_t size(const Subscribe& msg);
size_t size(const Unsubscribe& msg);
// kInvalidArg when size(msg) is 0, kNoSpace when out is shorter than size(msg).
Status encode(const Connect& msg, ByteSpan out);
Status encode(const Publish& msg, ByteSpan out);
Status encode(const Subscribe& msg, ByteSpan out);
Status encode(const Unsubscribe& msg, ByteSpan out);
// PUBACK, PUBREC, PUBREL, PUBCOMP (and UNSUBACK) with a non-zero packet id.
Status encode_ack(PacketType type, uint16_t packet_id, ByteSpan out);
// PINGREQ, PINGRESP, DISCONNECT.
Status encode_empty(PacketType type, ByteSpan out);

// A packet a client receives. Which fields are set depends on type.
struct Packet {
  PacketType type = PacketType::kConnack;
  size_t length = 0;        // the whole packet, fixed header included
  Connack connack;          // kConnack
  Publish publish;          // kPublish
  uint16_t packet_id = 0;   // kPublish (qos > 0), kPuback..kPubcomp, kSuback, kUnsuback
  ConstByteSpan return_codes;  // kSuback: one per requested filter
  const char* error = "";   // why, after kMalformed
};

// Decodes the packet at the start of `in`. A packet whose whole length exceeds
// max_packet is kMalformed as soon as its fixed header is complete (length
// set), so a receiver can drop it before buffering. Packet types a server
// never sends (CONNECT, SUBSCRIBE, ...) are kMalformed too.
Status decode(ConstByteSpan in, size_t max_packet, Packet* out);

// §1.5.3 / §4.7: well-formed UTF-8 without U+0000, at least one byte, no
// wildcards for a topic name; wildcards only as whole levels for a filter.
bool valid_topic_name(std::string_view topic);
bool valid_topic_filter(std::string_view filter);

}  // namespace mos::mqtt

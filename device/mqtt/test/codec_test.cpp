// Byte-exact tables for the MQTT 3.1.1 codec. Expected bytes are written out
// from the spec's field layouts (§3.x "Variable header" / "Payload" figures),
// and every encode is checked for writes past its size with guard bytes.
#include "mos/mqtt/codec.h"

#include <gtest/gtest.h>

#include <deque>
#include <string>
#include <vector>

namespace mos::mqtt {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes B(std::string_view s) { return Bytes(s.begin(), s.end()); }
ConstByteSpan S(const Bytes& b) { return ConstByteSpan(b.data(), b.size()); }

std::string hex(const Bytes& b) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (uint8_t c : b) {
    out += d[c >> 4];
    out += d[c & 15];
    out += ' ';
  }
  return out;
}

constexpr uint8_t kGuard = 0xA5;
constexpr size_t kGuardLen = 8;

// Encodes into a buffer with guard bytes on both sides; checks size() agrees
// with the bytes written and nothing outside was touched.
template <class Msg>
Bytes encode_guarded(const Msg& msg) {
  size_t n = size(msg);
  EXPECT_NE(n, 0u);
  Bytes buf(n + 2 * kGuardLen, kGuard);
  EXPECT_EQ(encode(msg, ByteSpan(buf.data() + kGuardLen, n)), Status::kOk);
  for (size_t i = 0; i < kGuardLen; ++i) {
    EXPECT_EQ(buf[i], kGuard) << "underrun at " << i;
    EXPECT_EQ(buf[kGuardLen + n + i], kGuard) << "overrun at " << i;
  }
  // One byte short must fail without writing anything.
  if (n > 0) {
    Bytes small(n - 1 + kGuardLen, kGuard);
    EXPECT_EQ(encode(msg, ByteSpan(small.data(), n - 1)), Status::kNoSpace);
    for (size_t i = n - 1; i < small.size(); ++i) EXPECT_EQ(small[i], kGuard);
  }
  return Bytes(buf.begin() + kGuardLen, buf.begin() + static_cast<long>(kGuardLen + n));
}

// --- CONNECT (§3.1) ---------------------------------------------------------

TEST(MqttEncode, ConnectMinimal) {
  Connect c;
  c.client_id = "mos";
  c.keep_alive_s = 60;
  // 10 0f | 00 04 M Q T T | 04 | flags 02 (clean) | 00 3c | 00 03 m o s
  EXPECT_EQ(hex(encode_guarded(c)),
            hex(B(std::string("\x10\x0f\x00\x04MQTT\x04\x02\x00\x3c\x00\x03mos", 17))));
}

TEST(MqttEncode, ConnectEverything) {
  Connect c;
  c.client_id = "dev1";
  c.user = "u";
  const Bytes pass = B("pw");
  c.password = S(pass);
  c.will_topic = "w/t";
  const Bytes msg = B("bye");
  c.will_message = S(msg);
  c.will_qos = 1;
  c.will_retain = true;
  c.clean_session = false;
  c.keep_alive_s = 0x1234;
  // flags: user 80 | password 40 | will retain 20 | will qos 1 = 08 | will 04 = ec
  const std::string want(
      "\x10\x21"
      "\x00\x04MQTT\x04\xec\x12\x34"
      "\x00\x04" "dev1"
      "\x00\x03w/t"
      "\x00\x03" "bye"
      "\x00\x01u"
      "\x00\x02pw",
      35);
  EXPECT_EQ(hex(encode_guarded(c)), hex(B(want)));
}

TEST(MqttEncode, ConnectWillQos2NoRetainEmptyClientId) {
  Connect c;
  c.will_topic = "t";
  c.will_qos = 2;
  // clean session with a zero-byte client id is allowed (§3.1.3.1).
  const std::string want("\x10\x11\x00\x04MQTT\x04\x16\x00\x00\x00\x00\x00\x01t\x00\x00", 19);
  EXPECT_EQ(hex(encode_guarded(c)), hex(B(want)));
}

TEST(MqttEncode, ConnectRejectsWhatTheSpecForbids) {
  const Bytes pw = B("pw");
  Connect no_user;  // password without user name [MQTT-3.1.2-22]
  no_user.client_id = "x";
  no_user.password = S(pw);
  EXPECT_EQ(size(no_user), 0u);
  uint8_t out[64];
  EXPECT_EQ(encode(no_user, out), Status::kInvalidArg);

  Connect empty_id;  // zero-byte id needs clean session [MQTT-3.1.3-7]
  empty_id.clean_session = false;
  EXPECT_EQ(size(empty_id), 0u);

  Connect bad_will;
  bad_will.client_id = "x";
  bad_will.will_topic = "a/+";  // a will topic is a topic name: no wildcards
  EXPECT_EQ(size(bad_will), 0u);
  bad_will.will_topic = "a";
  bad_will.will_qos = 3;
  EXPECT_EQ(size(bad_will), 0u);

  Connect qos_without_will;  // [MQTT-3.1.2-13]
  qos_without_will.client_id = "x";
  qos_without_will.will_qos = 1;
  EXPECT_EQ(size(qos_without_will), 0u);

  Connect bad_id;
  bad_id.client_id = std::string_view("a\0b", 3);  // U+0000 [MQTT-1.5.3-2]
  EXPECT_EQ(size(bad_id), 0u);
}

// --- PUBLISH (§3.3) ---------------------------------------------------------

TEST(MqttEncode, PublishTable) {
  const Bytes payload = B("hi");
  struct Case {
    uint8_t qos;
    bool retain, dup;
    uint16_t id;
    std::string want;
  } cases[] = {
      {0, false, false, 0, std::string("\x30\x07\x00\x03" "a/b" "hi", 9)},
      {0, true, false, 0, std::string("\x31\x07\x00\x03" "a/b" "hi", 9)},
      {1, false, false, 10, std::string("\x32\x09\x00\x03" "a/b\x00\x0a" "hi", 11)},
      {1, false, true, 0xABCD, std::string("\x3a\x09\x00\x03" "a/b\xab\xcd" "hi", 11)},
      {2, true, true, 1, std::string("\x3d\x09\x00\x03" "a/b\x00\x01" "hi", 11)},
  };
  for (const Case& c : cases) {
    Publish p{"a/b", S(payload), c.qos, c.retain, c.dup, c.id};
    EXPECT_EQ(hex(encode_guarded(p)), hex(B(c.want))) << int(c.qos) << c.retain << c.dup;
  }
}

TEST(MqttEncode, PublishRejectsWhatTheSpecForbids) {
  Publish p{"a/b", {}, 1, false, false, 0};  // QoS 1 with packet id 0 (§2.3.1)
  EXPECT_EQ(size(p), 0u);
  p = Publish{"a/+", {}, 0, false, false, 0};  // wildcard (§3.3.2.1)
  EXPECT_EQ(size(p), 0u);
  p = Publish{"a/#", {}, 0, false, false, 0};
  EXPECT_EQ(size(p), 0u);
  p = Publish{"", {}, 0, false, false, 0};  // empty (§4.7.3)
  EXPECT_EQ(size(p), 0u);
  p = Publish{"a", {}, 0, false, true, 0};  // DUP with QoS 0 (§3.3.1.1)
  EXPECT_EQ(size(p), 0u);
  p = Publish{"a", {}, 3, false, false, 1};  // QoS 3
  EXPECT_EQ(size(p), 0u);
  p = Publish{"\xc0\x80", {}, 0, false, false, 0};  // overlong U+0000
  EXPECT_EQ(size(p), 0u);
}

// §2.2.3 remaining-length table: the boundaries of 1, 2, 3 and 4 bytes.
TEST(MqttEncode, RemainingLengthBoundaries) {
  struct Case {
    size_t remaining;
    Bytes header;
  } cases[] = {
      {3, {0x30, 0x03}},
      {127, {0x30, 0x7f}},
      {128, {0x30, 0x80, 0x01}},
      {16383, {0x30, 0xff, 0x7f}},
      {16384, {0x30, 0x80, 0x80, 0x01}},
      {2097151, {0x30, 0xff, 0xff, 0x7f}},
      {2097152, {0x30, 0x80, 0x80, 0x80, 0x01}},
  };
  for (const Case& c : cases) {
    Bytes payload(c.remaining - 3, 'x');
    Publish p{"t", S(payload), 0, false, false, 0};
    Bytes out = encode_guarded(p);
    ASSERT_EQ(out.size(), c.header.size() + c.remaining);
    EXPECT_EQ(hex(Bytes(out.begin(), out.begin() + static_cast<long>(c.header.size()))),
              hex(c.header));
    Packet d;
    ASSERT_EQ(decode(S(out), out.size(), &d), Status::kOk) << d.error;
    EXPECT_EQ(d.publish.payload.size(), payload.size());
  }
  // The 4-byte maximum (268435455) is sized but not allocated; one more is refused.
  static const uint8_t dummy = 0;
  Publish max{"t", ConstByteSpan(&dummy, kMaxRemainingLength - 3), 0, false, false, 0};
  EXPECT_EQ(size(max), 1 + 4 + size_t{kMaxRemainingLength});
  Publish over{"t", ConstByteSpan(&dummy, kMaxRemainingLength - 2), 0, false, false, 0};
  EXPECT_EQ(size(over), 0u);
}

// --- SUBSCRIBE / UNSUBSCRIBE (§3.8, §3.10) -----------------------------------

TEST(MqttEncode, Subscribe) {
  Subscription topics[] = {{"a/b", 0}, {"c/+/#", 1}};
  Subscribe s{0x0102, Span<const Subscription>(topics)};
  const std::string want("\x82\x10\x01\x02\x00\x03" "a/b\x00\x00\x05" "c/+/#\x01", 18);
  EXPECT_EQ(hex(encode_guarded(s)), hex(B(want)));
}

TEST(MqttEncode, SubscribeRejectsBadFilters) {
  for (std::string_view f : {"", "a+", "a/#/b", "#a", "a/b#", "+a/b"}) {
    Subscription t{f, 0};
    Subscribe s{1, Span<const Subscription>(&t, 1)};
    EXPECT_EQ(size(s), 0u) << f;
  }
  for (std::string_view f : {"#", "+", "a/+", "+/+/#", "/", "a//b", "sport/tennis/#"}) {
    Subscription t{f, 2};
    Subscribe s{1, Span<const Subscription>(&t, 1)};
    EXPECT_NE(size(s), 0u) << f;
  }
  Subscription t{"a", 3};
  EXPECT_EQ(size(Subscribe{1, Span<const Subscription>(&t, 1)}), 0u);
  t.qos = 0;
  EXPECT_EQ(size(Subscribe{0, Span<const Subscription>(&t, 1)}), 0u);  // id 0
  EXPECT_EQ(size(Subscribe{1, Span<const Subscription>()}), 0u);        // no topics
}

TEST(MqttEncode, Unsubscribe) {
  std::string_view filters[] = {"a/b", "#"};
  Unsubscribe u{7, Span<const std::string_view>(filters)};
  const std::string want("\xa2\x0a\x00\x07\x00\x03" "a/b\x00\x01#", 12);
  EXPECT_EQ(hex(encode_guarded(u)), hex(B(want)));
  EXPECT_EQ(size(Unsubscribe{0, Span<const std::string_view>(filters)}), 0u);
}

// --- fixed-size packets -----------------------------------------------------

TEST(MqttEncode, AcksAndEmptyPackets) {
  struct Case {
    PacketType type;
    Bytes want;
  } acks[] = {
      {PacketType::kPuback, {0x40, 0x02, 0x12, 0x34}},
      {PacketType::kPubrec, {0x50, 0x02, 0x12, 0x34}},
      {PacketType::kPubrel, {0x62, 0x02, 0x12, 0x34}},  // §3.6.1 flags 0010
      {PacketType::kPubcomp, {0x70, 0x02, 0x12, 0x34}},
  };
  for (const Case& c : acks) {
    Bytes buf(kAckPacketSize + 2, kGuard);
    ASSERT_EQ(encode_ack(c.type, 0x1234, ByteSpan(buf.data(), kAckPacketSize)), Status::kOk);
    EXPECT_EQ(hex(buf), hex(Bytes{c.want[0], c.want[1], c.want[2], c.want[3], kGuard, kGuard}));
    EXPECT_EQ(encode_ack(c.type, 0, ByteSpan(buf.data(), buf.size())), Status::kInvalidArg);
    EXPECT_EQ(encode_ack(c.type, 1, ByteSpan(buf.data(), 3)), Status::kNoSpace);
  }
  Bytes buf(4, kGuard);
  EXPECT_EQ(encode_ack(PacketType::kPublish, 1, ByteSpan(buf.data(), buf.size())), Status::kInvalidArg);
  struct Empty {
    PacketType type;
    uint8_t first;
  } empties[] = {{PacketType::kPingreq, 0xc0}, {PacketType::kPingresp, 0xd0}, {PacketType::kDisconnect, 0xe0}};
  for (const Empty& e : empties) {
    Bytes out(4, kGuard);
    ASSERT_EQ(encode_empty(e.type, ByteSpan(out.data(), 2)), Status::kOk);
    EXPECT_EQ(hex(out), hex(Bytes{e.first, 0x00, kGuard, kGuard}));
  }
  EXPECT_EQ(encode_empty(PacketType::kPuback, ByteSpan(buf.data(), buf.size())), Status::kInvalidArg);
  EXPECT_EQ(encode_empty(PacketType::kPingreq, ByteSpan(buf.data(), 1)), Status::kNoSpace);
}

TEST(MqttCodec, ConnackReasonsByName) {
  EXPECT_STREQ(connack_reason(0), "connection accepted");
  EXPECT_STREQ(connack_reason(1), "unacceptable protocol version");
  EXPECT_STREQ(connack_reason(2), "identifier rejected");
  EXPECT_STREQ(connack_reason(3), "server unavailable");
  EXPECT_STREQ(connack_reason(4), "bad user name or password");
  EXPECT_STREQ(connack_reason(5), "not authorized");
  EXPECT_STREQ(connack_reason(6), "reserved return code");
}

// --- decoding ---------------------------------------------------------------

// Decodes a copy that lives to the end of the test run, as the Packet's
// views point into it (a deque never moves its elements).
Status dec(const std::string& s, Packet* p, size_t max = 1 << 20) {
  static std::deque<std::string> keep;
  keep.push_back(s);
  return decode(as_bytes(keep.back()), max, p);
}

TEST(MqttDecode, Connack) {
  Packet p;
  ASSERT_EQ(dec(std::string("\x20\x02\x00\x00", 4), &p), Status::kOk);
  EXPECT_EQ(p.type, PacketType::kConnack);
  EXPECT_EQ(p.length, 4u);
  EXPECT_FALSE(p.connack.session_present);
  EXPECT_EQ(p.connack.return_code, 0);
  ASSERT_EQ(dec(std::string("\x20\x02\x01\x00", 4), &p), Status::kOk);
  EXPECT_TRUE(p.connack.session_present);
  ASSERT_EQ(dec(std::string("\x20\x02\x00\x05", 4), &p), Status::kOk);
  EXPECT_EQ(p.connack.return_code, kNotAuthorized);
}

TEST(MqttDecode, PublishQos012) {
  Packet p;
  // QoS 0, retain, topic "a/b", payload "xyz", followed by the next packet's bytes.
  const std::string q0("\x31\x08\x00\x03" "a/bxyz" "\xd0\x00", 12);
  ASSERT_EQ(dec(q0, &p), Status::kOk);
  EXPECT_EQ(p.type, PacketType::kPublish);
  EXPECT_EQ(p.length, 10u);
  EXPECT_EQ(p.publish.topic, "a/b");
  EXPECT_EQ(as_string(p.publish.payload), "xyz");
  EXPECT_EQ(p.publish.qos, 0);
  EXPECT_TRUE(p.publish.retain);
  EXPECT_FALSE(p.publish.dup);

  ASSERT_EQ(dec(std::string("\x3a\x07\x00\x01t\x12\x34ok", 9), &p), Status::kOk);
  EXPECT_EQ(p.publish.qos, 1);
  EXPECT_TRUE(p.publish.dup);
  EXPECT_FALSE(p.publish.retain);
  EXPECT_EQ(p.publish.packet_id, 0x1234);
  EXPECT_EQ(p.packet_id, 0x1234);
  EXPECT_EQ(as_string(p.publish.payload), "ok");

  ASSERT_EQ(dec(std::string("\x34\x05\x00\x01t\x00\x01", 7), &p), Status::kOk);
  EXPECT_EQ(p.publish.qos, 2);
  EXPECT_EQ(p.publish.payload.size(), 0u);

  // UTF-8 topic: "ü/€/𝄞" (2-, 3- and 4-byte forms).
  const std::string utf("\x30\x0d\x00\x0b\xc3\xbc/\xe2\x82\xac/\xf0\x9d\x84\x9e", 15);
  ASSERT_EQ(dec(utf, &p), Status::kOk);
  EXPECT_EQ(p.publish.topic.size(), 11u);
}

TEST(MqttDecode, AcksSubackPingresp) {
  struct Case {
    std::string in;
    PacketType type;
    uint16_t id;
  } cases[] = {
      {std::string("\x40\x02\x00\x01", 4), PacketType::kPuback, 1},
      {std::string("\x50\x02\xff\xff", 4), PacketType::kPubrec, 0xffff},
      {std::string("\x62\x02\x01\x00", 4), PacketType::kPubrel, 0x100},
      {std::string("\x70\x02\x00\x09", 4), PacketType::kPubcomp, 9},
      {std::string("\xb0\x02\x00\x07", 4), PacketType::kUnsuback, 7},
      {std::string("\x90\x05\x00\x02\x00\x01\x80", 7), PacketType::kSuback, 2},
      {std::string("\xd0\x00", 2), PacketType::kPingresp, 0},
  };
  for (const Case& c : cases) {
    Packet p;
    ASSERT_EQ(dec(c.in, &p), Status::kOk) << hex(B(c.in)) << p.error;
    EXPECT_EQ(p.type, c.type);
    EXPECT_EQ(p.packet_id, c.id);
    EXPECT_EQ(p.length, c.in.size());
  }
  Packet p;
  ASSERT_EQ(dec(std::string("\x90\x05\x00\x02\x00\x02\x80", 7), &p), Status::kOk);
  ASSERT_EQ(p.return_codes.size(), 3u);
  EXPECT_EQ(p.return_codes[1], 2);
  EXPECT_EQ(p.return_codes[2], kSubackFailure);
}

TEST(MqttDecode, MalformedTable) {
  struct Case {
    const char* why;
    std::string in;
  } cases[] = {
      {"5-byte remaining length", std::string("\x30\xff\xff\xff\xff\x01", 6)},
      {"5-byte remaining length, zero", std::string("\x30\x80\x80\x80\x80\x00", 6)},
      {"PUBACK flags", std::string("\x41\x02\x00\x01", 4)},
      {"PUBREL flags 0 (must be 0010)", std::string("\x60\x02\x00\x01", 4)},
      {"PINGRESP flags", std::string("\xd8\x00", 2)},
      {"CONNACK flags", std::string("\x22\x02\x00\x00", 4)},
      {"SUBACK flags", std::string("\x92\x03\x00\x01\x00", 5)},
      {"CONNACK length 3", std::string("\x20\x03\x00\x00\x00", 5)},
      {"CONNACK reserved ack bits", std::string("\x20\x02\x02\x00", 4)},
      {"CONNACK code 6", std::string("\x20\x02\x00\x06", 4)},
      {"CONNACK session present with refusal", std::string("\x20\x02\x01\x05", 4)},
      {"PUBLISH QoS 3", std::string("\x36\x05\x00\x01t\x00\x01", 7)},
      {"PUBLISH DUP with QoS 0", std::string("\x38\x03\x00\x01t", 5)},
      {"topic longer than packet", std::string("\x30\x04\x00\x05" "ab", 6)},
      {"topic length without topic", std::string("\x30\x01\x00", 3)},
      {"empty topic", std::string("\x30\x02\x00\x00", 4)},
      {"wildcard + in topic", std::string("\x30\x05\x00\x03" "a/+", 7)},
      {"wildcard # in topic", std::string("\x30\x03\x00\x01#", 5)},
      {"U+0000 in topic", std::string("\x30\x05\x00\x03" "a\0b", 7)},
      {"overlong NUL", std::string("\x30\x04\x00\x02\xc0\x80", 6)},
      {"overlong '/'", std::string("\x30\x05\x00\x03\xe0\x80\xaf", 7)},
      {"surrogate U+D800", std::string("\x30\x05\x00\x03\xed\xa0\x80", 7)},
      {"above U+10FFFF", std::string("\x30\x06\x00\x04\xf4\x90\x80\x80", 8)},
      {"lone continuation byte", std::string("\x30\x03\x00\x01\x80", 5)},
      {"truncated sequence", std::string("\x30\x04\x00\x02\xe2\x82", 6)},
      {"0xff byte", std::string("\x30\x03\x00\x01\xff", 5)},
      {"QoS 1 without packet id", std::string("\x32\x04\x00\x01t\x00", 6)},
      {"QoS 1 packet id 0", std::string("\x32\x05\x00\x01t\x00\x00", 7)},
      {"PUBACK packet id 0", std::string("\x40\x02\x00\x00", 4)},
      {"PUBACK length 3", std::string("\x40\x03\x00\x01\x00", 5)},
      {"PUBACK length 1", std::string("\x40\x01\x00", 3)},
      {"SUBACK without codes", std::string("\x90\x02\x00\x01", 4)},
      {"SUBACK packet id 0", std::string("\x90\x03\x00\x00\x00", 5)},
      {"SUBACK code 3", std::string("\x90\x03\x00\x01\x03", 5)},
      {"PINGRESP with body", std::string("\xd0\x01\x00", 3)},
      {"CONNECT from a server", std::string("\x10\x00", 2)},
      {"SUBSCRIBE from a server", std::string("\x82\x00", 2)},
      {"UNSUBSCRIBE from a server", std::string("\xa2\x00", 2)},
      {"PINGREQ from a server", std::string("\xc0\x00", 2)},
      {"DISCONNECT from a server", std::string("\xe0\x00", 2)},
      {"reserved type 0", std::string("\x00\x00", 2)},
      {"reserved type 15", std::string("\xf0\x00", 2)},
  };
  for (const Case& c : cases) {
    Packet p;
    EXPECT_EQ(dec(c.in, &p), Status::kMalformed) << c.why;
    EXPECT_STRNE(p.error, "") << c.why;
  }
}

TEST(MqttDecode, EveryTruncationNeedsMore) {
  const std::string packets[] = {
      std::string("\x20\x02\x00\x00", 4),
      std::string("\x32\x09\x00\x03" "a/b\x00\x0a" "hi", 11),
      std::string("\x90\x05\x00\x02\x00\x01\x80", 7),
      std::string("\x40\x02\x12\x34", 4),
      std::string("\xd0\x00", 2),
  };
  for (const std::string& full : packets) {
    for (size_t n = 0; n < full.size(); ++n) {
      Packet p;
      EXPECT_EQ(dec(full.substr(0, n), &p), Status::kNeedMore) << hex(B(full)) << " cut " << n;
    }
  }
  // A 4-byte length prefix announcing a large packet is a valid prefix too.
  Packet p;
  EXPECT_EQ(dec(std::string("\x30\xff\xff\xff\x7f", 5), &p, SIZE_MAX), Status::kNeedMore);
  EXPECT_EQ(dec(std::string("\x30\xff\xff\xff", 4), &p, 16), Status::kNeedMore);
}

TEST(MqttDecode, PacketOverTheLimitIsRefusedFromItsHeader) {
  Packet p;
  // 200-byte PUBLISH announced; only its first bytes arrived.
  EXPECT_EQ(dec(std::string("\x30\xc8\x01\x00", 4), &p, 128), Status::kMalformed);
  EXPECT_EQ(p.length, 203u);
  EXPECT_STREQ(p.error, "packet larger than the receive buffer");
  EXPECT_EQ(dec(std::string("\x30\xff\xff\xff\x7f", 5), &p, 1024), Status::kMalformed);
  EXPECT_EQ(p.length, 5u + kMaxRemainingLength);
  // Exactly at the limit is fine.
  EXPECT_EQ(dec(std::string("\x30\x03\x00\x01t", 5), &p, 5), Status::kOk);
  EXPECT_EQ(dec(std::string("\x30\x03\x00\x01t", 5), &p, 4), Status::kMalformed);
}

TEST(MqttDecode, RoundTripsWhatItEncodes) {
  const Bytes payload = B("{\"gpio\":1}");
  Publish in{"dev/1/request", S(payload), 1, true, true, 513};
  Bytes wire = encode_guarded(in);
  Packet p;
  ASSERT_EQ(decode(S(wire), wire.size(), &p), Status::kOk);
  EXPECT_EQ(p.publish.topic, in.topic);
  EXPECT_EQ(as_string(p.publish.payload), "{\"gpio\":1}");
  EXPECT_EQ(p.publish.packet_id, 513);
  EXPECT_TRUE(p.publish.retain && p.publish.dup);
}

TEST(MqttTopics, Validity) {
  EXPECT_TRUE(valid_topic_name("a"));
  EXPECT_TRUE(valid_topic_name("/"));
  EXPECT_TRUE(valid_topic_name("$SYS/x"));
  EXPECT_FALSE(valid_topic_name(std::string(65536, 'a')));  // longer than a string (§1.5.3)
  EXPECT_TRUE(valid_topic_name(std::string(65535, 'a')));
  EXPECT_TRUE(valid_topic_filter("a/+/c/#"));
  EXPECT_FALSE(valid_topic_filter("a/b+/c"));
}

}  // namespace
}  // namespace mos::mqtt

#include "mos/mqtt/codec.h"

#include "mos/assert.h"

namespace mos::mqtt {
namespace {

constexpr size_t kMaxString = 65535;  // §1.5.3: a two-byte length prefix

// Bytes needed for a remaining length (§2.2.3); 0 when it cannot be encoded.
size_t length_bytes(size_t remaining) {
  if (remaining > kMaxRemainingLength) return 0;
  size_t n = 1;
  while (remaining > 127) {
    remaining >>= 7;
    ++n;
  }
  return n;
}

// Total packet size from its remaining length; 0 when too long.
size_t total(size_t remaining) {
  size_t n = length_bytes(remaining);
  return n == 0 ? 0 : 1 + n + remaining;
}

// §1.5.3: well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates,
// nothing above U+10FFFF) and no U+0000 [MQTT-1.5.3-1, MQTT-1.5.3-2].
bool valid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  const uint8_t* end = p + s.size();
  while (p < end) {
    uint32_t c = *p++;
    if (c < 0x80) {
      if (c == 0) return false;
      continue;
    }
    // 0xC0/0xC1 could only start overlong two-byte forms; above 0xF4 is past U+10FFFF.
    int more = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : 1;
    if (c < 0xC2 || c > 0xF4 || end - p < more) return false;
    c &= 0x3Fu >> more;
    for (int i = 0; i < more; ++i) {
      if ((*p & 0xC0) != 0x80) return false;
      c = (c << 6) | (*p++ & 0x3Fu);
    }
    if ((more == 2 && (c < 0x800 || (c >= 0xD800 && c <= 0xDFFF))) ||
        (more == 3 && (c < 0x10000 || c > 0x10FFFF))) {
      return false;
    }
  }
  return true;
}

bool valid_string(std::string_view s) { return s.size() <= kMaxString && valid_utf8(s); }

// Sequential writer; callers have checked the room with size() first.
struct Writer {
  uint8_t* p;
  void u8(uint32_t v) { *p++ = static_cast<uint8_t>(v); }
  void u16(uint32_t v) {
    u8(v >> 8);
    u8(v);
  }
  void bytes(const void* data, size_t n) {
    const auto* b = static_cast<const uint8_t*>(data);
    for (size_t i = 0; i < n; ++i) *p++ = b[i];
  }
  void str(std::string_view s) {
    u16(static_cast<uint32_t>(s.size()));
    bytes(s.data(), s.size());
  }
  // Fixed header: type and flags, then the remaining length (§2.2).
  void header(PacketType type, uint32_t flags, size_t remaining) {
    u8(static_cast<uint32_t>(type) << 4 | flags);
    do {
      uint32_t digit = remaining & 0x7F;
      remaining >>= 7;
      u8(remaining > 0 ? digit | 0x80 : digit);
    } while (remaining > 0);
  }
};

Status check_room(size_t need, ByteSpan out) {
  if (need == 0) return Status::kInvalidArg;
  return out.size() < need ? Status::kNoSpace : Status::kOk;
}

size_t connect_remaining(const Connect& m) {
  // Variable header: protocol name "MQTT", level, flags, keep alive (§3.1.2).
  size_t n = 10 + 2 + m.client_id.size();
  if (!m.will_topic.empty()) n += 4 + m.will_topic.size() + m.will_message.size();
  if (!m.user.empty()) n += 2 + m.user.size();
  if (!m.password.empty()) n += 2 + m.password.size();
  return n;
}

}  // namespace

const char* connack_reason(uint8_t code) {
  static const char* const kNames[] = {
      "connection accepted",      "unacceptable protocol version", "identifier rejected",
      "server unavailable",       "bad user name or password",     "not authorized",
  };
  return code < 6 ? kNames[code] : "reserved return code";
}

bool valid_topic_name(std::string_view topic) {
  // §4.7.3: at least one character; §3.3.2.1: no wildcards in a topic name.
  return !topic.empty() && valid_string(topic) && topic.find_first_of("+#") == topic.npos;
}

bool valid_topic_filter(std::string_view filter) {
  if (filter.empty() || !valid_string(filter)) return false;
  for (size_t i = 0; i < filter.size(); ++i) {
    char c = filter[i];
    if (c != '+' && c != '#') continue;
    // §4.7.1.2, §4.7.1.3: a wildcard fills a whole level; '#' only the last.
    bool starts_level = i == 0 || filter[i - 1] == '/';
    bool ends_level = i + 1 == filter.size() || filter[i + 1] == '/';
    if (!starts_level || !ends_level || (c == '#' && i + 1 != filter.size())) return false;
  }
  return true;
}

size_t size(const Connect& m) {
  bool will = !m.will_topic.empty();
  // §3.1.3.1: a zero-byte client id needs clean_session [MQTT-3.1.3-7];
  // §3.1.2.9: no password without a user name [MQTT-3.1.2-22].
  if ((m.client_id.empty() && !m.clean_session) || (m.user.empty() && !m.password.empty()) ||
      !valid_string(m.client_id) || !valid_string(m.user) || m.password.size() > kMaxString ||
      (will && (!valid_topic_name(m.will_topic) || m.will_message.size() > kMaxString)) ||
      m.will_qos > 2 || (!will && (m.will_qos != 0 || m.will_retain))) {
    return 0;
  }
  return total(connect_remaining(m));
}

Status encode(const Connect& m, ByteSpan out) {
  Status s = check_room(size(m), out);
  if (s != Status::kOk) return s;
  Writer w{out.data()};
  w.header(PacketType::kConnect, 0, connect_remaining(m));
  w.str("MQTT");  // §3.1.2.1 protocol name
  w.u8(4);        // §3.1.2.2 protocol level 4 = 3.1.1
  // §3.1.2.3 connect flags; bit 0 is reserved and stays 0.
  bool will = !m.will_topic.empty();
  uint32_t flags = (m.clean_session ? 0x02u : 0u) | (will ? 0x04u : 0u) |
                   static_cast<uint32_t>(m.will_qos) << 3 | (m.will_retain ? 0x20u : 0u) |
                   (m.password.empty() ? 0u : 0x40u) | (m.user.empty() ? 0u : 0x80u);
  w.u8(flags);
  w.u16(m.keep_alive_s);
  // §3.1.3 payload order: client id, will topic, will message, user, password.
  w.str(m.client_id);
  if (will) {
    w.str(m.will_topic);
    w.u16(static_cast<uint32_t>(m.will_message.size()));
    w.bytes(m.will_message.data(), m.will_message.size());
  }
  if (!m.user.empty()) w.str(m.user);
  if (!m.password.empty()) {
    w.u16(static_cast<uint32_t>(m.password.size()));
    w.bytes(m.password.data(), m.password.size());
  }
  return Status::kOk;
}

size_t size(const Publish& m) {
  // §3.3.1.1: DUP is 0 for QoS 0; §2.3.1: QoS > 0 needs a non-zero id.
  if (m.qos > 2 || (m.qos == 0 && m.dup) || (m.qos > 0 && m.packet_id == 0) ||
      !valid_topic_name(m.topic)) {
    return 0;
  }
  return total(2 + m.topic.size() + (m.qos > 0 ? 2 : 0) + m.payload.size());
}

Status encode(const Publish& m, ByteSpan out) {
  size_t n = size(m);
  Status s = check_room(n, out);
  if (s != Status::kOk) return s;
  Writer w{out.data()};
  // §3.3.1: DUP bit 3, QoS bits 2-1, RETAIN bit 0.
  w.header(PacketType::kPublish,
           (m.dup ? 0x08u : 0u) | static_cast<uint32_t>(m.qos) << 1 | (m.retain ? 1u : 0u),
           2 + m.topic.size() + (m.qos > 0 ? 2 : 0) + m.payload.size());
  w.str(m.topic);
  if (m.qos > 0) w.u16(m.packet_id);
  w.bytes(m.payload.data(), m.payload.size());
  return Status::kOk;
}

size_t size(const Subscribe& m) {
  if (m.packet_id == 0 || m.topics.empty()) return 0;  // §2.3.1, §3.8.3
  size_t n = 2;
  for (const Subscription& t : m.topics) {
    if (t.qos > 2 || !valid_topic_filter(t.filter)) return 0;
    n += 3 + t.filter.size();
  }
  return total(n);
}

Status encode(const Subscribe& m, ByteSpan out) {
  size_t n = size(m);
  Status s = check_room(n, out);
  if (s != Status::kOk) return s;
  Writer w{out.data()};
  // §3.8.1: flags are 0010 [MQTT-3.8.1-1].
  w.header(PacketType::kSubscribe, 0x02, n - 1 - length_bytes(n));
  w.u16(m.packet_id);
  for (const Subscription& t : m.topics) {
    w.str(t.filter);
    w.u8(t.qos);
  }
  return Status::kOk;
}

size_t size(const Unsubscribe& m) {
  if (m.packet_id == 0 || m.filters.empty()) return 0;  // §2.3.1, §3.10.3
  size_t n = 2;
  for (std::string_view f : m.filters) {
    if (!valid_topic_filter(f)) return 0;
    n += 2 + f.size();
  }
  return total(n);
}

Status encode(const Unsubscribe& m, ByteSpan out) {
  size_t n = size(m);
  Status s = check_room(n, out);
  if (s != Status::kOk) return s;
  Writer w{out.data()};
  // §3.10.1: flags are 0010 [MQTT-3.10.1-1].
  w.header(PacketType::kUnsubscribe, 0x02, n - 1 - length_bytes(n));
  w.u16(m.packet_id);
  for (std::string_view f : m.filters) w.str(f);
  return Status::kOk;
}

Status encode_ack(PacketType type, uint16_t packet_id, ByteSpan out) {
  constexpr uint32_t kAckTypes = 1u << 4 | 1u << 5 | 1u << 6 | 1u << 7 | 1u << 11;
  if (packet_id == 0 || ((kAckTypes >> static_cast<uint32_t>(type)) & 1) == 0) {
    return Status::kInvalidArg;
  }
  if (out.size() < kAckPacketSize) return Status::kNoSpace;
  Writer w{out.data()};
  // §3.6.1: PUBREL's flags are 0010 [MQTT-3.6.1-1].
  w.header(type, type == PacketType::kPubrel ? 0x02 : 0, 2);
  w.u16(packet_id);
  return Status::kOk;
}

Status encode_empty(PacketType type, ByteSpan out) {
  constexpr uint32_t kEmptyTypes = 1u << 12 | 1u << 13 | 1u << 14;
  if (((kEmptyTypes >> static_cast<uint32_t>(type)) & 1) == 0) return Status::kInvalidArg;
  if (out.size() < kEmptyPacketSize) return Status::kNoSpace;
  Writer w{out.data()};
  w.header(type, 0, 0);
  return Status::kOk;
}

namespace {

// Bounds-checked reader over one packet's variable header and payload.
struct Reader {
  const uint8_t* p;
  const uint8_t* end;
  size_t left() const { return static_cast<size_t>(end - p); }
  bool u16(uint16_t* v) {
    if (left() < 2) return false;
    *v = static_cast<uint16_t>(p[0] << 8 | p[1]);
    p += 2;
    return true;
  }
};

Status malformed(Packet* out, const char* why) {
  out->error = why;
  return Status::kMalformed;
}

}  // namespace

Status decode(ConstByteSpan in, size_t max_packet, Packet* out) {
  *out = Packet{};
  if (in.size() < 2) return Status::kNeedMore;
  const uint32_t type = in[0] >> 4;
  const uint32_t flags = in[0] & 0x0F;
  // §2.2.3: at most four length bytes; a fifth continuation is malformed
  // (the overflow behind CVEs in several embedded clients).
  size_t remaining = 0;
  size_t i = 1;
  for (uint32_t shift = 0;; shift += 7) {
    if (i >= in.size()) return Status::kNeedMore;
    uint8_t b = in[i++];
    remaining |= static_cast<size_t>(b & 0x7F) << shift;
    if ((b & 0x80) == 0) break;
    if (i == 5) return malformed(out, "remaining length longer than 4 bytes");
  }
  out->length = i + remaining;
  // Over the receiver's limit is malformed for it, and known from the fixed
  // header alone: the packet need not be buffered to be refused.
  if (out->length > max_packet) return malformed(out, "packet larger than the receive buffer");
  if (in.size() < out->length) return Status::kNeedMore;
  out->type = static_cast<PacketType>(type);
  Reader r{in.data() + i, in.data() + out->length};

  // §2.2.2: the flags are fixed for every type but PUBLISH [MQTT-2.2.2-2].
  const uint32_t want_flags = type == 6 ? 2 : 0;
  if (type != 3 && flags != want_flags) return malformed(out, "reserved flag bits set");

  switch (out->type) {
    case PacketType::kConnack: {
      // §3.2.2.1: bits 7-1 of the acknowledge flags are reserved (0).
      if (remaining != 2 || (r.p[0] & 0xFE) != 0) return malformed(out, "bad CONNACK");
      out->connack.session_present = r.p[0] != 0;
      out->connack.return_code = r.p[1];
      // §3.2.2.2: session present is 0 with a non-zero code [MQTT-3.2.2-4];
      // codes above 5 are reserved.
      if (r.p[1] > 5 || (r.p[1] != 0 && r.p[0] != 0)) return malformed(out, "bad CONNACK");
      return Status::kOk;
    }
    case PacketType::kPublish: {
      Publish& pub = out->publish;
      pub.dup = (flags & 0x08) != 0;
      pub.qos = static_cast<uint8_t>((flags >> 1) & 3);
      pub.retain = (flags & 1) != 0;
      // §3.3.1.2: QoS 3 is malformed [MQTT-3.3.1-4]; §3.3.1.1: DUP is 0 for
      // QoS 0 [MQTT-3.3.1-2].
      if (pub.qos == 3 || (pub.qos == 0 && pub.dup)) return malformed(out, "bad PUBLISH flags");
      uint16_t len = 0;
      if (!r.u16(&len) || len > r.left()) return malformed(out, "topic longer than its packet");
      pub.topic = std::string_view(reinterpret_cast<const char*>(r.p), len);
      r.p += len;
      // §3.3.2.1: a valid topic name, without wildcards [MQTT-3.3.2-2].
      if (!valid_topic_name(pub.topic)) return malformed(out, "invalid topic");
      if (pub.qos > 0) {
        if (!r.u16(&pub.packet_id)) return malformed(out, "bad packet id");
        if (pub.packet_id == 0) return malformed(out, "bad packet id");  // §2.3.1
        out->packet_id = pub.packet_id;
      }
      pub.payload = ConstByteSpan(r.p, r.left());
      return Status::kOk;
    }
    case PacketType::kPuback:
    case PacketType::kPubrec:
    case PacketType::kPubrel:
    case PacketType::kPubcomp:
    case PacketType::kUnsuback:
      // §3.4 - §3.7, §3.11: exactly a packet id.
      if (remaining != 2) return malformed(out, "bad length");
      MOS_ASSERT(r.u16(&out->packet_id));  // remaining == 2: the id is there
      if (out->packet_id == 0) return malformed(out, "bad packet id");
      return Status::kOk;
    case PacketType::kSuback:
      // §3.9: a packet id and at least one return code, each 0-2 or 0x80.
      if (!r.u16(&out->packet_id) || out->packet_id == 0 || r.left() == 0) {
        return malformed(out, "bad SUBACK");
      }
      for (const uint8_t* c = r.p; c < r.end; ++c) {
        if (*c > 2 && *c != kSubackFailure) return malformed(out, "bad SUBACK");
      }
      out->return_codes = ConstByteSpan(r.p, r.left());
      return Status::kOk;
    case PacketType::kPingresp:
      if (remaining != 0) return malformed(out, "bad length");
      return Status::kOk;
    default:
      // Reserved types 0 and 15, and packets only a client sends (§2.2.1).
      return malformed(out, "unexpected packet type");
  }
}

}  // namespace mos::mqtt

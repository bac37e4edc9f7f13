#include "mos/mqtt/session.h"

#include <cstring>

#include "mos/assert.h"
#include "mos/log.h"

namespace mos::mqtt {
namespace {

// Each in-flight QoS 1 publish is stored as a 5-byte record header followed
// by its encoded PUBLISH, so a retransmission is a copy plus the DUP bit.
constexpr size_t kRecordHeader = 5;  // packet id (2), packet length (2), flags (1)
constexpr uint8_t kRecordSent = 1;
const char kUnexpected[] = "protocol violation: unexpected packet";

uint16_t rd16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
size_t record_size(const uint8_t* p) { return kRecordHeader + rd16(p + 2); }

Connect connect_packet(const Config& c) {
  return Connect{c.client_id,  c.user,        as_bytes(c.pass),
                 c.will_topic, as_bytes(c.will_message), c.will_qos,
                 c.will_retain, c.clean_session, c.keep_alive_s};
}

}  // namespace

Session::Session(Transport& transport, const Clock& clock, Random& random, const Buffers& buffers)
    : transport_(transport), clock_(clock), random_(random), buf_(buffers) {}

Status Session::start(const Config& config, EventHandler handler, void* ctx) {
  if (state_ != State::kStopped) return Status::kBusy;
  Connect c = connect_packet(config);
  size_t n = size(c);
  if (n == 0 || config.host.empty() || config.reconnect_timeout_min_s == 0 ||
      config.reconnect_timeout_max_s < config.reconnect_timeout_min_s ||
      config.reconnect_timeout_max_s > 86400) {
    return Status::kInvalidArg;
  }
  if (n > buf_.tx.size() || buf_.rx.size() < 16) return Status::kNoSpace;
  cfg_ = config;
  handler_ = handler;
  ctx_ = ctx;
  backoff_ms_ = config.reconnect_timeout_min_s * 1000;
  state_ = State::kBackoff;
  deadline_ms_ = 0;  // connect on the first poll
  return Status::kOk;
}

void Session::stop() {
  if (state_ == State::kConnected &&
      encode_empty(PacketType::kDisconnect, tx_free()) == Status::kOk) {
    tx_len_ += kEmptyPacketSize;
    (void)flush();
  }
  // Stopped on purpose: no back-off, no kDisconnected event.
  state_ = State::kStopped;
  drop(nullptr);
}

void Session::begin_connect(uint64_t now) {
  MOS_LOGI("MQTT connecting to %.*s:%u", static_cast<int>(cfg_.host.size()), cfg_.host.data(),
           cfg_.port);
  Status s = transport_.connect(cfg_.host, cfg_.port);
  if (s != Status::kOk && s != Status::kWouldBlock) {
    drop(transport_.last_error());
    return;
  }
  // The CONNECT waits in tx until the transport is up (§3.1: the first packet).
  Connect c = connect_packet(cfg_);
  rx_len_ = 0;
  tx_len_ = size(c);
  // start() refused a config whose CONNECT is empty or larger than tx.
  const Status encoded = encode(c, buf_.tx);
  MOS_ASSERT(encoded == Status::kOk);
  state_ = State::kConnecting;
  deadline_ms_ = now + uint64_t{cfg_.connect_timeout_s} * 1000;
}

void Session::drop(const char* reason) {
  const bool was_connected = state_ == State::kConnected;
  if (reason != nullptr) {
    // Copied first: a transport's last_error() dies with close().
    std::strncpy(reason_, reason, sizeof(reason_) - 1);
  }
  transport_.close();
  ++epoch_;
  rx_len_ = 0;
  tx_len_ = 0;
  ping_deadline_ms_ = 0;
  for (size_t i = 0; i < sub_count_; ++i) {
    subs_[i].sent = false;
    subs_[i].packet_id = 0;
  }
  if (state_ != State::kStopped) {
    // Back-off doubling from reconnect_timeout_min to _max, ±10 % jitter so
    // a fleet that lost its broker together does not return together.
    // 32-bit arithmetic only: a Cortex-M4 divides those in one instruction.
    const uint32_t delay =
        backoff_ms_ - backoff_ms_ / 10 + random_.next_u32() % (backoff_ms_ / 5 + 1);
    deadline_ms_ = clock_.now_ms() + delay;
    uint32_t max_ms = cfg_.reconnect_timeout_max_s * 1000;
    backoff_ms_ = backoff_ms_ >= max_ms / 2 ? max_ms : backoff_ms_ * 2;
    state_ = State::kBackoff;
    MOS_LOGW("MQTT disconnected: %s; reconnecting in %u ms", reason_, static_cast<unsigned>(delay));
  }
  if (was_connected) {
    Event e{};
    e.type = EventType::kDisconnected;
    e.disconnected.reason = reason_;
    emit(e);
  }
}

void Session::emit(Event& e) {
  if (handler_ != nullptr) handler_(e, ctx_);
}

bool Session::flush() {
  if (tx_len_ == 0) return true;
  int32_t n = transport_.write(ConstByteSpan(buf_.tx.data(), tx_len_));
  if (n < 0) {
    drop(n == Transport::kClosed ? "connection closed by the server" : transport_.last_error());
    return false;
  }
  if (n > 0) {
    size_t sent = static_cast<size_t>(n);
    std::memmove(buf_.tx.data(), buf_.tx.data() + sent, tx_len_ - sent);
    tx_len_ -= sent;
    last_tx_ms_ = clock_.now_ms();
  }
  return true;
}

uint16_t Session::next_packet_id() {
  // §2.3.1: non-zero and not in use by another unacknowledged packet.
  for (;;) {
    if (++last_id_ == 0) last_id_ = 1;
    bool used = false;
    for (size_t off = 0; off < inflight_len_; off += record_size(buf_.inflight.data() + off)) {
      used |= rd16(buf_.inflight.data() + off) == last_id_;
    }
    for (size_t i = 0; i < sub_count_; ++i) used |= subs_[i].packet_id == last_id_;
    if (!used) return last_id_;
  }
}

bool Session::queue_ack(PacketType type, uint16_t id) {
  if (encode_ack(type, id, tx_free()) != Status::kOk) return false;
  tx_len_ += kAckPacketSize;
  return true;
}

Status Session::subscribe(std::string_view filter, uint8_t qos) {
  if (qos > 1 || !valid_topic_filter(filter)) return Status::kInvalidArg;
  Sub* sub = nullptr;
  for (size_t i = 0; i < sub_count_; ++i) {
    if (subs_[i].view() == filter) sub = &subs_[i];
  }
  if (sub == nullptr) {
    if (sub_count_ == MOS_MQTT_MAX_SUBSCRIPTIONS) return Status::kNoSpace;
    sub = &subs_[sub_count_++];
    *sub = Sub{filter.data(), static_cast<uint16_t>(filter.size()), 0, qos, false};
  } else if (sub->qos != qos) {
    sub->qos = qos;
    sub->sent = false;
  }
  if (state_ == State::kConnected) {
    pump();
    (void)flush();
  }
  return Status::kOk;
}

Status Session::publish(std::string_view topic, ConstByteSpan payload, uint8_t qos, bool retain,
                        uint16_t* packet_id) {
  if (qos > 1) return Status::kInvalidArg;
  if (state_ == State::kStopped) return Status::kClosed;
  Publish p{topic, payload, qos, retain, false, 0};
  if (qos == 0) {
    if (state_ != State::kConnected) return Status::kClosed;
    size_t n = size(p);
    Status s = encode(p, tx_free());
    if (s == Status::kOk) {
      tx_len_ += n;
      (void)flush();
    }
    return s == Status::kNoSpace ? Status::kWouldBlock : s;
  }
  p.packet_id = next_packet_id();
  size_t n = size(p);
  if (n == 0) return Status::kInvalidArg;
  if (inflight_count_ == MOS_MQTT_MAX_INFLIGHT || n > 0xFFFF || n > buf_.tx.size() ||
      buf_.inflight.size() - inflight_len_ < kRecordHeader + n) {
    return Status::kNoSpace;
  }
  uint8_t* rec = buf_.inflight.data() + inflight_len_;
  rec[0] = static_cast<uint8_t>(p.packet_id >> 8);
  rec[1] = static_cast<uint8_t>(p.packet_id);
  rec[2] = static_cast<uint8_t>(n >> 8);
  rec[3] = static_cast<uint8_t>(n);
  rec[4] = 0;
  // n = size(p) != 0 and the record fits (both checked above).
  const Status encoded = encode(p, ByteSpan(rec + kRecordHeader, n));
  MOS_ASSERT(encoded == Status::kOk);
  inflight_len_ += kRecordHeader + n;
  ++inflight_count_;
  if (packet_id != nullptr) *packet_id = p.packet_id;
  if (state_ == State::kConnected) {
    pump();
    (void)flush();
  }
  return Status::kOk;
}

void Session::remove_record(size_t off) {
  uint8_t* rec = buf_.inflight.data() + off;
  size_t n = record_size(rec);
  std::memmove(rec, rec + n, inflight_len_ - off - n);
  inflight_len_ -= n;
  --inflight_count_;
}

void Session::pump() {
  // Subscriptions first, one filter per SUBSCRIBE so each SUBACK names one.
  for (size_t i = 0; i < sub_count_; ++i) {
    Sub& s = subs_[i];
    if (s.sent) continue;
    Subscription t{s.view(), s.qos};
    Subscribe m{next_packet_id(), Span<const Subscription>(&t, 1)};
    if (encode(m, tx_free()) != Status::kOk) return;  // retried on the next poll
    tx_len_ += size(m);
    s.sent = true;
    s.packet_id = m.packet_id;
  }
  for (size_t off = 0; off < inflight_len_;) {
    uint8_t* rec = buf_.inflight.data() + off;
    size_t n = rd16(rec + 2);
    if ((rec[4] & kRecordSent) == 0) {
      if (tx_free().size() < n) return;
      std::memcpy(buf_.tx.data() + tx_len_, rec + kRecordHeader, n);
      tx_len_ += n;
      rec[4] |= kRecordSent;
    }
    off += kRecordHeader + n;
  }
}

void Session::on_connack(const Connack& c) {
  if (c.return_code != kConnectionAccepted) {
    // §3.2.2.3: the server closes after a refusal; name the reason, and for
    // 4 and 5 (the broker's auth decided) where to ask why.
    // ("" rather than an empty view: %.*s must not get a null pointer.)
    const bool auth = static_cast<uint8_t>(c.return_code - 4) < 2;
    const std::string_view hint = auth && !cfg_.refused_hint.empty() ? cfg_.refused_hint : std::string_view("");
    MOS_LOGE("MQTT connection refused: %s (CONNACK %u)%.*s", connack_reason(c.return_code),
             c.return_code, static_cast<int>(hint.size()), hint.data());
    drop(connack_reason(c.return_code));
    return;
  }
  state_ = State::kConnected;
  backoff_ms_ = cfg_.reconnect_timeout_min_s * 1000;
  // §4.4: with clean_session 0 unacknowledged publishes are re-sent with
  // their ids and DUP set (§3.3.1.1); with clean_session 1 the server dropped
  // the session (§3.1.2.4), so publishes already sent are forgotten.
  size_t dropped = 0;
  for (size_t off = 0; off < inflight_len_;) {
    uint8_t* rec = buf_.inflight.data() + off;
    size_t n = record_size(rec);
    if ((rec[4] & kRecordSent) != 0 && cfg_.clean_session) {
      remove_record(off);
      ++dropped;
      continue;
    }
    if ((rec[4] & kRecordSent) != 0) rec[kRecordHeader] |= 0x08;
    rec[4] &= static_cast<uint8_t>(~kRecordSent);
    off += n;
  }
  if (dropped > 0) {
    MOS_LOGW("MQTT clean session: %u unacked QoS 1 messages dropped",
             static_cast<unsigned>(dropped));
  }
  MOS_LOGI("MQTT connected to %.*s:%u", static_cast<int>(cfg_.host.size()), cfg_.host.data(),
           cfg_.port);
  pump();
  Event e{};
  e.type = EventType::kConnected;
  e.connected.session_present = c.session_present;
  emit(e);
}

bool Session::handle(const Packet& p) {
  // §3.2: CONNACK comes first [MQTT-3.2.0-1], and only once.
  if ((state_ == State::kConnecting) != (p.type == PacketType::kConnack)) {
    drop(kUnexpected);
    return false;
  }
  Event e{};
  switch (p.type) {
    case PacketType::kConnack:
      on_connack(p.connack);
      return true;
    case PacketType::kPublish: {
      const Publish& m = p.publish;
      // §4.3.2/§4.3.3: acknowledge QoS 1 with PUBACK, QoS 2 with PUBREC. If tx
      // has no room, the packet stays in rx until it has.
      if (m.qos > 0 && tx_free().size() < kAckPacketSize) return false;
      if (m.qos > 0) {
        (void)queue_ack(m.qos == 1 ? PacketType::kPuback : PacketType::kPubrec, m.packet_id);
      }
      e.type = EventType::kMessage;
      e.message = MessageEvent{m.topic, m.payload, m.qos, m.retain, m.dup};
      emit(e);
      return true;
    }
    case PacketType::kPubrel:
      return queue_ack(PacketType::kPubcomp, p.packet_id);
    case PacketType::kPuback:
      for (size_t off = 0; off < inflight_len_;) {
        uint8_t* rec = buf_.inflight.data() + off;
        size_t n = record_size(rec);
        if (rd16(rec) == p.packet_id) {
          remove_record(off);
          e.type = EventType::kPuback;
          e.puback.packet_id = p.packet_id;
          emit(e);
          return true;
        }
        off += n;
      }
      MOS_LOGW("MQTT PUBACK for unknown packet id %u ignored", p.packet_id);
      return true;
    case PacketType::kSuback:
      for (size_t i = 0; i < sub_count_; ++i) {
        if (subs_[i].packet_id != p.packet_id) continue;
        // §3.9.3: one return code per filter; each SUBSCRIBE carries one.
        if (p.return_codes.size() != 1) {
          drop(kUnexpected);
          return false;
        }
        subs_[i].packet_id = 0;
        if (p.return_codes[0] == kSubackFailure) {
          MOS_LOGE("MQTT subscription to %.*s refused by the server",
                   static_cast<int>(subs_[i].len), subs_[i].filter);
        }
        e.type = EventType::kSubscribed;
        e.subscribed = SubscribedEvent{p.packet_id, subs_[i].view(), p.return_codes[0]};
        emit(e);
        return true;
      }
      return true;  // a SUBACK for a filter since removed
    case PacketType::kPingresp:
      ping_deadline_ms_ = 0;
      return true;
    default:
      // PUBREC/PUBCOMP/UNSUBACK: this client never publishes with QoS 2 nor
      // unsubscribes.
      drop(kUnexpected);
      return false;
  }
}

bool Session::read_and_process() {
  for (;;) {
    // Packets already buffered first: some may wait for tx room.
    size_t pos = 0;
    bool blocked = false;
    for (;;) {
      Packet p;
      Status s = decode(ConstByteSpan(buf_.rx.data() + pos, rx_len_ - pos), buf_.rx.size(), &p);
      if (s == Status::kNeedMore) break;
      if (s != Status::kOk) {
        // §4.8: a protocol violation closes the network connection; drop()
        // logs the decoder's reason.
        drop(p.error);
        return false;
      }
      const uint8_t epoch = epoch_;
      bool go_on = handle(p);
      if (epoch != epoch_) return false;  // the connection ended inside
      if (!go_on) {                       // no tx room: retry on the next poll
        blocked = true;
        break;
      }
      pos += p.length;
    }
    std::memmove(buf_.rx.data(), buf_.rx.data() + pos, rx_len_ - pos);
    rx_len_ -= pos;
    if (blocked) return true;
    int32_t n = transport_.read(buf_.rx.subspan(rx_len_));
    if (n == 0) return true;
    if (n < 0) {
      drop(n == Transport::kClosed ? "connection closed by the server" : transport_.last_error());
      return false;
    }
    rx_len_ += static_cast<size_t>(n);
  }
}

void Session::poll(uint64_t now) {
  if (state_ == State::kBackoff && now >= deadline_ms_) begin_connect(now);
  if (state_ != State::kConnecting && state_ != State::kConnected) return;
  if (!flush() || !read_and_process()) return;
  if (state_ == State::kConnecting) {
    if (now >= deadline_ms_) drop("timed out waiting for CONNACK");
    return;
  }
  pump();
  if (cfg_.keep_alive_s != 0) {
    const uint64_t period = uint64_t{cfg_.keep_alive_s} * 1000;
    if (ping_deadline_ms_ != 0 && now >= ping_deadline_ms_) {
      drop("no PINGRESP within keep_alive");  // §3.1.2.10
      return;
    }
    // §3.1.2.10: send something at least every keep_alive seconds.
    if (ping_deadline_ms_ == 0 && now >= last_tx_ms_ + period &&
        encode_empty(PacketType::kPingreq, tx_free()) == Status::kOk) {
      tx_len_ += kEmptyPacketSize;
      ping_deadline_ms_ = now + period;
    }
  }
  (void)flush();
}

}  // namespace mos::mqtt

// The session as a state machine, driven through a fake transport and a fake
// clock (STYLE.md §7): every packet it sends is checked on the wire.
#include "mos/mqtt/session.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "fakes.h"

namespace mos::mqtt {
namespace {

using testing::FakeClock;
using testing::FakeRandom;
using testing::FakeTransport;
using testing::LogCapture;

std::string wire(const Publish& p) {
  std::string out(size(p), '\0');
  EXPECT_EQ(encode(p, ByteSpan(reinterpret_cast<uint8_t*>(out.data()), out.size())), Status::kOk);
  return out;
}
std::string connack(uint8_t code, bool session_present = false) {
  return std::string{'\x20', '\x02', session_present ? '\x01' : '\x00', static_cast<char>(code)};
}
std::string ack(uint8_t first, uint16_t id) {
  return std::string{static_cast<char>(first), '\x02', static_cast<char>(id >> 8),
                     static_cast<char>(id & 0xff)};
}
std::string suback(uint16_t id, uint8_t code) {
  return std::string{'\x90', '\x03', static_cast<char>(id >> 8), static_cast<char>(id & 0xff),
                     static_cast<char>(code)};
}
const std::string kPingreq("\xc0\x00", 2);
const std::string kPingresp("\xd0\x00", 2);

int type_of(const std::string& packet) { return static_cast<uint8_t>(packet[0]) >> 4; }
uint16_t id_of_publish(const std::string& p) {
  // fixed header (2 bytes for small packets), topic length, topic, id
  size_t topic_len = static_cast<size_t>(static_cast<uint8_t>(p[2]) << 8 | static_cast<uint8_t>(p[3]));
  return static_cast<uint16_t>(static_cast<uint8_t>(p[4 + topic_len]) << 8 |
                               static_cast<uint8_t>(p[5 + topic_len]));
}
uint16_t id_of(const std::string& p) {  // SUBSCRIBE, UNSUBSCRIBE, acks
  return static_cast<uint16_t>(static_cast<uint8_t>(p[2]) << 8 | static_cast<uint8_t>(p[3]));
}
std::string filter_of_subscribe(const std::string& p) {
  size_t len = static_cast<size_t>(static_cast<uint8_t>(p[4]) << 8 | static_cast<uint8_t>(p[5]));
  return p.substr(6, len);
}

struct Rec {
  EventType type = EventType::kConnected;
  std::string reason, topic, payload;
  uint8_t qos = 0;
  bool retain = false, dup = false, session_present = false;
  uint16_t id = 0;
  uint8_t granted = 0;
};

class SessionTest : public ::testing::Test {
 protected:
  SessionTest() {
    cfg.host = "broker.local";
    cfg.port = 1883;
    cfg.client_id = "dev1";
    cfg.keep_alive_s = 10;
    cfg.reconnect_timeout_min_s = 1;
    cfg.reconnect_timeout_max_s = 8;
  }
  static void handler(const Event& e, void* ctx) {
    auto* self = static_cast<SessionTest*>(ctx);
    Rec r;
    r.type = e.type;
    switch (e.type) {
      case EventType::kConnected: r.session_present = e.connected.session_present; break;
      case EventType::kDisconnected: r.reason = e.disconnected.reason; break;
      case EventType::kMessage:
        r.topic = std::string(e.message.topic);
        r.payload = std::string(as_string(e.message.payload));
        r.qos = e.message.qos;
        r.retain = e.message.retain;
        r.dup = e.message.dup;
        break;
      case EventType::kPuback: r.id = e.puback.packet_id; break;
      case EventType::kSubscribed:
        r.id = e.subscribed.packet_id;
        r.topic = std::string(e.subscribed.filter);
        r.granted = e.subscribed.granted_qos;
        break;
    }
    self->events.push_back(r);
    if (self->on_event) self->on_event(e);
  }
  void start() { ASSERT_EQ(s.start(cfg, handler, this), Status::kOk); }
  void poll() { s.poll(clock.now); }
  void advance(uint64_t ms) {
    clock.now += ms;
    poll();
  }
  // Polls once (connect + CONNECT), answers CONNACK 0, polls again.
  void connect(bool session_present = false) {
    poll();
    ASSERT_TRUE(t.open);
    auto pk = t.take_packets();
    ASSERT_EQ(pk.size(), 1u);
    ASSERT_EQ(type_of(pk[0]), 1);  // CONNECT
    t.incoming += connack(0, session_present);
    poll();
    ASSERT_TRUE(s.connected());
  }
  size_t count(EventType type) const {
    size_t n = 0;
    for (const Rec& r : events) n += r.type == type;
    return n;
  }

  FakeClock clock;
  FakeTransport t{clock};
  FakeRandom rnd;
  uint8_t rx[128];
  uint8_t tx[512];
  uint8_t inflight[512];
  Session s{t, clock, rnd, Buffers{rx, tx, inflight}};
  Config cfg;
  std::vector<Rec> events;
  std::function<void(const Event&)> on_event;
};

TEST_F(SessionTest, SendsConnectFromConfigAndReportsConnected) {
  cfg.user = "u";
  cfg.pass = "p";
  cfg.will_topic = "dev1/status";
  cfg.will_message = "offline";
  cfg.will_qos = 1;
  cfg.clean_session = false;
  start();
  poll();
  EXPECT_EQ(t.last_host, "broker.local");
  EXPECT_EQ(t.last_port, 1883);
  Connect want{"dev1", "u", as_bytes("p"), "dev1/status", as_bytes("offline"), 1, false, false, 10};
  std::string bytes(size(want), '\0');
  ASSERT_EQ(encode(want, ByteSpan(reinterpret_cast<uint8_t*>(bytes.data()), bytes.size())),
            Status::kOk);
  EXPECT_EQ(t.sent, bytes);
  t.sent.clear();
  EXPECT_FALSE(s.connected());
  t.incoming += connack(0, true);
  poll();
  EXPECT_TRUE(s.connected());
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, EventType::kConnected);
  EXPECT_TRUE(events[0].session_present);
}

TEST_F(SessionTest, RejectsBadConfig) {
  Config c = cfg;
  c.host = "";
  EXPECT_EQ(s.start(c, handler, this), Status::kInvalidArg);
  c = cfg;
  c.client_id = "";
  c.clean_session = false;  // [MQTT-3.1.3-7]
  EXPECT_EQ(s.start(c, handler, this), Status::kInvalidArg);
  c = cfg;
  c.reconnect_timeout_max_s = 0;
  EXPECT_EQ(s.start(c, handler, this), Status::kInvalidArg);
  c = cfg;
  std::string long_id(600, 'x');
  c.client_id = long_id;  // CONNECT larger than the 512-byte tx buffer
  EXPECT_EQ(s.start(c, handler, this), Status::kNoSpace);
  start();
  EXPECT_EQ(s.start(cfg, handler, this), Status::kBusy);
  s.stop();
  EXPECT_EQ(s.start(cfg, handler, this), Status::kOk);
}

TEST_F(SessionTest, KeepAlivePingAndPingrespTimeout) {
  start();
  connect();
  t.take_packets();
  advance(9999);
  EXPECT_TRUE(t.take_packets().empty()) << "no PINGREQ before keep_alive";
  advance(1);
  auto pk = t.take_packets();
  ASSERT_EQ(pk.size(), 1u);
  EXPECT_EQ(pk[0], kPingreq);
  t.incoming += kPingresp;
  advance(5000);
  EXPECT_TRUE(s.connected());
  advance(5000);  // idle for keep_alive again: second ping, left unanswered
  pk = t.take_packets();
  ASSERT_EQ(pk.size(), 1u);
  EXPECT_EQ(pk[0], kPingreq);
  advance(9999);
  EXPECT_TRUE(s.connected());
  LogCapture log;
  advance(1);
  EXPECT_FALSE(s.connected());
  EXPECT_EQ(t.closes, 1);
  ASSERT_EQ(count(EventType::kDisconnected), 1u);
  EXPECT_NE(events.back().reason.find("PINGRESP"), std::string::npos);
  EXPECT_TRUE(log.contains("no PINGRESP"));
}

TEST_F(SessionTest, TrafficDefersThePing) {
  start();
  connect();
  t.take_packets();
  advance(6000);
  ASSERT_EQ(s.publish("a", as_bytes("x"), 0, false), Status::kOk);
  advance(6000);  // 12 s since CONNECT but only 6 s since the publish
  auto pk = t.take_packets();
  ASSERT_EQ(pk.size(), 1u);
  EXPECT_EQ(type_of(pk[0]), 3);
  advance(4000);
  pk = t.take_packets();
  ASSERT_EQ(pk.size(), 1u);
  EXPECT_EQ(pk[0], kPingreq);
}

TEST_F(SessionTest, KeepAliveZeroNeverPings) {
  cfg.keep_alive_s = 0;
  start();
  connect();
  t.take_packets();
  for (int i = 0; i < 100; ++i) advance(60000);
  EXPECT_TRUE(t.take_packets().empty());
  EXPECT_TRUE(s.connected());
}

// Steps the clock 1 ms at a time and returns the delays between connect attempts.
std::vector<uint64_t> attempt_gaps(SessionTest* fx, FakeClock& clock, FakeTransport& t,
                                   Session& s, size_t attempts) {
  (void)fx;
  while (t.connect_times.size() < attempts) {
    clock.now += 1;
    s.poll(clock.now);
  }
  std::vector<uint64_t> gaps;
  for (size_t i = 1; i < t.connect_times.size(); ++i) {
    gaps.push_back(t.connect_times[i] - t.connect_times[i - 1]);
  }
  return gaps;
}

TEST_F(SessionTest, BackoffDoublesToMaxWithinJitter) {
  t.refuse = true;
  // Scripted randomness: the low and high ends of the jitter, then random.
  rnd.values = {0, 400, 37, 999999, 12345, 4000000000u, 100};
  LogCapture log;
  start();
  poll();
  ASSERT_EQ(t.connect_times.size(), 1u);
  EXPECT_TRUE(log.contains("connection refused"));
  auto gaps = attempt_gaps(this, clock, t, s, 8);
  const uint64_t base[] = {1000, 2000, 4000, 8000, 8000, 8000, 8000};
  ASSERT_EQ(gaps.size(), 7u);
  EXPECT_EQ(gaps[0], 900u);   // 1000 * 0.9
  EXPECT_EQ(gaps[1], 2200u);  // 2000 * 1.1: 400 is the top of 2000's jitter span
  for (size_t i = 0; i < gaps.size(); ++i) {
    EXPECT_GE(gaps[i], base[i] * 9 / 10) << i;
    EXPECT_LE(gaps[i], base[i] * 11 / 10) << i;
  }
  EXPECT_EQ(count(EventType::kDisconnected), 0u) << "never connected";
}

TEST_F(SessionTest, ConnackZeroResetsBackoff) {
  t.refuse = true;
  start();
  poll();
  attempt_gaps(this, clock, t, s, 4);  // waits 1, 2, 4 s; the next would be 8 s
  t.refuse = false;
  clock.now += 8800;  // the top of 8 s + 10 %
  poll();
  ASSERT_EQ(t.connect_times.size(), 5u);
  t.incoming += connack(0);
  poll();
  ASSERT_TRUE(s.connected());
  t.peer_closed = true;
  poll();
  ASSERT_FALSE(s.connected());
  ASSERT_EQ(count(EventType::kDisconnected), 1u);
  EXPECT_EQ(events.back().reason, "connection closed by the server");
  uint64_t dropped_at = clock.now;
  attempt_gaps(this, clock, t, s, 6);
  uint64_t gap = t.connect_times[5] - dropped_at;
  EXPECT_GE(gap, 900u);
  EXPECT_LE(gap, 1100u) << "back-off was not reset to reconnect_timeout_min";
}

TEST_F(SessionTest, RefusedConnackDoesNotResetBackoff) {
  start();
  poll();
  t.incoming += connack(kServerUnavailable);
  poll();
  attempt_gaps(this, clock, t, s, 2);
  t.incoming += connack(kServerUnavailable);
  poll();
  auto gaps = attempt_gaps(this, clock, t, s, 3);
  EXPECT_GE(gaps[1], 1800u);
  EXPECT_LE(gaps[1], 2200u);
}

TEST_F(SessionTest, ConnackRefusalsAreLoggedByName) {
  const char* names[] = {"", "unacceptable protocol version", "identifier rejected",
                         "server unavailable", "bad user name or password", "not authorized"};
  start();
  for (uint8_t code = 1; code <= 5; ++code) {
    LogCapture log;
    attempt_gaps(this, clock, t, s, code);
    ASSERT_TRUE(t.open);
    int closes = t.closes;
    t.incoming += connack(code);
    poll();
    EXPECT_FALSE(s.connected());
    EXPECT_EQ(t.closes, closes + 1) << "connection not closed after CONNACK " << int(code);
    EXPECT_TRUE(log.contains(std::string("MQTT connection refused: ") + names[code]))
        << "code " << int(code) << ": " << (log.lines.empty() ? "" : log.lines[0]);
  }
  EXPECT_EQ(count(EventType::kConnected), 0u);
}

// Refusals by the broker's auth (4, 5) end with the app's hint on where the
// broker says why; the others do not, and no hint adds no text.
TEST_F(SessionTest, AuthRefusalsCarryTheAppsHint) {
  const std::string hint = "; see why: mos cloud denials --client-id dev1";
  auto refusal_line_ends_with = [](const LogCapture& log, const std::string& tail) {
    for (const auto& l : log.lines) {
      if (l.find("MQTT connection refused") == std::string::npos) continue;
      return l.size() >= tail.size() && l.compare(l.size() - tail.size(), std::string::npos, tail) == 0;
    }
    return false;
  };
  for (bool with_hint : {false, true}) {
    cfg.refused_hint = with_hint ? std::string_view(hint) : std::string_view();
    s.stop();
    start();
    const size_t before = t.connect_times.size();
    for (uint8_t code = 1; code <= 5; ++code) {
      LogCapture log;
      attempt_gaps(this, clock, t, s, before + code);
      ASSERT_TRUE(t.open);
      t.incoming += connack(code);
      poll();
      std::string want = "(CONNACK " + std::to_string(code) + ")" + (with_hint && code >= 4 ? hint : "");
      EXPECT_TRUE(refusal_line_ends_with(log, want))
          << "code " << int(code) << ": " << (log.lines.empty() ? "" : log.lines[0]);
    }
  }
}

TEST_F(SessionTest, SubscriptionsResentOnEveryConnack) {
  ASSERT_EQ(s.subscribe("dev1/request", 1), Status::kOk);
  ASSERT_EQ(s.subscribe("dev1/rpc/#", 0), Status::kOk);
  EXPECT_EQ(s.subscribe("a/b#", 0), Status::kInvalidArg);
  start();
  for (int round = 0; round < 3; ++round) {
    connect();
    auto pk = t.take_packets();
    ASSERT_EQ(pk.size(), 2u) << "round " << round;
    EXPECT_EQ(pk[0][0], '\x82');
    EXPECT_EQ(filter_of_subscribe(pk[0]), "dev1/request");
    EXPECT_EQ(pk[0].back(), '\x01');
    EXPECT_EQ(filter_of_subscribe(pk[1]), "dev1/rpc/#");
    t.incoming += suback(id_of(pk[0]), 1) + suback(id_of(pk[1]), kSubackFailure);
    poll();
    ASSERT_GE(events.size(), 2u);
    EXPECT_EQ(events[events.size() - 2].type, EventType::kSubscribed);
    EXPECT_EQ(events[events.size() - 2].topic, "dev1/request");
    EXPECT_EQ(events[events.size() - 2].granted, 1);
    EXPECT_EQ(events.back().topic, "dev1/rpc/#");
    EXPECT_EQ(events.back().granted, kSubackFailure);
    t.peer_closed = true;
    poll();
    clock.now += 2000;
  }
}

TEST_F(SessionTest, AppSubscribesFromItsConnectedHandler) {
  // As the c_mqtt example does: subscribe to mqtt.sub on every CONNACK.
  on_event = [this](const Event& e) {
    if (e.type == EventType::kConnected) {
      EXPECT_EQ(s.subscribe("/request", 0), Status::kOk);
    }
  };
  start();
  for (int round = 0; round < 2; ++round) {
    connect();
    auto pk = t.take_packets();
    ASSERT_EQ(pk.size(), 1u) << "round " << round << ": exactly one SUBSCRIBE";
    EXPECT_EQ(filter_of_subscribe(pk[0]), "/request");
    t.peer_closed = true;
    poll();
    clock.now += 2000;
  }
}

TEST_F(SessionTest, ReceivesMessagesAndAcknowledges) {
  start();
  connect();
  t.take_packets();
  t.incoming += wire(Publish{"/request", as_bytes("{gpio:{pin:2,state:0}}"), 0, false, false, 0});
  t.incoming += wire(Publish{"/q1", as_bytes("one"), 1, true, true, 77});
  t.incoming += wire(Publish{"/q2", as_bytes("two"), 2, false, false, 78});
  t.incoming += ack(0x62, 78);  // PUBREL
  t.read_chunk = 3;             // packets split across reads
  for (int i = 0; i < 30; ++i) poll();
  ASSERT_EQ(count(EventType::kMessage), 3u);
  EXPECT_EQ(events[1].topic, "/request");
  EXPECT_EQ(events[1].payload, "{gpio:{pin:2,state:0}}");
  EXPECT_EQ(events[2].qos, 1);
  EXPECT_TRUE(events[2].retain);
  EXPECT_TRUE(events[2].dup);
  EXPECT_EQ(events[3].qos, 2);
  auto pk = t.take_packets();
  ASSERT_EQ(pk.size(), 3u);
  EXPECT_EQ(pk[0], ack(0x40, 77));  // PUBACK
  EXPECT_EQ(pk[1], ack(0x50, 78));  // PUBREC
  EXPECT_EQ(pk[2], ack(0x70, 78));  // PUBCOMP
}

TEST_F(SessionTest, Qos1RetransmittedWithDupAfterReconnectWithoutCleanSession) {
  cfg.clean_session = false;
  start();
  connect();
  t.take_packets();
  uint16_t id1 = 0, id2 = 0;
  ASSERT_EQ(s.publish("/response", as_bytes("a"), 1, false, &id1), Status::kOk);
  ASSERT_EQ(s.publish("/response", as_bytes("b"), 1, false, &id2), Status::kOk);
  EXPECT_NE(id1, id2);
  poll();
  auto pk = t.take_packets();
  ASSERT_EQ(pk.size(), 2u);
  EXPECT_EQ(pk[0][0], '\x32') << "first send has no DUP";
  EXPECT_EQ(id_of_publish(pk[0]), id1);
  t.incoming += ack(0x40, id1);
  poll();
  ASSERT_EQ(count(EventType::kPuback), 1u);
  EXPECT_EQ(events.back().id, id1);
  EXPECT_EQ(s.inflight_count(), 1u);

  t.peer_closed = true;  // the PUBACK for id2 never comes
  poll();
  clock.now += 2000;
  connect(true);
  pk = t.take_packets();
  ASSERT_EQ(pk.size(), 1u);
  EXPECT_EQ(pk[0][0], '\x3a') << "re-sent with DUP (§3.3.1.1)";
  EXPECT_EQ(id_of_publish(pk[0]), id2);
  EXPECT_EQ(pk[0].substr(pk[0].size() - 1), "b");
  t.incoming += ack(0x40, id2);
  poll();
  EXPECT_EQ(s.inflight_count(), 0u);
  EXPECT_EQ(count(EventType::kPuback), 2u);

  t.peer_closed = true;
  poll();
  clock.now += 2000;
  connect(true);
  EXPECT_TRUE(t.take_packets().empty()) << "acknowledged messages are not re-sent";
}

TEST_F(SessionTest, Qos1NotRetransmittedWithCleanSession) {
  cfg.clean_session = true;
  start();
  connect();
  t.take_packets();
  ASSERT_EQ(s.publish("/response", as_bytes("a"), 1, false), Status::kOk);
  poll();
  ASSERT_EQ(t.take_packets().size(), 1u);
  t.peer_closed = true;
  poll();
  clock.now += 2000;
  LogCapture log;
  connect();
  EXPECT_TRUE(t.take_packets().empty());
  EXPECT_EQ(s.inflight_count(), 0u);
  EXPECT_TRUE(log.contains("dropped"));
}

TEST_F(SessionTest, Qos1PublishedWhileOfflineIsSentOnConnect) {
  start();
  ASSERT_EQ(s.publish("/response", as_bytes("early"), 1, false), Status::kOk);
  EXPECT_EQ(s.publish("/response", as_bytes("q0"), 0, false), Status::kClosed);
  connect();
  auto pk = t.take_packets();
  ASSERT_EQ(pk.size(), 1u);
  EXPECT_EQ(pk[0][0], '\x32') << "never sent before: no DUP";
}

TEST_F(SessionTest, InflightLimit) {
  start();
  connect();
  for (int i = 0; i < MOS_MQTT_MAX_INFLIGHT; ++i) {
    ASSERT_EQ(s.publish("t", as_bytes("x"), 1, false), Status::kOk);
  }
  EXPECT_EQ(s.publish("t", as_bytes("x"), 1, false), Status::kNoSpace);
  EXPECT_EQ(s.publish("t", as_bytes("x"), 2, false), Status::kInvalidArg);
  EXPECT_EQ(s.publish("t/+", as_bytes("x"), 1, false), Status::kInvalidArg);
}

TEST_F(SessionTest, OversizePacketDropsTheConnection) {
  start();
  connect();
  LogCapture log;
  // A 200-byte PUBLISH announced to a 128-byte rx buffer.
  t.incoming += std::string("\x30\xc5\x01\x00\x01t", 6);
  poll();
  EXPECT_FALSE(s.connected());
  EXPECT_EQ(t.closes, 1);
  EXPECT_TRUE(log.contains("larger than the receive buffer"));
  ASSERT_EQ(count(EventType::kDisconnected), 1u);
  // ... and reconnects with back-off.
  attempt_gaps(this, clock, t, s, 2);
  EXPECT_TRUE(t.open);
}

TEST_F(SessionTest, ProtocolViolationsDropTheConnection) {
  const std::string bad[] = {
      std::string("\x30\xff\xff\xff\xff\x01", 6),   // 5-byte remaining length
      std::string("\x30\x05\x00\x03" "a/#", 7),     // wildcard in a PUBLISH topic
      ack(0x50, 1),                                  // PUBREC: we never publish QoS 2
      connack(0),                                    // a second CONNACK
      std::string("\x90\x04\x00\x01\x00\x00", 6),   // 2 codes for a 1-filter SUBSCRIBE
  };
  ASSERT_EQ(s.subscribe("x", 0), Status::kOk);
  start();
  for (const std::string& b : bad) {
    connect();
    auto pk = t.take_packets();
    ASSERT_EQ(pk.size(), 1u);
    int closes = t.closes;
    LogCapture log;
    if (b[0] == '\x90') {
      t.incoming += b.substr(0, 2) + pk[0].substr(2, 2) + b.substr(4);
    } else {
      t.incoming += b;
    }
    poll();
    EXPECT_FALSE(s.connected()) << int(static_cast<uint8_t>(b[0]));
    EXPECT_EQ(t.closes, closes + 1);
    EXPECT_TRUE(log.contains("MQTT")) << "reason logged";
    clock.now += 10000;
  }
}

TEST_F(SessionTest, PacketBeforeConnackIsAViolation) {
  start();
  poll();
  t.incoming += kPingresp;
  poll();
  EXPECT_EQ(t.closes, 1);
}

TEST_F(SessionTest, ConnackTimeout) {
  cfg.connect_timeout_s = 5;
  start();
  poll();
  advance(4999);
  EXPECT_TRUE(t.open);
  advance(1);
  EXPECT_FALSE(t.open);
}

TEST_F(SessionTest, SlowTransportKeepsPacketsIntact) {
  t.write_room = 3;  // the transport takes 3 bytes per write
  ASSERT_EQ(s.subscribe("abc", 0), Status::kOk);
  start();
  poll();
  for (int i = 0; i < 20; ++i) poll();
  t.incoming += connack(0);
  for (int i = 0; i < 20; ++i) poll();
  auto pk = t.take_packets();
  ASSERT_EQ(pk.size(), 2u);
  EXPECT_EQ(type_of(pk[0]), 1);
  EXPECT_EQ(filter_of_subscribe(pk[1]), "abc");
}

TEST_F(SessionTest, StopSendsDisconnectAndStaysDown) {
  start();
  connect();
  t.take_packets();
  s.stop();
  EXPECT_EQ(t.take_packets(), std::vector<std::string>{std::string("\xe0\x00", 2)});
  EXPECT_FALSE(t.open);
  for (int i = 0; i < 10; ++i) advance(100000);
  EXPECT_EQ(t.connect_times.size(), 1u);
}

TEST_F(SessionTest, StopFromInsideAMessageHandler) {
  on_event = [this](const Event& e) {
    if (e.type == EventType::kMessage) s.stop();
  };
  start();
  connect();
  t.incoming += wire(Publish{"a", as_bytes("1"), 0, false, false, 0});
  t.incoming += wire(Publish{"a", as_bytes("2"), 0, false, false, 0});
  poll();
  EXPECT_EQ(count(EventType::kMessage), 1u);
  EXPECT_FALSE(t.open);
}

}  // namespace
}  // namespace mos::mqtt

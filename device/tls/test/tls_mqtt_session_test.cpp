// The whole device stack against a real Mosquitto with mutual TLS: device/net's
// non-blocking TCP transport, mos_tls, and mos_mqtt's Session on top —
// CONNECT/CONNACK, SUBSCRIBE, a QoS 1 PUBLISH echoed back to us, PUBACK.
#include <gtest/gtest.h>
#include <poll.h>

#include <chrono>
#include <cstring>
#include <string>

#include "mos/log.h"
#include "mos/mqtt/session.h"
#include "mos/net/tcp_transport.h"
#include "tls_test_util.h"

namespace mos::tls {
namespace {

struct SteadyClock : Clock {
  uint64_t now_ms() const override {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::steady_clock::now().time_since_epoch())
                                     .count());
  }
};

struct XorShift : Random {
  uint32_t s = 2463534242u;
  uint32_t next_u32() override {
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    return s;
  }
};

struct Seen {
  bool connected = false;
  bool subscribed = false;
  bool puback = false;
  std::string message;
  std::string disconnect_reason;
};

void on_event(const mqtt::Event& e, void* ctx) {
  auto* seen = static_cast<Seen*>(ctx);
  switch (e.type) {
    case mqtt::EventType::kConnected: seen->connected = true; break;
    case mqtt::EventType::kSubscribed: seen->subscribed = true; break;
    case mqtt::EventType::kPuback: seen->puback = true; break;
    case mqtt::EventType::kMessage: seen->message = std::string(as_string(e.message.payload)); break;
    case mqtt::EventType::kDisconnected: seen->disconnect_reason = e.disconnected.reason; break;
  }
}

class TlsMqttSession : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir;
    testing::Pki pki = testing::cached_pki("session-v1", [](testing::Pki& p) {
      testing::CertFiles ca = p.ca("ca", "ec");
      p.leaf("broker", ca, "ec", "DNS:localhost,IP:127.0.0.1");
      p.leaf("device-1", ca, "rsa", "", "pkcs1");
      p.ca("rogue", "ec");
    });
    ca_ = pki.files("ca");
    server_ = pki.files("broker");
    device_ = pki.files("device-1");
    rogue_ca_ = pki.files("rogue");
    broker_ = new testing::Mosquitto(dir_->path(), ca_, server_);
    ASSERT_TRUE(broker_->start()) << broker_->log();
  }
  static void TearDownTestSuite() {
    delete broker_;
    delete dir_;
  }

  // Runs the session until `done` or the deadline, sleeping in poll() on the
  // socket as the device's event loop would.
  template <class Done>
  bool run_until(mqtt::Session& s, net::TcpTransport& tcp, Done done, int timeout_ms = 10000) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < deadline) {
      s.poll(clock_.now_ms());
      if (done()) return true;
      pollfd p{tcp.fd(), static_cast<short>(POLLIN | (tcp.connecting() || tcp.write_blocked() ? POLLOUT : 0)), 0};
      if (p.fd >= 0) {
        ::poll(&p, 1, 20);
      } else {
        ::poll(nullptr, 0, 5);
      }
    }
    return false;
  }

  // Connects `tls` with the device's certificate, checks the
  // max_fragment_length asked for, and has the broker echo a QoS 1 PUBLISH
  // of `size` bytes back through a subscription.
  void echo_big(net::TcpTransport& tcp, TlsTransport& tls, const char* client_id, size_t size, size_t fragment) {
    TrustAnchorStore<> anchors;
    ClientIdentityStore<> identity;
    ASSERT_EQ(anchors.add_pem(testing::read_file(ca_.cert)), Status::kOk);
    ASSERT_EQ(identity.load_pem(testing::read_file(device_.cert), testing::read_file(device_.key)), Status::kOk);
    testing::Scratch scratch;
    TlsConfig tc;
    tc.handshake_scratch = scratch.span();
    tc.anchors = &anchors;
    tc.identity = &identity;
    ASSERT_EQ(tls.configure(tc), Status::kOk);
    static uint8_t rx[17000], tx[17000], inflight[17000];
    std::string topic = std::string("mos/tls/") + client_id;  // the session keeps a view
    mqtt::Session session(tls, clock_, random_, mqtt::Buffers{ByteSpan(rx), ByteSpan(tx), ByteSpan(inflight)});
    mqtt::Config mc;
    mc.host = "localhost";
    mc.port = broker_->port();
    mc.client_id = client_id;
    Seen seen;
    ASSERT_EQ(session.start(mc, on_event, &seen), Status::kOk);
    ASSERT_TRUE(run_until(session, tcp, [&] { return seen.connected; })) << tls.last_error();
    EXPECT_EQ(tls.max_fragment(), fragment);
    ASSERT_EQ(session.subscribe(topic, 1), Status::kOk);
    ASSERT_TRUE(run_until(session, tcp, [&] { return seen.subscribed; }));
    std::string big(size, 'x');
    for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
    ASSERT_EQ(session.publish(topic, as_bytes(big), 1, false), Status::kOk);
    ASSERT_TRUE(run_until(session, tcp, [&] { return seen.puback && !seen.message.empty(); })) << tls.last_error();
    EXPECT_EQ(seen.message, big);
    EXPECT_EQ(tls.bearssl_error(), 0);
    session.stop();
  }

  static testing::TempDir* dir_;
  static testing::CertFiles ca_, server_, device_, rogue_ca_;
  static testing::Mosquitto* broker_;
  SteadyClock clock_;
  XorShift random_;
};
testing::TempDir* TlsMqttSession::dir_;
testing::CertFiles TlsMqttSession::ca_, TlsMqttSession::server_, TlsMqttSession::device_, TlsMqttSession::rogue_ca_;
testing::Mosquitto* TlsMqttSession::broker_;

TEST_F(TlsMqttSession, SubscribePublishQos1EchoOverMutualTls) {
  net::TcpTransport tcp;
  uint8_t tls_buf[input_buffer_size(1024)];
  TlsTransport tls(tcp, ByteSpan(tls_buf, sizeof(tls_buf)));
  TrustAnchorStore<> anchors;
  ClientIdentityStore<> identity;
  ASSERT_EQ(anchors.add_pem(testing::read_file(ca_.cert)), Status::kOk);
  ASSERT_EQ(identity.load_pem(testing::read_file(device_.cert), testing::read_file(device_.key)), Status::kOk);
  testing::SystemWallClock wall;
  testing::Scratch scratch;
  TlsConfig tc;
  tc.handshake_scratch = scratch.span();
  tc.anchors = &anchors;
  tc.identity = &identity;
  tc.wall_clock = &wall;
  tc.random = &random_;
  ASSERT_EQ(tls.configure(tc), Status::kOk) << tls.last_error();

  uint8_t rx[MOS_MQTT_MAX_PACKET], tx[MOS_MQTT_MAX_PACKET], inflight[MOS_MQTT_MAX_PACKET];
  mqtt::Session session(tls, clock_, random_, mqtt::Buffers{ByteSpan(rx), ByteSpan(tx), ByteSpan(inflight)});
  mqtt::Config mc;
  mc.host = "localhost";
  mc.port = broker_->port();
  mc.client_id = "device-1";
  Seen seen;
  ASSERT_EQ(session.start(mc, on_event, &seen), Status::kOk);
  ASSERT_TRUE(run_until(session, tcp, [&] { return seen.connected; }))
      << tls.last_error() << " / " << seen.disconnect_reason;
  EXPECT_EQ(tls.max_fragment(), 1024u);
  // The handshake scratch is back with us once connected: scribble over it
  // (as an app reusing it would) and keep talking through the connection.
  EXPECT_FALSE(tls.scratch_borrowed());
  std::memset(scratch.bytes, 0x5A, sizeof(scratch.bytes));
  ASSERT_EQ(session.subscribe("mos/tls/echo", 1), Status::kOk);
  ASSERT_TRUE(run_until(session, tcp, [&] { return seen.subscribed; }));
  ASSERT_EQ(session.publish("mos/tls/echo", as_bytes("{gpio: {pin: 2, state: 0}}"), 1, false), Status::kOk);
  ASSERT_TRUE(run_until(session, tcp, [&] { return seen.puback && !seen.message.empty(); }));
  EXPECT_EQ(seen.message, "{gpio: {pin: 2, state: 0}}");
  for (size_t i = 0; i < sizeof(scratch.bytes); ++i) ASSERT_EQ(scratch.bytes[i], 0x5A) << "scratch written at " << i;
  // The broker saw the certificate's CN as the user (use_identity_as_username).
  EXPECT_NE(broker_->log().find("as device-1"), std::string::npos) << broker_->log();
  session.stop();
}

TEST_F(TlsMqttSession, MosquittoHonoursMaxFragmentLengthFor837ByteBuffer) {
  // A 3000-byte PUBLISH echoed back can only arrive through an 837-byte TLS
  // buffer if the broker splits it into records of at most 512 bytes; one
  // that ignored max_fragment_length would fail with BR_ERR_TOO_LARGE.
  net::TcpTransport tcp;
  uint8_t tls_buf[input_buffer_size(512)];
  TlsTransport tls(tcp, ByteSpan(tls_buf, sizeof(tls_buf)));
  echo_big(tcp, tls, "device-1-big", 3000, 512);
}

TEST_F(TlsMqttSession, FullInputAnd2KOutputTake16KRecordsFromMosquitto) {
  // The AWS IoT configuration (mqtt.ssl_rx_buf_size=16384): a 16 KB input
  // record buffer, a 2 KB output one, no max_fragment_length asked, so
  // Mosquitto's OpenSSL sends a 16000-byte PUBLISH in full 16384-byte
  // records, while ours go out in records of at most 2048.
  net::TcpTransport tcp;
  static uint8_t in[input_buffer_size(16384)];
  uint8_t out[output_buffer_size(2048)];
  TlsTransport tls(tcp, ByteSpan(in), ByteSpan(out));
  echo_big(tcp, tls, "device-1-16k", 16000, 16384);
}

TEST_F(TlsMqttSession, WrongCaIsLoggedByTheSession) {
  net::TcpTransport tcp;
  uint8_t tls_buf[input_buffer_size(512)];
  TlsTransport tls(tcp, ByteSpan(tls_buf, sizeof(tls_buf)));
  TrustAnchorStore<> anchors;
  ClientIdentityStore<> identity;
  ASSERT_EQ(anchors.add_pem(testing::read_file(rogue_ca_.cert)), Status::kOk);
  ASSERT_EQ(identity.load_pem(testing::read_file(device_.cert), testing::read_file(device_.key)), Status::kOk);
  testing::Scratch scratch;
  TlsConfig tc;
  tc.handshake_scratch = scratch.span();
  tc.anchors = &anchors;
  tc.identity = &identity;
  ASSERT_EQ(tls.configure(tc), Status::kOk);
  uint8_t rx[256], tx[256], inflight[256];
  mqtt::Session session(tls, clock_, random_, mqtt::Buffers{ByteSpan(rx), ByteSpan(tx), ByteSpan(inflight)});
  mqtt::Config mc;
  mc.host = "localhost";
  mc.port = broker_->port();
  mc.client_id = "device-1";
  Seen seen;
  // The session logs why each connection attempt failed (the device console).
  static std::string log;
  log.clear();
  set_log_sink([](LogLevel, std::string_view line, void*) { log += std::string(line) + "\n"; }, nullptr);
  ASSERT_EQ(session.start(mc, on_event, &seen), Status::kOk);
  EXPECT_TRUE(run_until(session, tcp, [&] { return log.find("MQTT disconnected") != std::string::npos; }));
  set_log_sink(nullptr, nullptr);
  EXPECT_FALSE(seen.connected);
  EXPECT_NE(log.find("server certificate of localhost is not signed by any CA in mqtt.ssl_ca_cert"),
            std::string::npos)
      << log;
  session.stop();
}

}  // namespace
}  // namespace mos::tls

namespace mos::tls {
namespace {

TEST(TlsOverMosNet, ConnectionRefusedIsReportedFromTheTcpTransport) {
  net::TcpTransport tcp;
  uint8_t buf[input_buffer_size(512)];
  TlsTransport tls(tcp, ByteSpan(buf, sizeof(buf)));
  TrustAnchorStore<> anchors;
  ASSERT_EQ(anchors.add_pem(testing::read_file(MOS_TESTDATA_CA_DIR "AmazonRootCA1.pem")), Status::kOk);
  testing::Scratch scratch;
  TlsConfig tc;
  tc.handshake_scratch = scratch.span();
  tc.anchors = &anchors;
  ASSERT_EQ(tls.configure(tc), Status::kOk);
  Status s = tls.connect("127.0.0.1", testing::free_port());  // nothing listens there
  for (int i = 0; i < 100 && s != Status::kIoError && tls.pump(); ++i) {
    pollfd p{tcp.fd(), POLLOUT, 0};
    ::poll(&p, p.fd >= 0 ? 1 : 0, 20);
  }
  EXPECT_FALSE(tls.connected());
  EXPECT_NE(std::string(tls.last_error()).find("refused"), std::string::npos) << tls.last_error();
}

}  // namespace
}  // namespace mos::tls

// mqtt.ssl_rx_buf_size end to end inside one process: MqttLink with the TLS
// buffers plan_tls_buffers() sizes, over the in-memory BearSSL server
// (device/tls/test/in_memory_server.h), which then sends 15 KB of MQTT
// PUBLISHes in one TLS record, as AWS IoT Core may (it ignores
// max_fragment_length). The small default fails with a line that says what
// to set; 16384 takes the record.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "c_mqtt/mqtt_link.h"
#include "c_mqtt/tls_buffers.h"
#include "in_memory_server.h"
#include "mos/log.h"
#include "tls_test_util.h"

namespace c_mqtt {
namespace {

using mos::Status;
namespace tt = mos::tls::testing;

TEST(TlsBufferPlan, SizesFromTheConfigValue) {
  struct Row {
    int64_t configured;
    bool out_of_range;
    size_t record, in, out, asked;
  };
  const Row rows[] = {
      {0, false, 2048, 2373, 2133, 2048},        // the small default, max_fragment_length 2048
      {512, false, 512, 837, 597, 512},          // the smallest RFC 6066 value
      {1024, false, 1024, 1349, 1109, 1024},
      {3000, false, 3000, 3325, 2133, 2048},     // takes 3000, asks 2048 (no 3000 in RFC 6066)
      {4096, false, 4096, 4421, 2133, 2048},
      {16384, false, 16384, 16709, 2133, 16384},  // AWS IoT: full records, nothing asked
      {-1, true, 2048, 2373, 2133, 2048},         // out of range: the default
      {100, true, 512, 837, 597, 512},            // below 2^9: 512
      {99999, true, 16384, 16709, 2133, 16384},   // above 2^14: 16384
  };
  for (const Row& r : rows) {
    TlsBufferPlan p = plan_tls_buffers(r.configured);
    EXPECT_EQ(p.configured, r.configured);
    EXPECT_EQ(p.out_of_range, r.out_of_range) << r.configured;
    EXPECT_EQ(p.record, r.record) << r.configured;
    EXPECT_EQ(p.in_size, r.in) << r.configured;
    EXPECT_EQ(p.out_size, r.out) << r.configured;
    EXPECT_EQ(mos::tls::requested_fragment(p.in_size, p.out_size), r.asked) << r.configured;
    EXPECT_EQ(mos::tls::input_record_limit(p.in_size), r.record) << r.configured;
  }
}

std::vector<std::string> g_log;
void capture(mos::LogLevel, std::string_view line, void*) { g_log.emplace_back(line); }

std::string g_ca;
Status read_file(std::string_view name, mos::Span<char> out, size_t* len, void*) {
  if (name != "ca.pem") return Status::kNotFound;
  if (g_ca.size() > out.size()) return Status::kNoSpace;
  std::memcpy(out.data(), g_ca.data(), g_ca.size());
  *len = g_ca.size();
  return Status::kOk;
}

struct StepClock : mos::Clock {
  uint64_t now_ms() const override { return t; }
  uint64_t t = 1000;
};
struct CountingRandom : mos::Random {
  uint32_t n = 0x9E3779B9u;
  uint32_t next_u32() override { return n = n * 1664525u + 1013904223u; }
};

struct Seen {
  bool connected = false;
  int messages = 0;
  size_t bytes = 0;
  std::string disconnected;
};
void on_event(const mos::mqtt::Event& e, void* ctx) {
  auto* seen = static_cast<Seen*>(ctx);
  if (e.type == mos::mqtt::EventType::kConnected) seen->connected = true;
  if (e.type == mos::mqtt::EventType::kMessage) {
    ++seen->messages;
    seen->bytes += e.message.payload.size();
  }
  if (e.type == mos::mqtt::EventType::kDisconnected && seen->disconnected.empty()) {
    seen->disconnected = e.disconnected.reason;
  }
}

// 17 QoS 0 PUBLISHes of 900 bytes to "t" (MQTT 3.1.1 §3.3), 15 402 bytes:
// each fits the session's MOS_MQTT_MAX_PACKET, together one TLS record.
constexpr int kMessages = 17;
std::vector<uint8_t> publishes() {
  std::vector<uint8_t> out;
  for (int i = 0; i < kMessages; ++i) {
    const size_t rl = 2 + 1 + 900;  // topic length, "t", payload
    out.insert(out.end(), {0x30, static_cast<uint8_t>(0x80 | (rl & 0x7F)), static_cast<uint8_t>(rl >> 7), 0, 1, 't'});
    out.insert(out.end(), 900, static_cast<uint8_t>('a' + i));
  }
  return out;
}

class Records : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tt::Pki pki = tt::cached_pki("c-mqtt-records-v1", [](tt::Pki& p) {
      tt::CertFiles ca = p.ca("ca", "ec");
      p.leaf("broker", ca, "ec", "DNS:localhost");
    });
    ca_ = new tt::CertFiles(pki.files("ca"));
    broker_ = new tt::CertFiles(pki.files("broker"));
  }
  static void TearDownTestSuite() {
    delete ca_;
    delete broker_;
  }
  void SetUp() override {
    g_log.clear();
    mos::set_log_sink(&capture, nullptr);
    g_ca = tt::read_file(ca_->cert);
    ASSERT_TRUE(server.start(*broker_));
  }
  void TearDown() override { mos::set_log_sink(nullptr, nullptr); }
  bool logged(const std::string& needle) const {
    for (auto& l : g_log) {
      if (l.find(needle) != std::string::npos) return true;
    }
    return false;
  }

  // Boots the link with mqtt.ssl_rx_buf_size = `configured`, answers its
  // CONNECT, then sends kMessages PUBLISHes in one record (the server ignoring
  // max_fragment_length when `ignore_mfl`). Returns what the session saw.
  Seen run(int64_t configured, bool ignore_mfl, size_t* record = nullptr) {
    TlsBufferPlan plan = plan_tls_buffers(configured);
    static uint8_t memory[MOS_BOOT_ARENA_BYTES];  // stands in for the runtime's boot memory
    mos::ByteSpan in(memory, plan.in_size), out(memory + plan.in_size, plan.out_size);
    MqttLink link(server.client_side(), clock, random, &wall, in, out);
    MqttSettings s;
    s.server = "localhost:8883";
    s.client_id = "dev";
    s.ssl_ca_cert = "ca.pem";
    Seen seen;
    EXPECT_EQ(link.start(s, &read_file, nullptr, &on_event, &seen), Status::kOk);
    bool connack_sent = false, published = false;
    for (int i = 0; i < 400 && seen.messages < kMessages && seen.disconnected.empty(); ++i) {
      clock.t += 10;
      link.session().poll(clock.t);
      server.serve();
      if (!connack_sent && !server.take_received().empty()) {  // the CONNECT
        if (ignore_mfl) server.ignore_max_fragment_length();   // from the record after the CONNACK
        const uint8_t connack[] = {0x20, 2, 0, 0};             // §3.2: accepted
        server.send(mos::ConstByteSpan(connack, sizeof connack));
        connack_sent = true;
      }
      if (seen.connected && !published) {
        std::vector<uint8_t> data = publishes();
        size_t largest = server.send(mos::ConstByteSpan(data.data(), data.size()));
        if (record != nullptr) *record = largest;
        published = true;
      }
    }
    link.stop();
    return seen;
  }

  static void expect_all_delivered(const Seen& seen) {
    EXPECT_EQ(seen.messages, kMessages) << seen.disconnected;
    EXPECT_EQ(seen.bytes, kMessages * 900u);
  }

  static tt::CertFiles *ca_, *broker_;
  tt::InMemoryServer server;
  StepClock clock;
  CountingRandom random;
  tt::SystemWallClock wall;
};
tt::CertFiles *Records::ca_, *Records::broker_;

TEST_F(Records, SmallDefaultFailsOnA15KRecordAndSaysWhatToSet) {
  size_t record = 0;
  Seen seen = run(0, true, &record);
  EXPECT_TRUE(seen.connected);
  EXPECT_EQ(record, 15402u);  // one record: the server ignored max_fragment_length
  EXPECT_EQ(seen.messages, 0);
  EXPECT_FALSE(seen.disconnected.empty());
  EXPECT_TRUE(logged("mqtt: TLS asking for 2048-byte records (max_fragment_length)"));
  EXPECT_TRUE(logged("larger than the 2373-byte input buffer (it ignores max_fragment_length): "
                     "mos config-set mqtt.ssl_rx_buf_size=16384"));
}

TEST_F(Records, SmallDefaultIsEnoughForAServerThatHonoursMaxFragmentLength) {
  size_t record = 0;
  Seen seen = run(0, false, &record);
  EXPECT_EQ(record, 2048u);
  expect_all_delivered(seen);
}

TEST_F(Records, FullRecordsTakeTheWhole15KRecord) {
  size_t record = 0;
  Seen seen = run(16384, true, &record);
  EXPECT_EQ(record, 15402u);
  expect_all_delivered(seen);
  EXPECT_TRUE(logged("mqtt: TLS input records up to 16384 bytes (mqtt.ssl_rx_buf_size); max_fragment_length not "
                     "asked for"));
}

TEST_F(Records, AnOddSizeTakesRecordsUpToItAndAsksForLess) {
  expect_all_delivered(run(3000, false));
  EXPECT_TRUE(logged("mqtt: TLS input records up to 3000 bytes (mqtt.ssl_rx_buf_size); asking for 2048-byte records"));
}

}  // namespace
}  // namespace c_mqtt

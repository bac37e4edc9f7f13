// MqttLink's choices from the mqtt.* config: host:port parsing, plain TCP vs
// TLS, and the errors a person gets for missing or bad certificate files.
#include "c_mqtt/mqtt_link.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "c_mqtt/tls_buffers.h"
#include "mos/log.h"

namespace c_mqtt {
namespace {

using mos::Status;

TEST(ParseServer, HostPortForms) {
  std::string_view host;
  uint16_t port = 0;
  ASSERT_EQ(parse_server("broker.local:8883", &host, &port), Status::kOk);
  EXPECT_EQ(host, "broker.local");
  EXPECT_EQ(port, 8883);
  ASSERT_EQ(parse_server("localhost", &host, &port), Status::kOk);
  EXPECT_EQ(host, "localhost");
  EXPECT_EQ(port, 1883);
  for (const char* bad : {"", ":1883", "h:", "h:0", "h:65536", "h:12a", "h:123456"}) {
    EXPECT_EQ(parse_server(bad, &host, &port), Status::kInvalidArg) << bad;
  }
}

std::string hint(std::string_view host, std::string_view client_id, size_t cap = 128) {
  std::vector<char> buf(cap + 1, '#');
  std::string_view h = refused_hint(host, client_id, mos::Span<char>(buf.data(), cap));
  EXPECT_EQ(buf[cap], '#') << "wrote past the buffer";
  return std::string(h);
}

TEST(RefusedHint, LocalCloudNamesTheCommandWithTheClientId) {
  EXPECT_EQ(hint("localhost", "esp8266_A1B2C3"), "; see why: mos cloud denials --client-id esp8266_A1B2C3");
  EXPECT_EQ(hint("127.0.0.1", "a b"), "; see why: mos cloud denials --client-id 'a b'");
  EXPECT_EQ(hint("127.0.0.1", "it's"), "; see why: mos cloud denials --client-id 'it'\\''s'");
  EXPECT_EQ(hint("127.0.0.1", "$(rm -rf ~)"), "; see why: mos cloud denials --client-id '$(rm -rf ~)'");
  EXPECT_EQ(hint("127.0.0.1", ""), "; see why: mos cloud denials --client-id ''");
}

TEST(RefusedHint, AwsIotPointsAtCloudWatch) {
  std::string h = hint("a1b2c3d4e5f6g7-ats.iot.us-east-1.amazonaws.com", "esp8266_A1B2C3");
  EXPECT_NE(h.find("CloudWatch"), std::string::npos) << h;
  EXPECT_EQ(h.find("mos cloud denials"), std::string::npos) << h;
  EXPECT_NE(hint("x.iot.cn-north-1.amazonaws.com.cn", "d").find("CloudWatch"), std::string::npos);
  EXPECT_NE(hint("amazonaws.com.evil.example", "d").find("mos cloud denials"), std::string::npos);
}

TEST(RefusedHint, FitsTheLinksBufferAndTruncatesToIt) {
  // The link's 128 bytes hold the longest id it keeps (63 bytes), quoted.
  std::string id(63, 'x');
  id[0] = ' ';
  EXPECT_EQ(hint("localhost", id), "; see why: mos cloud denials --client-id '" + id + "'");
  EXPECT_EQ(hint("localhost", "dev", 11), "; see why: ");
  EXPECT_EQ(hint("localhost", "dev", 0), "");
}

class NullTransport : public mos::Transport {
 public:
  Status connect(std::string_view, uint16_t) override { return Status::kWouldBlock; }
  int32_t write(mos::ConstByteSpan) override { return 0; }
  int32_t read(mos::ByteSpan) override { return 0; }
  void close() override {}
  bool connected() const override { return false; }
};
class ZeroClock : public mos::Clock {
 public:
  uint64_t now_ms() const override { return 0; }
};
class FixedRandom : public mos::Random {
 public:
  uint32_t next_u32() override { return 4; }
};

std::map<std::string, std::string> g_files;
Status read_file(std::string_view name, mos::Span<char> out, size_t* len, void*) {
  auto it = g_files.find(std::string(name));
  if (it == g_files.end()) return Status::kNotFound;
  if (it->second.size() > out.size()) return Status::kNoSpace;
  std::copy(it->second.begin(), it->second.end(), out.data());
  *len = it->second.size();
  return Status::kOk;
}
std::vector<std::string> g_log;
void capture(mos::LogLevel, std::string_view line, void*) { g_log.emplace_back(line); }
void on_event(const mos::mqtt::Event&, void*) {}

class LinkTest : public ::testing::Test {
 protected:
  LinkTest() : link(tcp, clock, random, nullptr, mos::ByteSpan(tls_in), mos::ByteSpan(tls_out)) {
    g_files.clear();
    g_log.clear();
    mos::set_log_sink(&capture, nullptr);
  }
  ~LinkTest() override { mos::set_log_sink(nullptr, nullptr); }
  bool logged(const std::string& needle) const {
    for (auto& l : g_log) {
      if (l.find(needle) != std::string::npos) return true;
    }
    return false;
  }
  NullTransport tcp;
  ZeroClock clock;
  FixedRandom random;
  // The small default's sizes (mqtt.ssl_rx_buf_size = 0).
  uint8_t tls_in[mos::tls::input_buffer_size(C_MQTT_TLS_FRAGMENT)];
  uint8_t tls_out[mos::tls::output_buffer_size(C_MQTT_TLS_FRAGMENT)];
  MqttLink link;
};

TEST_F(LinkTest, PlainTcpWithoutCaAnd8883) {
  MqttSettings s;
  s.server = "127.0.0.1:1883";
  s.client_id = "esp8266_ABCDEF";
  ASSERT_EQ(link.start(s, &read_file, nullptr, &on_event, nullptr), Status::kOk);
  EXPECT_FALSE(link.uses_tls());
  EXPECT_TRUE(logged("plain TCP to 127.0.0.1:1883 as 'esp8266_ABCDEF'"));
}

TEST_F(LinkTest, Port8883NeedsACa) {
  MqttSettings s;
  s.server = "broker:8883";
  s.client_id = "d";
  EXPECT_EQ(link.start(s, &read_file, nullptr, &on_event, nullptr), Status::kInvalidArg);
  EXPECT_TRUE(logged("mqtt.ssl_ca_cert is empty"));
}

TEST_F(LinkTest, MissingAndBadCertificateFilesAreNamed) {
  MqttSettings s;
  s.server = "localhost:12345";
  s.client_id = "d";
  s.ssl_ca_cert = "ca.pem";
  EXPECT_EQ(link.start(s, &read_file, nullptr, &on_event, nullptr), Status::kNotFound);
  EXPECT_TRUE(logged("cannot read mqtt.ssl_ca_cert file 'ca.pem'"));
  g_files["ca.pem"] = "this is not PEM";
  EXPECT_NE(link.start(s, &read_file, nullptr, &on_event, nullptr), Status::kOk);
  EXPECT_TRUE(logged("mqtt.ssl_ca_cert 'ca.pem'"));
}

TEST_F(LinkTest, BadServerIsExplained) {
  MqttSettings s;
  s.server = "nohost:99999";
  s.client_id = "d";
  EXPECT_EQ(link.start(s, &read_file, nullptr, &on_event, nullptr), Status::kInvalidArg);
  EXPECT_TRUE(logged("is not host:port"));
}

}  // namespace
}  // namespace c_mqtt

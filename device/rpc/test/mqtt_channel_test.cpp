#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mos/rpc_mqtt.h"
#include "mos/rpc_sys.h"
#include "rpc_fakes.h"

namespace mos::rpc {
namespace {

class FakePublisher : public MqttPublisher {
 public:
  Status publish(std::string_view topic, std::string_view payload) override {
    sent.emplace_back(std::string(topic), std::string(payload));
    return Status::kOk;
  }
  std::vector<std::pair<std::string, std::string>> sent;
};

class MqttChannelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    d.set_device_id("esp8266_0A1B2C");
    ASSERT_EQ(sys.register_handlers(), Status::kOk);
  }
  testing::FakeClock clock;
  EventLoop loop{clock};
  testing::FakeSysPort port;
  Dispatcher d;
  SysService sys{d, port, loop};
  FakePublisher pub;
  MqttChannel ch{pub, d};
};

TEST_F(MqttChannelTest, SubTopic) {
  char buf[32];
  size_t n = 0;
  ASSERT_EQ(ch.sub_topic(buf, &n), Status::kOk);
  EXPECT_EQ(std::string_view(buf, n), "esp8266_0A1B2C/rpc");
  char small[10];
  EXPECT_EQ(ch.sub_topic(small, &n), Status::kNoSpace);
}

TEST_F(MqttChannelTest, RequestAnsweredOnSrcTopic) {
  ASSERT_TRUE(ch.on_message("esp8266_0A1B2C/rpc", R"({"id":3,"src":"mos-42","method":"RPC.Ping"})"));
  ASSERT_EQ(pub.sent.size(), 1u);
  EXPECT_EQ(pub.sent[0].first, "mos-42/rpc");
  EXPECT_EQ(pub.sent[0].second,
            R"({"id":3,"src":"esp8266_0A1B2C","dst":"mos-42","result":{"channel_info":"MQTT"}})");
}

TEST_F(MqttChannelTest, OtherTopicsAndNoSrc) {
  EXPECT_FALSE(ch.on_message("other/rpc", R"({"id":1,"src":"x","method":"RPC.Ping"})"));
  EXPECT_FALSE(ch.on_message("esp8266_0A1B2C/rpcx", R"({"id":1,"src":"x","method":"RPC.Ping"})"));
  EXPECT_FALSE(ch.on_message("/request", "{gpio:{pin:2,state:0}}"));
  EXPECT_TRUE(ch.on_message("esp8266_0A1B2C/rpc", R"({"id":1,"method":"RPC.Ping"})"));
  EXPECT_TRUE(pub.sent.empty());  // nobody to answer to
}

}  // namespace
}  // namespace mos::rpc

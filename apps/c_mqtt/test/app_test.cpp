// The c_mqtt logic against a fake GPIO, a fake publisher and a fake clock:
// the seed's message exactly as typed, replies byte for byte, bad requests,
// and button debouncing.
#include "c_mqtt/app.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace c_mqtt {
namespace {

using mos::Status;

class FakeClock : public mos::Clock {
 public:
  uint64_t now_ms() const override { return now; }
  uint64_t now = 1000;
};

// NodeMCU-like: pins 0..16 exist; inputs with pull-up read high unless driven.
class FakeGpio : public mos::Gpio {
 public:
  Status set_mode(int pin, mos::GpioMode mode) override {
    if (pin < 0 || pin > 16) return Status::kInvalidArg;
    modes[pin] = mode;
    return Status::kOk;
  }
  Status write(int pin, bool level) override {
    if (pin < 0 || pin > 16) return Status::kInvalidArg;
    levels[pin] = level;
    writes.push_back({pin, level});
    return Status::kOk;
  }
  Status read(int pin, bool* level) override {
    if (pin < 0 || pin > 16) return Status::kInvalidArg;
    auto it = levels.find(pin);
    *level = it == levels.end() ? true : it->second;
    return Status::kOk;
  }
  std::map<int, mos::GpioMode> modes;
  std::map<int, bool> levels;
  std::vector<std::pair<int, bool>> writes;
};

class FakePublisher : public Publisher {
 public:
  Status publish(std::string_view topic, std::string_view payload) override {
    sent.push_back({std::string(topic), std::string(payload)});
    return Status::kOk;
  }
  std::vector<std::pair<std::string, std::string>> sent;
};

class AppTest : public ::testing::Test {
 protected:
  AppTest() : loop(clock), app(loop, gpio, pub) {
    EXPECT_EQ(app.set_topics("/response", "/request"), Status::kOk);
  }
  void advance(uint32_t ms) {
    for (uint32_t t = 0; t < ms; ++t) {
      clock.now += 1;
      loop.run_once(0);
    }
  }
  std::string last() const { return pub.sent.empty() ? "" : pub.sent.back().second; }

  FakeClock clock;
  mos::EventLoop loop;
  FakeGpio gpio;
  FakePublisher pub;
  App app;
};

TEST_F(AppTest, SubscribesToTheConfiguredTopic) {
  EXPECT_EQ(app.subscription(), "/request");
  EXPECT_EQ(app.publish_topic(), "/response");
  EXPECT_EQ(app.set_topics("", "/x"), Status::kInvalidArg);
  EXPECT_EQ(app.set_topics(std::string(C_MQTT_MAX_TOPIC, 'x'), "/x"), Status::kInvalidArg);
  EXPECT_EQ(app.subscription(), "/request");
}

TEST_F(AppTest, TheSeedMessageExactlyAsTypedTurnsTheLedOn) {
  // As typed into an MQTT test client in the seed post: bare keys, newlines.
  app.on_message("/request", "{\n    gpio: {\n        pin: 2,\n        state: 0\n    }\n}");
  EXPECT_EQ(gpio.modes[2], mos::GpioMode::kOutput);
  ASSERT_EQ(gpio.writes.size(), 1u);
  EXPECT_EQ(gpio.writes[0], std::make_pair(2, false));  // LED on GPIO2 is active low: on
  ASSERT_EQ(pub.sent.size(), 1u);
  EXPECT_EQ(pub.sent[0].first, "/response");
  EXPECT_EQ(pub.sent[0].second, R"({"type":"gpio","pin":2,"state":0})");

  app.on_message("/request", "{\n    gpio: {\n        pin: 2,\n        state: 1\n    }\n}");
  EXPECT_EQ(gpio.levels[2], true);
  EXPECT_EQ(last(), R"({"type":"gpio","pin":2,"state":1})");
}

TEST_F(AppTest, StrictJsonWorksToo) {
  app.on_message("/request", R"({"gpio":{"state":1,"pin":5}})");
  EXPECT_EQ(gpio.levels[5], true);
  EXPECT_EQ(last(), R"({"type":"gpio","pin":5,"state":1})");
}

TEST_F(AppTest, OtherTopicsAreIgnored) {
  app.on_message("/other", "{gpio:{pin:2,state:0}}");
  EXPECT_TRUE(pub.sent.empty());
  EXPECT_TRUE(gpio.writes.empty());
}

TEST_F(AppTest, UnknownCommandsGetTheErrorReply) {
  app.on_message("/request", "{blink: {pin: 2}}");
  EXPECT_EQ(last(), R"({"error":{"code":-1,"message":"unknown command"}})");
  app.on_message("/request", "[1,2,3]");
  EXPECT_EQ(last(), R"({"error":{"code":-1,"message":"unknown command"}})");
  app.on_message("/request", "42");
  EXPECT_EQ(last(), R"({"error":{"code":-1,"message":"unknown command"}})");
  EXPECT_TRUE(gpio.writes.empty());
}

TEST_F(AppTest, BadRequestsSayWhy) {
  app.on_message("/request", "{gpio: {pin: 2, state: 0}");  // missing brace
  EXPECT_EQ(last(), R"({"error":{"code":-1,"message":"request is not valid JSON"}})");
  app.on_message("/request", "");
  EXPECT_EQ(last(), R"({"error":{"code":-1,"message":"request is not valid JSON"}})");
  app.on_message("/request", std::string("\xff\xfe{gpio", 7));
  EXPECT_EQ(last(), R"({"error":{"code":-1,"message":"request is not valid JSON"}})");
  std::string deep = std::string(200, '[') + std::string(200, ']');
  app.on_message("/request", deep);
  EXPECT_EQ(last(), R"({"error":{"code":-1,"message":"request nested too deeply"}})");
  std::string huge = "{gpio: {pin: 2, state: 0, pad: \"" + std::string(2000, 'x') + "\"}}";
  app.on_message("/request", huge);
  EXPECT_EQ(last(), R"({"error":{"code":-1,"message":"request too large"}})");
  app.on_message("/request", "{gpio: {pin: \"two\", state: 0}}");
  EXPECT_NE(last().find("gpio needs integer pin and state"), std::string::npos);
  app.on_message("/request", "{gpio: {pin: 2, state: 7}}");
  EXPECT_EQ(last(), R"({"error":{"code":-1,"message":"gpio state must be 0 or 1"}})");
  app.on_message("/request", "{gpio: {pin: 99, state: 0}}");
  EXPECT_EQ(last(), R"({"error":{"code":-1,"message":"no such gpio pin"}})");
  app.on_message("/request", "{gpio: {pin: 99999999999, state: 0}}");
  EXPECT_NE(last().find("gpio needs integer pin and state"), std::string::npos);
  EXPECT_TRUE(gpio.writes.empty());
}

TEST_F(AppTest, ButtonClickIsDebounced) {
  app.on_message("/request", "{button: {pin: 0}}");
  EXPECT_EQ(last(), R"({"type":"button","pin":0})");
  EXPECT_EQ(gpio.modes[0], mos::GpioMode::kInputPullUp);
  pub.sent.clear();
  advance(100);
  EXPECT_TRUE(pub.sent.empty());

  // Contact bounce: lows shorter than the debounce time never make a click,
  // even when several polls in a row see them.
  for (int i = 0; i < 5; ++i) {
    gpio.levels[0] = false;
    advance(C_MQTT_DEBOUNCE_MS / 2);
    gpio.levels[0] = true;
    advance(C_MQTT_DEBOUNCE_MS / 2);
  }
  EXPECT_TRUE(pub.sent.empty());

  // A real press (held 150 ms) makes one click, released or not.
  gpio.levels[0] = false;
  advance(150);
  ASSERT_EQ(pub.sent.size(), 1u);
  EXPECT_EQ(pub.sent[0], std::make_pair(std::string("/response"),
                                        std::string(R"({"type":"click","pin":0})")));
  gpio.levels[0] = true;
  advance(150);
  EXPECT_EQ(pub.sent.size(), 1u);
  gpio.levels[0] = false;
  advance(150);
  EXPECT_EQ(pub.sent.size(), 2u);
  EXPECT_EQ(app.clicks(), 2u);
}

TEST_F(AppTest, ButtonArmingLimitsAndBadPins) {
  app.on_message("/request", "{button: {pin: 0}}");
  app.on_message("/request", "{button: {pin: 0}}");  // re-arm: still one
  EXPECT_EQ(app.armed_buttons(), 1u);
  app.on_message("/request", "{button: {pin: 42}}");
  EXPECT_EQ(last(), R"({"error":{"code":-1,"message":"no such gpio pin"}})");
  for (int pin = 1; pin < C_MQTT_MAX_BUTTONS; ++pin) {
    app.on_message("/request", "{button: {pin: " + std::to_string(pin + 3) + "}}");
  }
  EXPECT_EQ(app.armed_buttons(), static_cast<size_t>(C_MQTT_MAX_BUTTONS));
  app.on_message("/request", "{button: {pin: 15}}");
  EXPECT_EQ(last(), R"({"error":{"code":-1,"message":"too many buttons armed"}})");
}

}  // namespace
}  // namespace c_mqtt

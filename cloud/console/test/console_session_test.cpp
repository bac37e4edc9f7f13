// The live channel's JSON protocol (ConsoleSession) through the shared fake
// channel and fake broker, and the registry pushes (LiveWatcher) from a real
// registry in a temporary directory.
#include "console_session.h"

#include <gtest/gtest.h>

#include "fake_broker.h"
#include "fake_live_channel.h"
#include "live_watcher.h"
#include "temp_registry.h"

using namespace mos::console;
using mos::console::test::FakeBroker;
using mos::console::test::FakeLiveChannel;

namespace {

class SessionTest : public ::testing::Test {
 protected:
  std::shared_ptr<FakeLiveChannel> ch = std::make_shared<FakeLiveChannel>();
  FakeBroker broker;
  std::shared_ptr<ConsoleSession> tab = std::make_shared<ConsoleSession>(ch, broker, 7);

  json one(const std::string& in) {
    tab->on_text(in);
    auto frames = ch->take();
    EXPECT_EQ(frames.size(), 1u) << in;
    return frames.empty() ? json() : frames[0];
  }
};

TEST_F(SessionTest, UnparsableInputGetsAnErrorFrame) {
  for (const char* in : {"", "not json", "[1,2]", "42", "\"subscribe\"", "{\"op\":", "null", "{\"a\":1}{"}) {
    json f = one(in);
    EXPECT_EQ(f["type"], "error") << in;
    EXPECT_TRUE(f["message"].is_string());
    EXPECT_FALSE(f.contains("id"));
  }
  json f = one(R"({"id":5})");
  EXPECT_EQ(f["type"], "error");
  EXPECT_EQ(f["id"], 5);
  EXPECT_NE(f["message"].get<std::string>().find("no op"), std::string::npos);
  f = one(R"({"op":"dance","id":"x"})");
  EXPECT_EQ(f["message"], "Unknown op 'dance'; use subscribe, unsubscribe or publish.");
  EXPECT_EQ(f["id"], "x");
  f = one(R"({"op":"subscribe","filter":"a","id":{"x":1}})");
  EXPECT_NE(f["message"].get<std::string>().find("id must be a string or a number"), std::string::npos);
  EXPECT_TRUE(broker.calls().empty());  // nothing reached the broker
}

TEST_F(SessionTest, SubscribeEchoesIdAndGrantedQos) {
  json f = one(R"({"op":"subscribe","filter":"/response","qos":1,"id":3})");
  EXPECT_EQ(f, (json{{"type", "subscribed"}, {"filter", "/response"}, {"qos", 1}, {"id", 3}}));
  f = one(R"({"op":"subscribe","filter":"dev/#"})");  // qos defaults to 0, no id
  EXPECT_EQ(f, (json{{"type", "subscribed"}, {"filter", "dev/#"}, {"qos", 0}}));
  auto calls = broker.calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].name, "/response");
  EXPECT_EQ(calls[0].qos, 1);
}

TEST_F(SessionTest, SubscribeFieldsAreChecked) {
  json f = one(R"({"op":"subscribe","filter":"a/#/b","id":1})");
  EXPECT_EQ(f, (json{{"type", "error"}, {"op", "subscribe"}, {"filter", "a/#/b"},
                     {"message", "Invalid topic filter 'a/#/b': '#' must be the last level."}, {"id", 1}}));
  for (const char* in : {R"({"op":"subscribe"})", R"({"op":"subscribe","filter":7})",
                         R"({"op":"subscribe","filter":"a","qos":2})", R"({"op":"subscribe","filter":"a","qos":"1"})",
                         R"({"op":"subscribe","filter":"a","qos":0.5})", R"({"op":"subscribe","filter":"a","qos":-1})",
                         R"({"op":"subscribe","filter":""})", R"({"op":"subscribe","filter":"a\u0000b"})"}) {
    f = one(in);
    EXPECT_EQ(f["type"], "error") << in;
    EXPECT_EQ(f["op"], "subscribe") << in;
  }
  EXPECT_TRUE(broker.calls().empty());
}

TEST_F(SessionTest, RefusedSubscriptionIsAnErrorForThisTab) {
  broker.refuse.insert("secret/#");
  json f = one(R"({"op":"subscribe","filter":"secret/#","id":9})");
  EXPECT_EQ(f["type"], "error");
  EXPECT_EQ(f["filter"], "secret/#");
  EXPECT_EQ(f["id"], 9);
  EXPECT_NE(f["message"].get<std::string>().find("SUBACK 0x80"), std::string::npos);
}

TEST_F(SessionTest, RepliesComeWhenTheBrokerAnswers) {
  broker.answer_at_once = false;
  tab->on_text(R"({"op":"subscribe","filter":"a","id":1})");
  tab->on_text(R"({"op":"publish","topic":"a","payload":"x","id":2})");
  EXPECT_TRUE(ch->take().empty());  // on_text did not wait for the broker
  broker.answer_all();
  auto frames = ch->take();
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0]["type"], "subscribed");
  EXPECT_EQ(frames[1], (json{{"type", "published"}, {"topic", "a"}, {"id", 2}}));
}

TEST_F(SessionTest, PublishFieldsAreChecked) {
  json f = one(R"({"op":"publish","topic":"/request","payload":"{gpio: {pin: 2, state: 0}}","qos":1,"retain":true,"id":4})");
  EXPECT_EQ(f, (json{{"type", "published"}, {"topic", "/request"}, {"id", 4}}));
  auto c = broker.calls().back();
  EXPECT_EQ(c.payload, "{gpio: {pin: 2, state: 0}}");
  EXPECT_EQ(c.qos, 1);
  EXPECT_TRUE(c.retain);

  std::string big(131073, 'x');
  f = one(json{{"op", "publish"}, {"topic", "t"}, {"payload", big}}.dump());
  EXPECT_EQ(f["message"], "The payload is 131073 bytes; AWS IoT Core's limit is 131072 bytes.");
  f = one(json{{"op", "publish"}, {"topic", "t"}, {"payload", std::string(131072, 'x')}}.dump());
  EXPECT_EQ(f["type"], "published");
  // Bytes, not characters: 43691 three-byte characters are 131073 bytes.
  std::string euros;
  for (int i = 0; i < 43691; ++i) euros += "\xe2\x82\xac";
  f = one(json{{"op", "publish"}, {"topic", "t"}, {"payload", euros}}.dump());
  EXPECT_EQ(f["message"], "The payload is 131073 bytes; AWS IoT Core's limit is 131072 bytes.");

  f = one(R"({"op":"publish","topic":"a/+","payload":"x"})");
  EXPECT_EQ(f["type"], "error");
  EXPECT_EQ(f["topic"], "a/+");
  for (const char* in : {R"({"op":"publish"})", R"({"op":"publish","topic":"t","payload":5})",
                         R"({"op":"publish","topic":"t","retain":"yes"})", R"({"op":"publish","topic":"t","qos":2})",
                         R"({"op":"publish","topic":"a/b/c/d/e/f/g/h/i"})"}) {
    f = one(in);
    EXPECT_EQ(f["type"], "error") << in;
    EXPECT_EQ(f["op"], "publish") << in;
  }
  broker.publish_error = "The console is not connected to the broker";
  f = one(R"({"op":"publish","topic":"t","id":8})");
  EXPECT_EQ(f, (json{{"type", "error"}, {"op", "publish"}, {"topic", "t"},
                     {"message", "The console is not connected to the broker"}, {"id", 8}}));
}

TEST_F(SessionTest, MessagesAsTextOrBase64) {
  one(R"({"op":"subscribe","filter":"dev/#"})");
  broker.deliver("dev/1", "{\"on\":true}\n<img src=x onerror=alert(1)>", 1, false);
  broker.deliver("dev/2", std::string("\xff\x00\x01", 3), 0, true);
  broker.deliver("other", "x");
  auto frames = ch->take();
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0], (json{{"type", "message"}, {"topic", "dev/1"},
                             {"payload", "{\"on\":true}\n<img src=x onerror=alert(1)>"}, {"qos", 0},
                             {"retain", false}, {"time", 1700000000123}}));
  EXPECT_TRUE(frames[1]["payload"].is_null());
  EXPECT_EQ(frames[1]["payloadBase64"], "/wAB");
  EXPECT_EQ(frames[1]["retain"], true);
}

TEST_F(SessionTest, UnsubscribeAndCloseReleaseTheFilters) {
  one(R"({"op":"subscribe","filter":"a"})");
  one(R"({"op":"subscribe","filter":"b"})");
  json f = one(R"({"op":"unsubscribe","filter":"a","id":"u"})");
  EXPECT_EQ(f, (json{{"type", "unsubscribed"}, {"filter", "a"}, {"id", "u"}}));
  EXPECT_EQ(broker.filters_of(tab.get()), 1u);
  EXPECT_EQ(one(R"({"op":"unsubscribe"})")["type"], "error");
  tab->on_close();
  EXPECT_EQ(broker.filters_of(tab.get()), 0u);
  EXPECT_EQ(broker.calls().back().op, "leave");
  broker.deliver("b", "x");
  EXPECT_TRUE(ch->take().empty());
  EXPECT_FALSE(tab->send("{}"));
}

TEST_F(SessionTest, LostSubscriptionIsReported) {
  tab->subscription_lost("gone/#", "refused");
  auto frames = ch->take();
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0], (json{{"type", "error"}, {"op", "subscribe"}, {"filter", "gone/#"}, {"message", "refused"}}));
}

// The watcher, with a real registry.
class WatcherTest : public ::testing::Test {
 protected:
  test::TempRegistry tr;
  FakeBroker broker;
  std::vector<Denial> denials;
  std::set<uint64_t> ended;
  LiveWatcher watcher{LiveWatcher::Sources{tr.reg.get(), ServiceIdentities{"", std::string(64, 'c')},
                                           [this](const DenialQuery& q) {
                                             std::vector<Denial> out;
                                             for (auto it = denials.rbegin(); it != denials.rend(); ++it)
                                               if (it->id > q.after_id && out.size() < q.limit) out.push_back(*it);
                                             return out;
                                           },
                                           [this](uint64_t id) { return ended.count(id) == 0; }}};

  std::pair<std::shared_ptr<FakeLiveChannel>, std::shared_ptr<ConsoleSession>> open(uint64_t login = 1) {
    auto ch = std::make_shared<FakeLiveChannel>();
    auto s = std::make_shared<ConsoleSession>(ch, broker, login);
    watcher.add(s);
    return {ch, s};
  }
  static std::vector<json> of_type(const std::vector<json>& frames, const std::string& type) {
    std::vector<json> out;
    for (const auto& f : frames)
      if (f["type"] == type) out.push_back(f);
    return out;
  }
};

TEST_F(WatcherTest, ConnectionsAtStartAndOnlyOnChange) {
  auto c1 = tr.add_cert(1);
  tr.connect("dev1", c1.id, "dev1", 100);
  tr.connect("mos-cloud-console", std::string(64, 'c'), nullptr, 50);
  auto [ch, s] = open();
  ch->set_open(false);  // not accepted yet: the list waits for the next round
  watcher.poll();
  EXPECT_TRUE(ch->take().empty());
  ch->set_open(true);
  watcher.poll();
  auto frames = ch->take();
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0], (json{{"type", "connections"},
                             {"connections", {{{"clientId", "mos-cloud-console"}, {"certificateId", std::string(64, 'c')},
                                               {"thingName", nullptr}, {"connectedAt", 50}, {"service", true}},
                                              {{"clientId", "dev1"}, {"certificateId", c1.id}, {"thingName", "dev1"},
                                               {"connectedAt", 100}}}}}));
  watcher.poll();
  EXPECT_TRUE(ch->take().empty());  // nothing changed, nothing sent
  auto [ch2, s2] = open();
  watcher.poll();
  EXPECT_TRUE(ch->take().empty());
  EXPECT_EQ(ch2->take().size(), 1u);  // a new tab gets the list once
  tr.disconnect("dev1");
  watcher.poll();
  frames = ch->take();
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0]["connections"].size(), 1u);
  EXPECT_EQ(ch2->take().size(), 1u);
}

TEST_F(WatcherTest, AClientIdAloneIsNoServiceIdentity) {
  auto c1 = tr.add_cert(1);
  tr.connect("mos-cloud-console", c1.id, nullptr, 50);  // a device that picked the console's client id
  auto [ch, s] = open();
  watcher.poll();
  auto frames = ch->take();
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_FALSE(frames[0]["connections"][0].contains("service"));
}

TEST_F(WatcherTest, CertificateStatusChangesArePushed) {
  auto c1 = tr.add_cert(1);
  auto [ch, s] = open();
  watcher.poll();
  ch->take();
  ASSERT_EQ(tr.reg->set_certificate_status(c1.id, "REVOKED", 1700000100), mos::registry::Err::kOk);
  tr.add_cert(2);  // a new certificate is no status change
  watcher.poll();
  auto certs = of_type(ch->take(), "certificate");
  ASSERT_EQ(certs.size(), 1u);
  EXPECT_EQ(certs[0]["certificate"]["id"], c1.id);
  EXPECT_EQ(certs[0]["certificate"]["status"], "REVOKED");
  EXPECT_EQ(certs[0]["certificate"]["subject"], "CN=dev1");
  watcher.poll();
  EXPECT_TRUE(of_type(ch->take(), "certificate").empty());
}

TEST_F(WatcherTest, NewDenialsArePushedOldestFirst) {
  denials.push_back({1, 1000, "old", "", "iot:Connect", "client/old", "before the tab"});
  auto [ch, s] = open();
  watcher.poll();
  EXPECT_TRUE(of_type(ch->take(), "denial").empty());
  denials.push_back({2, 2000, "dev1", std::string(64, 'a'), "iot:Subscribe", "topicfilter/x", "no statement allows"});
  denials.push_back({3, 3000, "dev1", std::string(64, 'a'), "iot:Publish", "topic/y", "explicit deny"});
  watcher.poll();
  auto d = of_type(ch->take(), "denial");
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0]["denial"], (json{{"id", 2}, {"time", 2000}, {"clientId", "dev1"}, {"certificateId", std::string(64, 'a')},
                                  {"action", "iot:Subscribe"}, {"resource", "topicfilter/x"},
                                  {"reason", "no statement allows"}}));
  EXPECT_EQ(d[1]["denial"]["id"], 3);
  watcher.poll();
  EXPECT_TRUE(of_type(ch->take(), "denial").empty());
}

TEST_F(WatcherTest, AnEndedLoginClosesItsTabs) {
  auto [ch1, s1] = open(1);
  auto [ch2, s2] = open(2);
  watcher.poll();
  ended.insert(1);
  watcher.poll();
  EXPECT_TRUE(ch1->closed());
  EXPECT_NE(ch1->close_reason().find("log in again"), std::string::npos);
  EXPECT_FALSE(ch2->closed());
  s2->on_close();
  watcher.poll();
  EXPECT_EQ(watcher.tabs(), 0u);
}

TEST_F(WatcherTest, TheThreadPushesOnItsOwn) {
  LiveWatcher fast{LiveWatcher::Sources{tr.reg.get(), {}, nullptr, nullptr}, std::chrono::milliseconds(20)};
  auto ch = std::make_shared<FakeLiveChannel>();
  auto s = std::make_shared<ConsoleSession>(ch, broker, 1);
  fast.add(s);
  fast.start();
  tr.connect("dev9", std::string(64, '9'), nullptr, 1);
  bool seen = false;
  for (int i = 0; i < 200 && !seen; ++i) {
    for (const auto& f : ch->take())
      if (f["type"] == "connections" && f["connections"].size() == 1) seen = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  fast.stop();
  EXPECT_TRUE(seen);
}

}  // namespace

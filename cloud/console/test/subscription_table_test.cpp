// The shared subscriptions of the console's one broker connection: union of
// the tabs' filters at the highest QoS, release by the last tab, SUBACK 0x80
// to the asking tab only, retained messages to new subscribers only, one
// delivery per tab.
#include "subscription_table.h"

#include <gtest/gtest.h>

using namespace mos::console;
using namespace std::chrono_literals;

namespace {

struct Tab : Subscriber {
  std::vector<BrokerMessage> got;
  std::vector<std::string> lost;
  void deliver(const BrokerMessage& m) override { got.push_back(m); }
  void subscription_lost(const std::string& f, const std::string& msg) override { lost.push_back(f + ": " + msg); }
};

struct Answer {
  int granted = -2;
  std::string error;
};

class TableTest : public ::testing::Test {
 protected:
  SubscriptionTable t;
  SubscriptionTable::Clock::time_point now{std::chrono::hours(1)};
  int next_mid = 1;
  std::shared_ptr<Tab> a = std::make_shared<Tab>(), b = std::make_shared<Tab>();

  // A tab's subscribe as ConsoleBridge does it; returns the packet id and
  // the QoS the SUBSCRIBE went out with.
  int ask(const std::shared_ptr<Tab>& tab, const std::string& filter, int qos, Answer& ans, int* sent_qos = nullptr) {
    int q = t.subscribe_qos(filter, qos);
    if (sent_qos) *sent_qos = q;
    int mid = next_mid++;
    t.sent(mid, filter, tab, qos, [&ans](int g, const std::string& e) {
      ans.granted = g;
      ans.error = e;
    });
    return mid;
  }
  SubscriptionTable::Outcome ack(int mid, int granted) {
    auto out = t.suback(mid, granted, now);
    for (auto& c : out.calls) c();
    return out;
  }
  static std::vector<const Subscriber*> keys(const std::vector<std::pair<std::shared_ptr<Subscriber>, int>>& v) {
    std::vector<const Subscriber*> k;
    for (auto& [s, q] : v) k.push_back(s.get());
    return k;
  }
};

TEST_F(TableTest, UnionAtTheHighestQosAndReleasedByTheLastTab) {
  Answer x, y;
  int q = -1;
  ack(ask(a, "dev/#", 0, x, &q), 0);
  EXPECT_EQ(q, 0);
  EXPECT_EQ(x.granted, 0);
  ack(ask(b, "dev/#", 1, y, &q), 1);
  EXPECT_EQ(q, 1);  // raised for b
  EXPECT_EQ(y.granted, 1);
  Answer z;
  ask(a, "dev/#", 0, z, &q);
  EXPECT_EQ(q, 1);  // never lowered under b
  EXPECT_EQ(t.filter_count(), 1u);
  EXPECT_FALSE(t.remove(a.get(), "dev/#"));  // b still holds it
  EXPECT_TRUE(t.remove(b.get(), "dev/#"));   // the last: unsubscribe on the broker
  EXPECT_EQ(t.filter_count(), 0u);
  EXPECT_FALSE(t.remove(b.get(), "dev/#"));  // nothing left to drop
}

TEST_F(TableTest, EachTabGetsAMessageOnceAtItsOwnQos) {
  Answer x, y, z;
  ack(ask(a, "dev/#", 0, x), 1);
  ack(ask(a, "dev/+/state", 0, x), 1);
  ack(ask(b, "dev/1/state", 1, y), 1);
  auto to = t.route("dev/1/state", 1, false, now);
  ASSERT_EQ(to.size(), 2u);
  for (auto& [s, q] : to) EXPECT_EQ(q, s.get() == a.get() ? 0 : 1);
  EXPECT_EQ(keys(t.route("dev/2/x", 1, false, now)), std::vector<const Subscriber*>{a.get()});
  EXPECT_TRUE(t.route("other", 1, false, now).empty());
  EXPECT_TRUE(t.route("$SYS/x", 0, false, now).empty());  // '#' does not reach $ topics (MQTT 3.1.1 §4.7.2)
  EXPECT_EQ(keys(t.route("dev/1/state", 0, false, now)).size(), 2u);
}

TEST_F(TableTest, RefusedSubscriptionIsReportedToTheAskingTabOnly) {
  Answer x, y;
  ack(ask(a, "dev/#", 0, x), 0);
  auto out = ack(ask(b, "dev/#", 1, y), 0x80);
  EXPECT_EQ(y.granted, -1);
  EXPECT_NE(y.error.find("SUBACK 0x80"), std::string::npos);
  EXPECT_NE(y.error.find("mos cloud denials --client-id mos-cloud-console"), std::string::npos);
  EXPECT_TRUE(out.unsubscribe.empty());  // a keeps it (the broker keeps the older grant)
  EXPECT_EQ(keys(t.route("dev/x", 0, false, now)), std::vector<const Subscriber*>{a.get()});
  Answer z;
  auto out2 = ack(ask(b, "secret/#", 0, z), 0x80);
  EXPECT_EQ(z.granted, -1);
  EXPECT_EQ(out2.unsubscribe, std::vector<std::string>{"secret/#"});
  EXPECT_EQ(t.filter_count(), 1u);
}

TEST_F(TableTest, RetainedMessagesOnlyForTabsThatJustSubscribed) {
  Answer x, y;
  ack(ask(a, "cfg/#", 0, x), 0);
  now += 5s;
  ack(ask(b, "cfg/#", 0, y), 0);  // the broker re-sends retained messages now
  EXPECT_EQ(keys(t.route("cfg/led", 0, true, now)), std::vector<const Subscriber*>{b.get()});
  EXPECT_EQ(keys(t.route("cfg/led", 0, false, now)).size(), 2u);  // live messages go to both
  now += SubscriptionTable::kRetainedWindow + 1s;
  EXPECT_TRUE(t.route("cfg/led", 0, true, now).empty());
}

TEST_F(TableTest, UnsubscribeBeforeTheSubackCancels) {
  Answer x;
  int mid = ask(a, "dev/#", 0, x);
  EXPECT_TRUE(t.remove(a.get(), "dev/#"));  // UNSUBSCRIBE follows the SUBSCRIBE on the wire
  ack(mid, 0);
  EXPECT_EQ(x.granted, -2);  // never answered: the tab let go
  EXPECT_EQ(t.filter_count(), 0u);
  EXPECT_TRUE(t.route("dev/1", 0, false, now).empty());
}

TEST_F(TableTest, WaitingRequestKeepsTheFilterWhenTheHolderLeaves) {
  Answer x, y;
  ack(ask(a, "dev/#", 0, x), 0);
  int mid = ask(b, "dev/#", 0, y);
  EXPECT_FALSE(t.remove(a.get(), "dev/#"));  // b waits for it
  ack(mid, 0);
  EXPECT_EQ(keys(t.route("dev/1", 0, false, now)), std::vector<const Subscriber*>{b.get()});
}

TEST_F(TableTest, LeaveDropsEveryFilterNoOtherTabHolds) {
  Answer x;
  ack(ask(a, "one", 0, x), 0);
  ack(ask(a, "two", 0, x), 0);
  ack(ask(b, "two", 0, x), 0);
  EXPECT_EQ(t.held_by(a.get()), 2u);
  EXPECT_EQ(t.remove_all(a.get()), std::vector<std::string>{"one"});
  EXPECT_EQ(t.held_by(a.get()), 0u);
  EXPECT_EQ(t.filter_count(), 1u);
}

TEST_F(TableTest, ReconnectRenewsHeldFiltersAndReportsRefusals) {
  Answer x, y, w;
  ack(ask(a, "ok/#", 1, x), 1);
  ack(ask(b, "gone/#", 0, y), 0);
  int waiting = ask(a, "late/#", 0, w);
  auto lost = t.connection_lost("dropped");
  for (auto& c : lost.calls) c();
  EXPECT_EQ(w.granted, -1);
  EXPECT_EQ(w.error, "dropped");
  ack(waiting, 0);  // a stale SUBACK is ignored
  auto held = t.held();
  ASSERT_EQ(held.size(), 2u);
  EXPECT_EQ(held[0], (std::pair<std::string, int>{"gone/#", 0}));
  EXPECT_EQ(held[1], (std::pair<std::string, int>{"ok/#", 1}));
  t.resent(100, "gone/#");
  t.resent(101, "ok/#");
  ack(100, 0x80);
  ack(101, 1);
  ASSERT_EQ(b->lost.size(), 1u);
  EXPECT_NE(b->lost[0].find("gone/#: The broker refused"), std::string::npos);
  EXPECT_TRUE(a->lost.empty());
  EXPECT_TRUE(t.route("gone/1", 0, false, now).empty());
  EXPECT_EQ(keys(t.route("ok/1", 0, false, now)), std::vector<const Subscriber*>{a.get()});
}

TEST_F(TableTest, ATabThatIsGoneGetsNothing) {
  Answer x;
  ack(ask(a, "dev/#", 0, x), 0);
  a.reset();
  EXPECT_TRUE(t.route("dev/1", 0, false, now).empty());
}

}  // namespace

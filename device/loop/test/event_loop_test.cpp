#include "mos/event_loop.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mos/log.h"

namespace mos {
namespace {

class FakeClock : public Clock {
 public:
  uint64_t now_ms() const override { return now; }
  uint64_t now = 1000;
};

struct Counter {
  int fired = 0;
  static void bump(void* ctx) { static_cast<Counter*>(ctx)->fired++; }
};

TEST(EventLoop, OneShotFiresOnceWhenDue) {
  FakeClock clock;
  EventLoop loop(clock);
  Counter c;
  ASSERT_NE(loop.add_timer(100, false, &Counter::bump, &c), kNoTimer);
  loop.run_once(0);
  EXPECT_EQ(c.fired, 0);
  EXPECT_EQ(loop.ms_until_next_timer(1000), 100u);
  clock.now += 100;
  loop.run_once(0);
  loop.run_once(0);
  EXPECT_EQ(c.fired, 1);
  EXPECT_EQ(loop.ms_until_next_timer(500), 500u);
}

TEST(EventLoop, RepeatingTimerAndCancel) {
  FakeClock clock;
  EventLoop loop(clock);
  Counter c;
  TimerId id = loop.add_timer(10, true, &Counter::bump, &c);
  for (int i = 0; i < 5; ++i) {
    clock.now += 10;
    loop.run_once(0);
  }
  EXPECT_EQ(c.fired, 5);
  loop.cancel_timer(id);
  clock.now += 10;
  loop.run_once(0);
  EXPECT_EQ(c.fired, 5);
}

TEST(EventLoop, CapacityIsReportedNotOverrun) {
  FakeClock clock;
  EventLoop loop(clock);
  Counter c;
  for (int i = 0; i < MOS_LOOP_MAX_TIMERS; ++i) {
    ASSERT_NE(loop.add_timer(5, false, &Counter::bump, &c), kNoTimer);
  }
  EXPECT_EQ(loop.add_timer(5, false, &Counter::bump, &c), kNoTimer);
}

struct CountingPoller : Poller {
  void poll(uint64_t now_ms) override {
    calls++;
    last = now_ms;
  }
  int calls = 0;
  uint64_t last = 0;
};

TEST(EventLoop, PollersRunEveryTurnWithTheClock) {
  FakeClock clock;
  EventLoop loop(clock);
  CountingPoller p;
  ASSERT_EQ(loop.add_poller(&p), Status::kOk);
  loop.run_once(0);
  clock.now = 2000;
  loop.run_once(0);
  EXPECT_EQ(p.calls, 2);
  EXPECT_EQ(p.last, 2000u);
  loop.remove_poller(&p);
  loop.run_once(0);
  EXPECT_EQ(p.calls, 2);
}

// A full table at boot is one log line naming what and the limit to raise.
TEST(EventLoop, RequireReportsFullTablesAtBoot) {
  std::vector<std::string> lines;
  set_log_sink([](LogLevel, std::string_view line, void* ctx) {
    static_cast<std::vector<std::string>*>(ctx)->emplace_back(line);
  }, &lines);
  FakeClock clock;
  EventLoop loop(clock);
  CountingPoller pollers[MOS_LOOP_MAX_POLLERS + 1];
  for (int i = 0; i < MOS_LOOP_MAX_POLLERS; ++i) {
    EXPECT_TRUE(require_poller(loop, &pollers[i], "test poller"));
  }
  EXPECT_FALSE(require_poller(loop, &pollers[MOS_LOOP_MAX_POLLERS], "the UART console"));
  Counter c;
  for (int i = 0; i < MOS_LOOP_MAX_TIMERS; ++i) {
    EXPECT_TRUE(require_timer(loop.add_timer(5, true, &Counter::bump, &c), "test timer"));
  }
  EXPECT_FALSE(require_timer(loop.add_timer(5, true, &Counter::bump, &c), "the wake-up timer"));
  set_log_sink(nullptr, nullptr);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "boot: cannot register the UART console: no space; raise MOS_LOOP_MAX_POLLERS in defaults.h");
  EXPECT_EQ(lines[1], "boot: cannot register the wake-up timer: no space; raise MOS_LOOP_MAX_TIMERS in defaults.h");
}

}  // namespace
}  // namespace mos

#include <gtest/gtest.h>

#include <utility>
#include <vector>

#include "fake_clock.h"
#include "mos/sim/control.h"
#include "mos/sim/sim_gpio.h"

namespace mos::sim {
namespace {

struct Changes {
  std::vector<std::pair<int, bool>> seen;
  static void record(int pin, bool level, void* ctx) {
    static_cast<Changes*>(ctx)->seen.emplace_back(pin, level);
  }
};

TEST(SimGpio, LedIsActiveLowOnGpio2) {
  SimGpio g;
  Changes c;
  g.set_change_handler(&Changes::record, &c);
  EXPECT_FALSE(g.led_on());  // board pull-up keeps GPIO2 high at reset
  ASSERT_EQ(g.set_mode(2, GpioMode::kOutput), Status::kOk);  // latch is 0
  EXPECT_TRUE(g.led_on());
  ASSERT_EQ(g.write(2, true), Status::kOk);
  EXPECT_FALSE(g.led_on());
  ASSERT_EQ(g.write(2, true), Status::kOk);  // no change, no event
  ASSERT_EQ(c.seen.size(), 2u);
  EXPECT_EQ(c.seen[0], std::make_pair(2, false));
  EXPECT_EQ(c.seen[1], std::make_pair(2, true));
  EXPECT_NE(g.to_json().find("\"2\":{\"mode\":\"output\",\"level\":1"), std::string::npos)
      << g.to_json();
  EXPECT_NE(g.to_json().find("\"led\":\"off\""), std::string::npos);
}

TEST(SimGpio, ButtonPullsGpio0Low) {
  SimGpio g;
  bool level = false;
  ASSERT_EQ(g.set_mode(0, GpioMode::kInputPullUp), Status::kOk);
  ASSERT_EQ(g.read(0, &level), Status::kOk);
  EXPECT_TRUE(level);
  ASSERT_EQ(g.drive(0, false), Status::kOk);
  ASSERT_EQ(g.read(0, &level), Status::kOk);
  EXPECT_FALSE(level);
  ASSERT_EQ(g.release(0), Status::kOk);
  ASSERT_EQ(g.read(0, &level), Status::kOk);
  EXPECT_TRUE(level);
}

TEST(SimGpio, FloatingInputReadsLowAndOutputsIgnoreDrivers) {
  SimGpio g;
  bool level = true;
  ASSERT_EQ(g.read(5, &level), Status::kOk);
  EXPECT_FALSE(level);
  ASSERT_EQ(g.set_mode(5, GpioMode::kOutput), Status::kOk);
  ASSERT_EQ(g.write(5, true), Status::kOk);
  ASSERT_EQ(g.drive(5, false), Status::kOk);
  ASSERT_EQ(g.read(5, &level), Status::kOk);
  EXPECT_TRUE(level);
}

TEST(SimGpio, FlashPinsAndOutOfRangeAreRefused) {
  SimGpio g;
  bool level;
  for (int pin : {-1, 6, 9, 11, 17, 1000}) {
    EXPECT_EQ(g.set_mode(pin, GpioMode::kOutput), Status::kInvalidArg) << pin;
    EXPECT_EQ(g.write(pin, true), Status::kInvalidArg) << pin;
    EXPECT_EQ(g.read(pin, &level), Status::kInvalidArg) << pin;
    EXPECT_EQ(g.drive(pin, false), Status::kInvalidArg) << pin;
  }
  EXPECT_EQ(g.read(0, nullptr), Status::kInvalidArg);
  EXPECT_EQ(g.to_json().find("\"6\""), std::string::npos);
}

TEST(ControlServer, PressHoldsPinLowForItsTime) {
  test::FakeClock clock;
  EventLoop loop(clock);
  SimGpio g;
  ControlServer ctl(loop, g);
  EXPECT_EQ(ctl.handle("ping"), "pong");
  EXPECT_EQ(ctl.handle("press 0 100"), "ok");
  EXPECT_FALSE(g.level(0));
  clock.now = 99;
  loop.run_once(0);
  EXPECT_FALSE(g.level(0));
  clock.now = 100;
  loop.run_once(0);
  EXPECT_TRUE(g.level(0));
  EXPECT_EQ(ctl.handle("hold 0"), "ok");
  clock.now = 10000;
  loop.run_once(0);
  EXPECT_FALSE(g.level(0));
  EXPECT_EQ(ctl.handle("release 0"), "ok");
  EXPECT_TRUE(g.level(0));
}

TEST(ControlServer, BadRequestsGetAnErrorLine) {
  test::FakeClock clock;
  EventLoop loop(clock);
  SimGpio g;
  ControlServer ctl(loop, g);
  for (const char* bad : {"", "press", "press x", "press 0 -5", "press 0 5x", "press 7",
                          "press 99", "hold -1", "fly 3", "\xff\xfe"}) {
    EXPECT_EQ(ctl.handle(bad).rfind("error: ", 0), 0u) << bad;
  }
  EXPECT_TRUE(g.level(0));
  EXPECT_NE(ctl.handle("gpio").find("\"led\":\"off\""), std::string::npos);
}

}  // namespace
}  // namespace mos::sim

// What a voltmeter on the pin sees when c_mqtt obeys {gpio:{pin,state}}: the
// board's own GPIO model (mos::sim::SimGpio, pull-ups as on a NodeMCU)
// records every level change, so a glitch (LOW for a moment before HIGH)
// shows up as an event.
#include <gtest/gtest.h>

#include <utility>
#include <vector>

#include "c_mqtt/app.h"
#include "mos/event_loop.h"
#include "mos/sim/sim_gpio.h"

namespace {

using mos::Status;

struct ZeroClock : mos::Clock {
  uint64_t now_ms() const override { return 0; }
};

struct NullPublisher : c_mqtt::Publisher {
  Status publish(std::string_view, std::string_view) override { return Status::kOk; }
};

std::vector<std::pair<int, bool>> g_events;
void record(int pin, bool level, void*) { g_events.emplace_back(pin, level); }

TEST(AppPinHistory, LedToldToStayOffNeverGoesLow) {
  ZeroClock clock;
  mos::EventLoop loop(clock);
  mos::sim::SimGpio gpio;
  NullPublisher pub;
  c_mqtt::App app(loop, gpio, pub);
  ASSERT_EQ(app.set_topics("/response", "/request"), Status::kOk);
  g_events.clear();
  gpio.set_change_handler(&record, nullptr);
  ASSERT_TRUE(gpio.level(2));  // the board's pull-up: LED off

  app.on_message("/request", "{gpio:{pin:2,state:1}}");  // stay off
  EXPECT_EQ(gpio.mode(2), mos::GpioMode::kOutput);
  EXPECT_TRUE(gpio.level(2));
  EXPECT_TRUE(g_events.empty()) << "GPIO2 changed " << g_events.size() << " time(s); first to "
                                << (g_events.empty() ? -1 : g_events[0].second);

  app.on_message("/request", "{gpio:{pin:2,state:0}}");  // on: exactly one edge
  EXPECT_EQ(g_events, (std::vector<std::pair<int, bool>>{{2, false}}));
}

}  // namespace

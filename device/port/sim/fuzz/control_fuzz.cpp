// Fuzzes the board's control-socket parser, ControlServer::handle(line)
// (device/port/sim control.cpp): whatever a local tool writes to the socket
// is one request line. No socket here: a ControlServer on an event loop with
// a fake clock and a SimGpio, fresh for every input (no state across inputs).
//
// Input: request lines separated by '\n' (at most 64 per input). After each
// line the clock moves on 50 ms and the loop turns, so timed presses get
// released in between, as on the board. Checked: every reply is one
// non-empty line (the protocol is "one request line, one reply line").
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mos/event_loop.h"
#include "mos/sim/control.h"
#include "mos/sim/sim_gpio.h"

namespace {

class FakeClock : public mos::Clock {
 public:
  uint64_t now_ms() const override { return now; }
  uint64_t now = 1000;
};

[[noreturn]] void fail(const char* what, const std::string& line, const std::string& reply) {
  std::fprintf(stderr, "control_fuzz: %s\n  line:  %s\n  reply: %s\n", what, line.c_str(), reply.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  FakeClock clock;
  mos::EventLoop loop(clock);
  mos::sim::SimGpio gpio;
  mos::sim::ControlServer server(loop, gpio);
  for (int lines = 0; lines < 64 && !in.empty(); ++lines) {
    size_t nl = in.find('\n');
    std::string line(in.substr(0, nl));
    in.remove_prefix(nl == std::string_view::npos ? in.size() : nl + 1);
    std::string reply = server.handle(line);
    if (reply.empty()) fail("empty reply", line, reply);
    if (reply.find('\n') != std::string::npos) fail("reply is more than one line", line, reply);
    clock.now += 50;
    loop.run_once(0);
  }
  return 0;
}

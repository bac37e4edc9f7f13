// The board's control socket: how tools reach the hardware from outside the
// firmware (a finger on the FLASH button, a probe on a pin). A Unix stream
// socket in the board's directory; one request line, one reply line:
//
//   press PIN [MS]   -> ok            (pin held LOW for MS ms, default 200)
//   hold PIN         -> ok            (held LOW until "release PIN")
//   release PIN      -> ok
//   gpio             -> {"pins":{...},"led":"off"}
//   ping             -> pong
//   anything else    -> error: <why>
#pragma once
#include <string>

#include "mos/event_loop.h"
#include "mos/sim/sim_gpio.h"

namespace mos::sim {

class ControlServer : public Poller {
 public:
  ControlServer(EventLoop& loop, SimGpio& gpio) : loop_(loop), gpio_(gpio) {}
  ~ControlServer() override;
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // Binds path (relative to the working directory if not absolute; the
  // sun_path limit is 108 bytes) after removing a stale socket.
  Status open(const char* path);
  void close();
  int fd() const { return fd_; }

  void poll(uint64_t now_ms) override;
  // One request line to its reply line (no newline). Public for tests.
  std::string handle(const std::string& line);

 private:
  static constexpr int kMaxPresses = 4;
  struct Press {
    ControlServer* self = nullptr;
    int pin = -1;
    TimerId timer = kNoTimer;
  };
  static void on_release(void* ctx);

  EventLoop& loop_;
  SimGpio& gpio_;
  int fd_ = -1;
  std::string path_;
  Press presses_[kMaxPresses];
};

}  // namespace mos::sim

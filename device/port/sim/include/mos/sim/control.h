// The board's control socket: how tools reach the hardware from outside the
// firmware (a finger on the FLASH button, a probe on a pin). A Unix stream
// socket in the board's directory; one request line, one reply line:
//
//   press PIN [MS]   -> ok            (pin held LOW for MS ms, default 200)
//   hold PIN         -> ok            (held LOW until "release PIN")
//   release PIN      -> ok
//   gpio             -> {"pins":{...},"led":"off"}
//   lines DTR RTS    -> ok            (the USB-serial bridge's modem lines, 0/1:
//                                      NodeMCU's auto-reset circuit turns them
//                                      into EN and GPIO0, as esptool expects)
//   reset [download] -> ok            (the RST button; download: GPIO0 held low)
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
  // Takes over a listening socket inherited across a reset, so tools that
  // connect while the chip restarts wait in its backlog instead of failing.
  Status adopt(int fd, const char* path);
  // Leaves the socket open across exec (a reset) and forgets it.
  int detach_for_reset();
  void close();

  // What `lines` and `reset` ask of the chip; called after the reply went out.
  struct ResetHooks {
    void (*lines)(bool dtr, bool rts, void* ctx) = nullptr;
    void (*reset)(bool download, void* ctx) = nullptr;
    void* ctx = nullptr;
  };
  void set_reset_hooks(const ResetHooks& hooks) { hooks_ = hooks; }
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
  void run_pending();

  EventLoop& loop_;
  SimGpio& gpio_;
  int fd_ = -1;
  std::string path_;
  Press presses_[kMaxPresses];
  ResetHooks hooks_;
  // A request that `handle` accepted, run once its reply is sent.
  enum class Pending { kNone, kLines, kReset } pending_ = Pending::kNone;
  bool pending_a_ = false, pending_b_ = false;
};

}  // namespace mos::sim

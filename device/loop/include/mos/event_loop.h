// The one event loop (STYLE.md §5): timers plus pollers (connections, the
// UART), driven by an injected Clock. The port supplies a Waiter that sleeps
// until I/O is ready or the next timer is due. Fixed capacity, no allocation.
#pragma once
#include <cstdint>

#include "mos/defaults.h"
#include "mos/hal.h"
#include "mos/require.h"

namespace mos {

// Something with work to do on every loop turn (a connection, the UART).
class Poller {
 public:
  virtual ~Poller() = default;
  virtual void poll(uint64_t now_ms) = 0;
};

// Blocks for at most max_ms or until I/O is ready. Tests use none (no wait).
class Waiter {
 public:
  virtual ~Waiter() = default;
  virtual void wait(uint32_t max_ms) = 0;
};

using TimerId = int;
constexpr TimerId kNoTimer = -1;
// Timer callbacks get the context given at add_timer().
using TimerFn = void (*)(void* ctx);

class EventLoop {
 public:
  explicit EventLoop(const Clock& clock) : clock_(clock) {}
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Returns kNoTimer when all MOS_LOOP_MAX_TIMERS slots are in use (or fn is
  // null). Keep the id (to cancel) or check it: see require_timer() below.
  [[nodiscard]] TimerId add_timer(uint32_t delay_ms, bool repeat, TimerFn fn, void* ctx);
  void cancel_timer(TimerId id);  // safe from inside a callback; ignores kNoTimer

  Status add_poller(Poller* poller);  // kNoSpace when full
  void remove_poller(Poller* poller);
  void set_waiter(Waiter* waiter) { waiter_ = waiter; }

  // One turn: fire due timers, poll every poller, then wait until the next
  // timer is due (never longer than max_wait_ms).
  void run_once(uint32_t max_wait_ms);
  // Milliseconds until the earliest timer, capped at cap_ms.
  uint32_t ms_until_next_timer(uint32_t cap_ms) const;
  uint64_t now_ms() const { return clock_.now_ms(); }

 private:
  struct Timer {
    uint64_t due_ms = 0;
    uint32_t period_ms = 0;  // 0 = one-shot
    TimerFn fn = nullptr;
    void* ctx = nullptr;
    bool active = false;
  };
  void fire_due_timers();

  const Clock& clock_;
  Waiter* waiter_ = nullptr;
  Timer timers_[MOS_LOOP_MAX_TIMERS];
  Poller* pollers_[MOS_LOOP_MAX_POLLERS] = {};
};

// Boot-time registrations (mos/require.h): log what could not be registered
// and which limit to raise, and return false so the boot stops.
[[nodiscard]] inline bool require_poller(EventLoop& loop, Poller* poller, const char* what) {
  return require(loop.add_poller(poller), what, "MOS_LOOP_MAX_POLLERS");
}
[[nodiscard]] inline bool require_timer(TimerId id, const char* what) {
  return require(id == kNoTimer ? Status::kNoSpace : Status::kOk, what, "MOS_LOOP_MAX_TIMERS");
}

}  // namespace mos

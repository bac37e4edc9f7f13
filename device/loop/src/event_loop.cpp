#include "mos/event_loop.h"

namespace mos {

TimerId EventLoop::add_timer(uint32_t delay_ms, bool repeat, TimerFn fn, void* ctx) {
  if (fn == nullptr) return kNoTimer;
  for (int i = 0; i < MOS_LOOP_MAX_TIMERS; ++i) {
    Timer& t = timers_[i];
    if (t.active) continue;
    t = Timer{clock_.now_ms() + delay_ms, repeat ? (delay_ms == 0 ? 1u : delay_ms) : 0u, fn, ctx,
              true};
    return i;
  }
  return kNoTimer;
}

void EventLoop::cancel_timer(TimerId id) {
  if (id < 0 || id >= MOS_LOOP_MAX_TIMERS) return;
  timers_[id].active = false;
}

Status EventLoop::add_poller(Poller* poller) {
  for (Poller*& slot : pollers_) {
    if (slot == poller) return Status::kOk;
  }
  for (Poller*& slot : pollers_) {
    if (slot == nullptr) {
      slot = poller;
      return Status::kOk;
    }
  }
  return Status::kNoSpace;
}

void EventLoop::remove_poller(Poller* poller) {
  for (Poller*& slot : pollers_) {
    if (slot == poller) slot = nullptr;
  }
}

void EventLoop::fire_due_timers() {
  const uint64_t now = clock_.now_ms();
  for (Timer& t : timers_) {
    if (!t.active || t.due_ms > now) continue;
    // Re-arm (or retire) before the call, so the callback may cancel or
    // reuse its own slot.
    TimerFn fn = t.fn;
    void* ctx = t.ctx;
    if (t.period_ms != 0) {
      t.due_ms = now + t.period_ms;
    } else {
      t.active = false;
    }
    fn(ctx);
  }
}

uint32_t EventLoop::ms_until_next_timer(uint32_t cap_ms) const {
  const uint64_t now = clock_.now_ms();
  uint64_t best = cap_ms;
  for (const Timer& t : timers_) {
    if (!t.active) continue;
    uint64_t wait = t.due_ms > now ? t.due_ms - now : 0;
    if (wait < best) best = wait;
  }
  return static_cast<uint32_t>(best);
}

void EventLoop::run_once(uint32_t max_wait_ms) {
  fire_due_timers();
  for (Poller* p : pollers_) {
    if (p != nullptr) p->poll(clock_.now_ms());
  }
  if (waiter_ != nullptr) waiter_->wait(ms_until_next_timer(max_wait_ms));
}

}  // namespace mos

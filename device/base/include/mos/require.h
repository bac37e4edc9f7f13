// Boot-time registrations into the core's fixed tables (loop pollers and
// timers, RPC handlers) must not fail silently: a full table means a limit in
// mos/defaults.h is too small for this firmware, which only its builder can
// fix. Boot code wraps each registration in require() and stops booting on
// false, so the board says what is missing instead of running without it:
//
//   if (!mos::require(rpc.add_handler("GPIO.Read", gpio_read, this),
//                     "RPC handler GPIO.Read", "MOS_RPC_MAX_HANDLERS")) return false;
//
// See mos/event_loop.h for require_poller() and require_timer().
#pragma once
#include "mos/status.h"

namespace mos {

// true when s is kOk. Otherwise logs one error line and returns false:
//   boot: cannot register <what>: <status>; raise <limit> in defaults.h
// (the "raise" hint only for kNoSpace, the status of a full table; `limit`
// may be nullptr when the table has no limit to raise).
[[nodiscard]] bool require(Status s, const char* what, const char* limit);

}  // namespace mos

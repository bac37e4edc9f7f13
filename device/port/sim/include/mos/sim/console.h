// The console log format of the virtual board, as on a Mongoose OS board: a
// boot banner (no timestamp), then one line per log record:
//
//   [Nov 27 06:01:02.123] I mqtt: connecting to 127.0.0.1:8883
//
// UTC wall time to the millisecond, the level letter (E/W/I/D), the message.
// Lines go to UART0 through the RPC channel's queue (so a log line never cuts
// into an RPC frame) and to the board's console.log.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mos/log.h"

namespace mos::sim {

// "[Nov 27 06:01:02.123] " for the given UTC time. Returns the length
// written (without the NUL); out should hold at least 24 bytes.
size_t format_stamp(int64_t unix_ms, char* out, size_t out_size);

// One whole console line (no newline) into out, truncated to fit; returns
// its length.
size_t format_log_line(int64_t unix_ms, LogLevel level, std::string_view msg, char* out,
                       size_t out_size);

}  // namespace mos::sim

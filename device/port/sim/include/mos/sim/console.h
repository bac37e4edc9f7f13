// The console log on UART0, as on a Mongoose OS board: a boot banner, then one
// line per log record:
//
//   [Nov 27 06:01:02.123] I mqtt: connecting to 127.0.0.1:8883
//
// (UTC wall time to the millisecond, the level letter E/W/I/D, the message),
// ended with CR LF so raw terminals show it right. Each line goes to the UART
// in one write, so it never splits an RPC frame. A copy goes to a tee file
// (the board's console.log) whether or not anyone has the port open.
#pragma once
#include <cstdio>
#include <string_view>

#include "mos/hal.h"
#include "mos/log.h"

namespace mos::sim {

class Console {
 public:
  Console(Uart& uart, std::FILE* tee) : uart_(uart), tee_(tee) {}
  // Installs this console as the log sink of mos/log.h.
  void install();
  void uninstall();
  // A line without the timestamp (the banner).
  void raw_line(std::string_view line);
  void log_line(LogLevel level, std::string_view msg);

  // "[Nov 27 06:01:02.123] " for the given UTC time; out >= 32 bytes.
  static size_t format_stamp(int64_t unix_ms, char* out, size_t out_size);

 private:
  static void sink(LogLevel level, std::string_view line, void* ctx);
  void emit(std::string_view text);

  Uart& uart_;
  std::FILE* tee_;
};

}  // namespace mos::sim

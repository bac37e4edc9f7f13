#include "mos/log.h"

#include <cstdio>

#include "mos/defaults.h"

namespace mos {
namespace {
LogSink g_sink = nullptr;
void* g_sink_ctx = nullptr;
LogLevel g_max_level = LogLevel::kInfo;
}  // namespace

void set_log_sink(LogSink sink, void* ctx) {
  g_sink = sink;
  g_sink_ctx = ctx;
}

void set_log_level(LogLevel max_level) { g_max_level = max_level; }

const char* to_string(LogLevel level) {
  switch (level) {
    case LogLevel::kError: return "E";
    case LogLevel::kWarn: return "W";
    case LogLevel::kInfo: return "I";
    case LogLevel::kDebug: return "D";
  }
  return "?";
}

void vlog(LogLevel level, const char* fmt, va_list args) {
  if (g_sink == nullptr || static_cast<int>(level) > static_cast<int>(g_max_level)) return;
  char line[MOS_LOG_LINE_MAX];
  int n = std::vsnprintf(line, sizeof(line), fmt, args);
  if (n < 0) return;
  size_t len = static_cast<size_t>(n) < sizeof(line) ? static_cast<size_t>(n) : sizeof(line) - 1;
  g_sink(level, std::string_view(line, len), g_sink_ctx);
}

void log(LogLevel level, const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  vlog(level, fmt, args);
  va_end(args);
}

}  // namespace mos

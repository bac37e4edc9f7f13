// Logging for the device core. The port installs a sink (UART console on the
// board, stderr or a capture buffer in tests). Formatting happens into a
// fixed stack buffer: no allocation.
#pragma once
#include <cstdarg>
#include <string_view>

namespace mos {

enum class LogLevel { kError = 0, kWarn = 1, kInfo = 2, kDebug = 3 };

// The sink receives one formatted line without a trailing newline.
using LogSink = void (*)(LogLevel level, std::string_view line, void* ctx);

void set_log_sink(LogSink sink, void* ctx);
void set_log_level(LogLevel max_level);
void log(LogLevel level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void vlog(LogLevel level, const char* fmt, va_list args);
const char* to_string(LogLevel level);

}  // namespace mos

#define MOS_LOGE(...) ::mos::log(::mos::LogLevel::kError, __VA_ARGS__)
#define MOS_LOGW(...) ::mos::log(::mos::LogLevel::kWarn, __VA_ARGS__)
#define MOS_LOGI(...) ::mos::log(::mos::LogLevel::kInfo, __VA_ARGS__)
#define MOS_LOGD(...) ::mos::log(::mos::LogLevel::kDebug, __VA_ARGS__)

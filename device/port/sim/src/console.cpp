#include "mos/sim/console.h"

#include <sys/time.h>

#include <cstring>
#include <ctime>

#include "mos/defaults.h"

namespace mos::sim {

void Console::install() { set_log_sink(&Console::sink, this); }
void Console::uninstall() { set_log_sink(nullptr, nullptr); }

void Console::sink(LogLevel level, std::string_view line, void* ctx) {
  static_cast<Console*>(ctx)->log_line(level, line);
}

size_t Console::format_stamp(int64_t unix_ms, char* out, size_t out_size) {
  time_t secs = static_cast<time_t>(unix_ms / 1000);
  tm t{};
  gmtime_r(&secs, &t);
  char date[24];
  size_t n = std::strftime(date, sizeof(date), "%b %d %H:%M:%S", &t);
  date[n] = '\0';
  int len = std::snprintf(out, out_size, "[%s.%03d] ", date, static_cast<int>(unix_ms % 1000));
  return len < 0 ? 0 : static_cast<size_t>(len) < out_size ? static_cast<size_t>(len) : out_size - 1;
}

void Console::log_line(LogLevel level, std::string_view msg) {
  timeval tv{};
  gettimeofday(&tv, nullptr);
  char buf[MOS_LOG_LINE_MAX + 40];
  size_t n = format_stamp(static_cast<int64_t>(tv.tv_sec) * 1000 + tv.tv_usec / 1000, buf,
                          sizeof(buf));
  buf[n++] = to_string(level)[0];
  buf[n++] = ' ';
  size_t room = sizeof(buf) - n - 2;
  size_t take = msg.size() < room ? msg.size() : room;
  std::memcpy(buf + n, msg.data(), take);
  n += take;
  buf[n++] = '\r';
  buf[n++] = '\n';
  emit(std::string_view(buf, n));
}

void Console::raw_line(std::string_view line) {
  char buf[MOS_LOG_LINE_MAX + 4];
  size_t take = line.size() < MOS_LOG_LINE_MAX ? line.size() : MOS_LOG_LINE_MAX;
  std::memcpy(buf, line.data(), take);
  buf[take] = '\r';
  buf[take + 1] = '\n';
  emit(std::string_view(buf, take + 2));
}

void Console::emit(std::string_view text) {
  (void)uart_.write(as_bytes(text));
  if (tee_ != nullptr) {
    // The file gets plain LF line ends.
    std::string_view body = text.substr(0, text.size() - 2);
    std::fwrite(body.data(), 1, body.size(), tee_);
    std::fputc('\n', tee_);
    std::fflush(tee_);
  }
}

}  // namespace mos::sim

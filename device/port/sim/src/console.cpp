#include "mos/sim/console.h"

#include <cstdio>
#include <cstring>
#include <ctime>

namespace mos::sim {

size_t format_stamp(int64_t unix_ms, char* out, size_t out_size) {
  if (out_size == 0) return 0;
  time_t secs = static_cast<time_t>(unix_ms / 1000);
  tm t{};
  gmtime_r(&secs, &t);
  char date[24];
  size_t n = std::strftime(date, sizeof(date), "%b %d %H:%M:%S", &t);
  date[n] = '\0';
  int len = std::snprintf(out, out_size, "[%s.%03d] ", date, static_cast<int>(unix_ms % 1000));
  if (len < 0) return 0;
  return static_cast<size_t>(len) < out_size ? static_cast<size_t>(len) : out_size - 1;
}

size_t format_log_line(int64_t unix_ms, LogLevel level, std::string_view msg, char* out,
                       size_t out_size) {
  size_t n = format_stamp(unix_ms, out, out_size);
  if (n + 3 > out_size) return n;
  out[n++] = to_string(level)[0];
  out[n++] = ' ';
  size_t take = msg.size() < out_size - n - 1 ? msg.size() : out_size - n - 1;
  std::memcpy(out + n, msg.data(), take);
  n += take;
  out[n] = '\0';
  return n;
}

}  // namespace mos::sim

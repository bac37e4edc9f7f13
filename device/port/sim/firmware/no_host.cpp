// BearSSL's portable fallbacks reach for an operating system: the system
// RNG (/dev/urandom through open/read/close) and time(). The firmware never needs
// them: TlsTransport injects entropy from the ROM's hardware RNG and sets the
// certificate validation time from the ROM's clock. The link wraps those
// symbols (-Wl,--wrap) to these, which fail as they would on a chip with no
// OS, so the image imports nothing of the host (check_imports.cmake).
#include <sys/types.h>

#include <cerrno>
#include <ctime>

extern "C" {
int __wrap_open(const char* /*path*/, int /*flags*/, ...) {
  errno = ENOSYS;
  return -1;
}
ssize_t __wrap_read(int /*fd*/, void* /*buf*/, size_t /*len*/) {
  errno = ENOSYS;
  return -1;
}
int __wrap_close(int /*fd*/) {
  errno = ENOSYS;
  return -1;
}
time_t __wrap_time(time_t* out) {
  if (out != nullptr) *out = 0;
  return 0;
}
}

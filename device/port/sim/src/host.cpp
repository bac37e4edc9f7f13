#include "mos/sim/host.h"

#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <ctime>
#include <string>

namespace mos::sim {
namespace {
uint64_t monotonic_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000u + static_cast<uint64_t>(ts.tv_nsec) / 1000000u;
}
}  // namespace

MonotonicClock::MonotonicClock() : boot_ms_(monotonic_ms()) {}

uint64_t MonotonicClock::now_ms() const { return monotonic_ms() - boot_ms_; }

uint32_t KernelRandom::next_u32() {
  uint32_t v = 0;
  uint8_t* p = reinterpret_cast<uint8_t*>(&v);
  size_t got = 0;
  while (got < sizeof(v)) {
    ssize_t n = getrandom(p + got, sizeof(v) - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;  // cannot happen after boot on Linux >= 3.17; v stays partly zero
    }
    got += static_cast<size_t>(n);
  }
  return v;
}

Mac mac_for_name(std::string_view board_name) {
  // FNV-1a 64 (public domain constants).
  uint64_t h = 0xcbf29ce484222325ull;
  for (char c : board_name) {
    h ^= static_cast<uint8_t>(c);
    h *= 0x100000001b3ull;
  }
  // FNV's last step only mixes the last character into the low bits; the
  // splitmix64 finaliser spreads it over all of them, so "b1" and "b3" do
  // not share the three bytes that name the device (esp8266_XXXXXX).
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebull;
  h ^= h >> 31;
  Mac mac;
  mac.b[0] = static_cast<uint8_t>(((h >> 40) & 0xFCu) | 0x02u);
  for (int i = 1; i < 6; ++i) mac.b[i] = static_cast<uint8_t>(h >> (8 * (i - 1)));
  return mac;
}

void format_mac(const Mac& mac, char* out, size_t out_size) {
  std::snprintf(out, out_size, "%02x:%02x:%02x:%02x:%02x:%02x", mac.b[0], mac.b[1], mac.b[2],
                mac.b[3], mac.b[4], mac.b[5]);
}

Status write_file_atomic(const char* path, std::string_view content) {
  std::string tmp = std::string(path) + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::kIoError;
  size_t off = 0;
  while (off < content.size()) {
    ssize_t n = ::write(fd, content.data() + off, content.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      ::unlink(tmp.c_str());
      return Status::kIoError;
    }
    off += static_cast<size_t>(n);
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path) != 0) {
    ::unlink(tmp.c_str());
    return Status::kIoError;
  }
  return Status::kOk;
}

}  // namespace mos::sim

// Host basics of the virtual board: a monotonic Clock, Random from the
// kernel's entropy pool, and the board's MAC address.
#pragma once
#include <cstdint>
#include <string_view>

#include "mos/hal.h"

namespace mos::sim {

// Milliseconds since the board booted (CLOCK_MONOTONIC, so wall-clock jumps
// never fire timers early or late).
class MonotonicClock : public Clock {
 public:
  MonotonicClock();
  uint64_t now_ms() const override;

 private:
  uint64_t boot_ms_ = 0;
};

// getrandom(2): blocks only until the pool is initialised at system boot.
class KernelRandom : public Random {
 public:
  uint32_t next_u32() override;
};

// A MAC stable per board name: 40 bits of FNV-1a over the name, under a
// first octet with the locally-administered bit set and the multicast bit
// clear (IEEE 802 §8.2.2), so it never collides with a vendor (OUI) address.
struct Mac {
  uint8_t b[6] = {};
};
Mac mac_for_name(std::string_view board_name);
// "5e:12:34:56:78:9a" into out (at least 18 bytes).
void format_mac(const Mac& mac, char* out, size_t out_size);

}  // namespace mos::sim

namespace mos::sim {
// Replaces path with content so a reader sees the old or the new file, never
// a torn one: write a temporary file next to it, then rename(2) over it.
Status write_file_atomic(const char* path, std::string_view content);
}  // namespace mos::sim

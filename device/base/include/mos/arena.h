// Memory whose size is known only at run time, without a heap (STYLE.md §3):
// pieces handed out one after the other from one caller-owned region and
// never given back one at a time (a bump allocator).
//
// Arena: scratch that is rolled back as a whole, e.g. device/tls decoding
// certificates (rewind() undoes a failed decode).
// BootArena: the region a port's runtime owns for the buffers an app sizes
// from its config at boot (Mongoose OS reads mqtt.ssl_rx_buf_size and calls
// malloc; here the app takes the bytes from this region). It is open while
// mos_app_init() runs and sealed when it returns, so nothing is handed out
// after init; what was taken lives until the next reboot.
#pragma once
#include <cstddef>
#include <cstdint>

#include "mos/span.h"
#include "mos/status.h"

namespace mos {

class Arena {
 public:
  explicit Arena(ByteSpan storage) : storage_(storage) {}
  // n bytes starting at a multiple of `align` (a power of two; 1 = no
  // padding, so consecutive allocations stay contiguous), or nullptr when
  // they do not fit (nothing is used then).
  uint8_t* alloc(size_t n, size_t align = 1);
  uint8_t* copy(const void* data, size_t n);
  size_t used() const { return used_; }
  size_t capacity() const { return storage_.size(); }
  void reset() { used_ = 0; }
  // Undo allocations back to `mark` (an earlier used()).
  void rewind(size_t mark) { used_ = mark < used_ ? mark : used_; }

 private:
  ByteSpan storage_;
  size_t used_ = 0;
};

class BootArena {
 public:
  explicit BootArena(ByteSpan storage) : arena_(storage) {}
  // `size` bytes aligned to `align` into *out. kBusy once sealed (init is
  // over), kInvalidArg for size 0 or an alignment that is not a power of
  // two, kNoSpace when the rest of the region is smaller; *out is left alone
  // on failure.
  Status take(size_t size, size_t align, ByteSpan* out);
  void seal() { sealed_ = true; }
  bool sealed() const { return sealed_; }
  size_t used() const { return arena_.used(); }
  size_t capacity() const { return arena_.capacity(); }

 private:
  Arena arena_;
  bool sealed_ = false;
};

}  // namespace mos

#include "mos/arena.h"

#include <cstring>

namespace mos {

namespace {
constexpr bool power_of_two(size_t v) { return v != 0 && (v & (v - 1)) == 0; }
}  // namespace

uint8_t* Arena::alloc(size_t n, size_t align) {
  if (!power_of_two(align)) return nullptr;
  uintptr_t at = reinterpret_cast<uintptr_t>(storage_.data()) + used_;
  size_t pad = static_cast<size_t>((align - (at & (align - 1))) & (align - 1));
  size_t left = storage_.size() - used_;
  if (pad > left || n > left - pad) return nullptr;
  uint8_t* p = storage_.data() + used_ + pad;
  used_ += pad + n;
  return p;
}

uint8_t* Arena::copy(const void* data, size_t n) {
  uint8_t* p = alloc(n);
  if (p != nullptr && n > 0) std::memcpy(p, data, n);
  return p;
}

Status BootArena::take(size_t size, size_t align, ByteSpan* out) {
  if (sealed_) return Status::kBusy;
  if (size == 0 || !power_of_two(align)) return Status::kInvalidArg;
  uint8_t* p = arena_.alloc(size, align);
  if (p == nullptr) return Status::kNoSpace;
  *out = ByteSpan(p, size);
  return Status::kOk;
}

}  // namespace mos

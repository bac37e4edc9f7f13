#include "mos/arena.h"

#include <gtest/gtest.h>

#include <cstring>

namespace {

using mos::Arena;
using mos::BootArena;
using mos::ByteSpan;
using mos::Status;

// Guard bytes around the region: nothing handed out may reach them.
struct Region {
  static constexpr size_t kGuard = 16;
  alignas(64) uint8_t bytes[kGuard + 256 + kGuard];
  Region() { std::memset(bytes, 0xA5, sizeof bytes); }
  ByteSpan span(size_t offset, size_t n) { return ByteSpan(bytes + kGuard + offset, n); }
  bool guards_intact(size_t offset, size_t n) const {
    for (size_t i = 0; i < kGuard + offset; ++i) {
      if (bytes[i] != 0xA5) return false;
    }
    for (size_t i = kGuard + offset + n; i < sizeof bytes; ++i) {
      if (bytes[i] != 0xA5) return false;
    }
    return true;
  }
};

TEST(Arena, ContiguousWithoutAlignmentAndRewind) {
  Region r;
  Arena a(r.span(0, 10));
  uint8_t* p = a.alloc(4);
  uint8_t* q = a.alloc(6);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(q, p + 4);
  EXPECT_EQ(a.alloc(1), nullptr);  // full: nothing used
  EXPECT_EQ(a.used(), 10u);
  a.rewind(4);
  EXPECT_EQ(a.copy("abcdef", 6), q);
  a.rewind(100);  // a mark past used() changes nothing
  EXPECT_EQ(a.used(), 10u);
  std::memset(p, 0, 10);
  EXPECT_TRUE(r.guards_intact(0, 10));
}

TEST(Arena, AlignsFromTheRegionsAddressNotItsStart) {
  Region r;
  Arena a(r.span(3, 64));  // starts 19 bytes past a 64-byte boundary
  uint8_t* p = a.alloc(1);
  uint8_t* q = a.alloc(8, 8);
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(q) % 8, 0u);
  EXPECT_GT(q, p);
  EXPECT_EQ(a.alloc(1, 3), nullptr);  // not a power of two
  // Padding counts against the space: what is left after aligning is all there is.
  size_t left = a.capacity() - a.used();
  EXPECT_EQ(a.alloc(left + 1), nullptr);
  EXPECT_NE(a.alloc(left), nullptr);
  EXPECT_EQ(a.used(), a.capacity());
}

TEST(BootArena, HandsOutAlignedBuffersUntilSealed) {
  Region r;
  BootArena arena(r.span(1, 100));
  ByteSpan in, out, spare;
  ASSERT_EQ(arena.take(40, 16, &in), Status::kOk);
  EXPECT_EQ(in.size(), 40u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(in.data()) % 16, 0u);
  ASSERT_EQ(arena.take(30, 4, &out), Status::kOk);
  EXPECT_GE(out.data(), in.data() + in.size());  // no overlap
  EXPECT_EQ(arena.take(0, 1, &spare), Status::kInvalidArg);
  EXPECT_EQ(arena.take(8, 6, &spare), Status::kInvalidArg);
  EXPECT_EQ(arena.take(100, 1, &spare), Status::kNoSpace);
  EXPECT_EQ(spare.data(), nullptr);  // untouched on failure
  size_t used = arena.used();
  arena.seal();
  EXPECT_TRUE(arena.sealed());
  EXPECT_EQ(arena.take(1, 1, &spare), Status::kBusy);  // no allocation after init
  EXPECT_EQ(arena.used(), used);
  std::memset(in.data(), 0, in.size());
  std::memset(out.data(), 0, out.size());
  EXPECT_TRUE(r.guards_intact(1, 100));
}

}  // namespace

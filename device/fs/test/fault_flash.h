// A RAM flash with SPI-NOR semantics that can "cut power" at the Nth write or
// erase, optionally applying part of the interrupted operation, and that
// counts erases per sector. Test-only.
#pragma once
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

#include "mos/hal.h"

namespace mos::test {

class FaultFlash : public Flash {
 public:
  // What the interrupted operation leaves behind.
  enum class Partial { kNone, kPrefix, kRandomBits };  // kPrefix: a stretch, for erases

  FaultFlash(uint32_t size, uint32_t sector) : mem_(size, 0xFF), sector_(sector), erases_(size / sector, 0) {}

  uint32_t size() const override { return static_cast<uint32_t>(mem_.size()); }
  uint32_t sector_size() const override { return sector_; }

  Status read(uint32_t addr, ByteSpan out) override {
    if (addr > mem_.size() || out.size() > mem_.size() - addr) return Status::kInvalidArg;
    for (size_t i = 0; i < out.size(); ++i) out[i] = mem_[addr + i];
    return Status::kOk;
  }

  Status write(uint32_t addr, ConstByteSpan data) override {
    if (addr > mem_.size() || data.size() > mem_.size() - addr) return Status::kInvalidArg;
    if (!tick()) return Status::kIoError;
    bool cut = cut_now();
    size_t n = data.size();
    if (cut) {
      if (partial_ == Partial::kNone) return Status::kIoError;
      if (partial_ == Partial::kPrefix) n = n == 0 ? 0 : rng_() % n;
    }
    for (size_t i = 0; i < n; ++i) {
      uint8_t v = data[i];
      if (cut && partial_ == Partial::kRandomBits) v = static_cast<uint8_t>(v | rng_());  // some 0s not applied
      uint8_t before = mem_[addr + i];
      mem_[addr + i] = static_cast<uint8_t>(before & v);
      // A store that writes over programmed bytes relies on luck: count it.
      if (!cut && (before & data[i]) != data[i]) ++overwrites_;
    }
    return cut ? Status::kIoError : Status::kOk;
  }

  Status erase(uint32_t addr) override {
    if (addr % sector_ != 0 || addr >= mem_.size()) return Status::kInvalidArg;
    if (!tick()) return Status::kIoError;
    bool cut = cut_now();
    if (cut && partial_ == Partial::kNone) return Status::kIoError;
    for (uint32_t i = 0; i < sector_; ++i) {
      if (!cut) {
        mem_[addr + i] = 0xFF;
      } else if (partial_ == Partial::kPrefix) {
        // An erase cut short: some stretch of the sector is erased, not
        // necessarily where the header is.
        if (i >= cut_from_ && i < cut_from_ + cut_len_) mem_[addr + i] = 0xFF;
      } else {
        mem_[addr + i] = static_cast<uint8_t>(mem_[addr + i] | rng_());
      }
    }
    if (!cut) ++erases_[addr / sector_];
    erase_log_.push_back({ops_ - 1, addr});
    return cut ? Status::kIoError : Status::kOk;
  }

  // Power fails at operation number `op` (0-based count of writes+erases).
  void arm_cut(uint64_t op, Partial partial, uint32_t seed) {
    cut_at_ = op;
    partial_ = partial;
    rng_.seed(seed);
    cut_from_ = static_cast<uint32_t>(rng_() % sector_);
    cut_len_ = static_cast<uint32_t>(rng_() % sector_);
  }
  // For an erase cut in kPrefix mode: exactly which bytes got erased.
  void set_erase_stretch(uint32_t from, uint32_t len) {
    cut_from_ = from;
    cut_len_ = len;
  }
  // Operation number of the first erase of the sector at addr from operation
  // `from` on, or UINT64_MAX.
  uint64_t first_erase_op(uint32_t addr, uint64_t from) const {
    for (const auto& e : erase_log_) {
      if (e.second == addr && e.first >= from) return e.first;
    }
    return UINT64_MAX;
  }
  void power_on() {
    dead_ = false;
    cut_at_ = UINT64_MAX;
  }
  bool dead() const { return dead_; }
  uint64_t ops() const { return ops_; }
  uint64_t overwrites() const { return overwrites_; }
  const std::vector<uint32_t>& erases() const { return erases_; }
  std::vector<uint8_t>& mem() { return mem_; }

 private:
  bool tick() {
    if (dead_) return false;
    return true;
  }
  bool cut_now() {
    bool cut = ops_ == cut_at_;
    ++ops_;
    if (cut) dead_ = true;
    return cut;
  }

  std::vector<uint8_t> mem_;
  uint32_t sector_;
  std::vector<uint32_t> erases_;
  std::vector<std::pair<uint64_t, uint32_t>> erase_log_;
  uint64_t ops_ = 0;
  uint64_t cut_at_ = UINT64_MAX;
  uint64_t overwrites_ = 0;
  bool dead_ = false;
  Partial partial_ = Partial::kNone;
  uint32_t cut_from_ = 0;
  uint32_t cut_len_ = 0;
  std::mt19937 rng_;
};

}  // namespace mos::test

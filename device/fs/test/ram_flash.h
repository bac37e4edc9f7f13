// A plain RAM flash with SPI-NOR semantics (erase sets 0xFF, write only
// clears bits) and no fault injection or bookkeeping, so it stays the same
// size over millions of fuzz inputs. Test-only; FaultFlash is the one that
// cuts power.
#pragma once
#include <cstdint>
#include <cstring>
#include <vector>

#include "mos/hal.h"

namespace mos::test {

class RamFlash : public Flash {
 public:
  RamFlash(uint32_t size, uint32_t sector) : mem_(size, 0xFF), sector_(sector) {}
  uint32_t size() const override { return static_cast<uint32_t>(mem_.size()); }
  uint32_t sector_size() const override { return sector_; }
  Status read(uint32_t addr, ByteSpan out) override {
    if (addr > mem_.size() || out.size() > mem_.size() - addr) return Status::kInvalidArg;
    std::memcpy(out.data(), mem_.data() + addr, out.size());
    return Status::kOk;
  }
  Status write(uint32_t addr, ConstByteSpan data) override {
    if (addr > mem_.size() || data.size() > mem_.size() - addr) return Status::kInvalidArg;
    for (size_t i = 0; i < data.size(); ++i) mem_[addr + i] &= data[i];
    return Status::kOk;
  }
  Status erase(uint32_t addr) override {
    if (addr % sector_ != 0 || addr >= mem_.size()) return Status::kInvalidArg;
    std::memset(mem_.data() + addr, 0xFF, sector_);
    return Status::kOk;
  }

 private:
  std::vector<uint8_t> mem_;
  uint32_t sector_;
};

}  // namespace mos::test

// Random flash image -> mount, list, read every file, then write, append and
// remove on top of it (exercising the collector over a hostile log). Must
// never crash or touch memory outside the image.
#include <cstdint>
#include <cstring>
#include <vector>

#include "mos/fs.h"

namespace {

class RamFlash : public mos::Flash {
 public:
  explicit RamFlash(std::vector<uint8_t>& mem) : mem_(mem) {}
  uint32_t size() const override { return static_cast<uint32_t>(mem_.size()); }
  uint32_t sector_size() const override { return 2048; }
  mos::Status read(uint32_t addr, mos::ByteSpan out) override {
    if (addr > mem_.size() || out.size() > mem_.size() - addr) __builtin_trap();
    std::memcpy(out.data(), mem_.data() + addr, out.size());
    return mos::Status::kOk;
  }
  mos::Status write(uint32_t addr, mos::ConstByteSpan data) override {
    if (addr > mem_.size() || data.size() > mem_.size() - addr) __builtin_trap();
    for (size_t i = 0; i < data.size(); ++i) mem_[addr + i] &= data[i];
    return mos::Status::kOk;
  }
  mos::Status erase(uint32_t addr) override {
    if (addr % 2048 != 0 || addr >= mem_.size()) __builtin_trap();
    std::memset(mem_.data() + addr, 0xFF, 2048);
    return mos::Status::kOk;
  }

 private:
  std::vector<uint8_t>& mem_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static constexpr uint32_t kSectors = 8;
  std::vector<uint8_t> mem(kSectors * 2048, 0xFF);
  std::memcpy(mem.data(), data, size < mem.size() ? size : mem.size());
  RamFlash flash(mem);
  mos::FsSector sec[kSectors];
  static mos::Fs fs;  // large: keep it off the stack
  if (fs.init(flash, 0, static_cast<uint32_t>(mem.size()), mos::Span<mos::FsSector>(sec, kSectors)) !=
      mos::Status::kOk) {
    __builtin_trap();
  }
  if (fs.mount() != mos::Status::kOk) return 0;
  uint8_t buf[600];
  for (size_t i = 0; i < fs.file_count(); ++i) {
    std::string_view name;
    uint32_t fsize = 0;
    if (!fs.file_at(i, &name, &fsize)) __builtin_trap();
    for (uint32_t off = 0; off < fsize; off += sizeof(buf)) {
      size_t n = 0;
      if (fs.read(name, off, mos::ByteSpan(buf, sizeof(buf)), &n) != mos::Status::kOk) break;
    }
  }
  static const uint8_t kData[1200] = {1, 2, 3};
  (void)fs.write("fuzz.txt", mos::ConstByteSpan(kData, sizeof(kData)));
  (void)fs.append("fuzz.txt", mos::ConstByteSpan(kData, 100));
  if (fs.file_count() > 0) {
    std::string_view name;
    if (fs.file_at(0, &name, nullptr)) {
      char copy[MOS_FS_MAX_NAME];
      std::memcpy(copy, name.data(), name.size());
      (void)fs.remove(std::string_view(copy, name.size()));
    }
  }
  for (int i = 0; i < 4; ++i) (void)fs.write("churn", mos::ConstByteSpan(kData, 700));
  return 0;
}

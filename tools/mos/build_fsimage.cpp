// The store's records address the flash relative to its base, but the image is
// still made through a flash that answers only at [kFsAddr, kFsAddr+kFsSize) of
// a kFlashSize chip: whatever the store writes is what the firmware, given the
// same base, will find, with no assumption about position independence.
#include "build_fsimage.h"

#include <cstring>
#include <memory>

#include "cli.h"
#include "mos/fs.h"
#include "mos/hal.h"
#include "mos/sim/flash_layout.h"

namespace mos::cli::build {
namespace {

using mos::sim::kFlashSectorSize;
using mos::sim::kFlashSize;
using mos::sim::kFsAddr;
using mos::sim::kFsSize;

// The fs partition of the board's flash, in RAM, with SPI-NOR semantics.
class PartitionFlash : public Flash {
 public:
  PartitionFlash() : mem_(kFsSize, 0xFF) {}
  uint32_t size() const override { return kFlashSize; }
  uint32_t sector_size() const override { return kFlashSectorSize; }
  Status read(uint32_t addr, ByteSpan out) override {
    if (!inside(addr, out.size())) return Status::kInvalidArg;
    std::memcpy(out.data(), mem_.data() + (addr - kFsAddr), out.size());
    return Status::kOk;
  }
  Status write(uint32_t addr, ConstByteSpan data) override {
    if (!inside(addr, data.size())) return Status::kInvalidArg;
    for (size_t i = 0; i < data.size(); ++i) mem_[addr - kFsAddr + i] &= data[i];
    return Status::kOk;
  }
  Status erase(uint32_t addr) override {
    if (addr % kFlashSectorSize != 0 || !inside(addr, kFlashSectorSize)) return Status::kInvalidArg;
    std::memset(mem_.data() + (addr - kFsAddr), 0xFF, kFlashSectorSize);
    return Status::kOk;
  }
  std::string bytes() const { return std::string(mem_.begin(), mem_.end()); }

 private:
  static bool inside(uint32_t addr, size_t len) {
    return addr >= kFsAddr && addr - kFsAddr <= kFsSize && len <= kFsSize - (addr - kFsAddr);
  }
  std::vector<uint8_t> mem_;
};

constexpr uint32_t kSectors = kFsSize / kFlashSectorSize;

struct Store {
  Fs fs;
  FsSector sectors[kSectors];
};

void check(Status s, const std::string& what) {
  if (s != Status::kOk) throw UserError(what + ": " + to_string(s), "");
}

std::string kb(uint32_t n) { return std::to_string((n + 1023) / 1024) + " KB"; }

}  // namespace

std::string make_fs_image(const std::vector<FsFile>& files) {
  const std::string fix = "make the app's filesystem: files fewer and smaller, then mos build again";
  if (files.size() > MOS_FS_MAX_FILES) {
    throw UserError("too many files for the device's file store: " + std::to_string(files.size()) + " (conf0.json included), at most " +
                        std::to_string(MOS_FS_MAX_FILES),
                    fix);
  }
  for (size_t i = 0; i < files.size(); ++i) {
    const FsFile& f = files[i];
    if (f.name.empty() || f.name.size() > MOS_FS_MAX_NAME) {
      throw UserError(f.origin + ": file name \"" + f.name + "\" is longer than the store's " +
                          std::to_string(MOS_FS_MAX_NAME) + " characters",
                      "rename the file");
    }
    if (f.data.size() > MOS_FS_MAX_FILE_SIZE) {
      throw UserError(f.origin + " is too large for the device's file store: " + std::to_string(f.data.size()) +
                          " bytes, at most " + std::to_string(MOS_FS_MAX_FILE_SIZE),
                      "make it smaller or split it");
    }
    for (size_t j = 0; j < i; ++j) {
      if (files[j].name == f.name) {
        throw UserError(f.origin + " and " + files[j].origin + " are both \"" + f.name + "\" in the file store",
                        "rename one of them");
      }
    }
  }

  PartitionFlash flash;
  auto store = std::make_unique<Store>();
  check(store->fs.init(flash, kFsAddr, kFsSize, Span<FsSector>(store->sectors, kSectors)), "fs image: init");
  check(store->fs.format(), "fs image: format");
  check(store->fs.mount(), "fs image: mount");
  size_t total = 0;
  for (const FsFile& f : files) {
    total += f.data.size();
    Status s = store->fs.write(f.name, ConstByteSpan(reinterpret_cast<const uint8_t*>(f.data.data()), f.data.size()));
    if (s == Status::kNoSpace) {
      throw UserError("the app's files do not fit in the " + kb(kFsSize) + " file store (" + f.origin +
                          " did not fit, " + std::to_string(total) + " bytes so far)",
                      fix);
    }
    check(s, "fs image: writing " + f.origin);
  }

  // Read it back as the firmware will: a fresh store over the same bytes.
  auto again = std::make_unique<Store>();
  check(again->fs.init(flash, kFsAddr, kFsSize, Span<FsSector>(again->sectors, kSectors)), "fs image: init");
  check(again->fs.mount(), "fs image: mount check");
  for (const FsFile& f : files) {
    std::string back(f.data.size(), '\0');
    size_t n = 0;
    Status s = again->fs.read(f.name, 0, ByteSpan(reinterpret_cast<uint8_t*>(back.data()), back.size()), &n);
    if (s != Status::kOk || n != f.data.size() || back != f.data) {
      throw UserError("fs image: " + f.name + " does not read back (" + to_string(s) + ")",
                      "this is a bug in mos: please report it");
    }
  }
  if (again->fs.file_count() != files.size()) {
    throw UserError("fs image: file count does not read back", "this is a bug in mos: please report it");
  }
  return flash.bytes();
}

}  // namespace mos::cli::build

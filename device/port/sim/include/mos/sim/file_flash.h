// The board's SPI-NOR flash, backed by an image file that persists across
// reboots and restarts. Semantics of the chip (see mos::Flash): erase sets a
// 4 KB sector to 0xFF, write can only clear bits.
#pragma once
#include <cstdint>

#include "mos/hal.h"

namespace mos::sim {

class FileFlash : public Flash {
 public:
  static constexpr uint32_t kSectorSize = 4096;
  static constexpr uint32_t kDefaultSize = 4u << 20;  // NodeMCU: 4 MB
  static constexpr uint32_t kMaxSize = 64u << 20;

  // When the image reaches the disk. The process dying never loses data (the
  // mapping is shared with the page cache); only a host crash can.
  enum class Sync {
    kOnFlush,     // msync on flush()/close() only (default)
    kEveryWrite,  // msync after every write and erase: slow, host-crash safe
  };

  FileFlash() = default;
  ~FileFlash() override;
  FileFlash(const FileFlash&) = delete;
  FileFlash& operator=(const FileFlash&) = delete;

  // Opens the image, creating it erased (all 0xFF) if missing. The image is
  // locked: a second board on the same file gets kBusy. An existing image of
  // another size gets kInvalidArg. error() says what to do in both cases.
  Status open(const char* path, uint32_t size, Sync sync = Sync::kOnFlush);
  void close();
  Status flush();
  bool is_open() const { return data_ != nullptr; }
  const char* error() const { return error_; }

  uint32_t size() const override { return size_; }
  uint32_t sector_size() const override { return kSectorSize; }
  Status read(uint32_t addr, ByteSpan out) override;
  Status write(uint32_t addr, ConstByteSpan data) override;
  Status erase(uint32_t sector_addr) override;

  // Wear figures for tests and benches.
  uint64_t erase_count() const { return erases_; }
  uint64_t bytes_written() const { return written_; }

 private:
  bool in_range(uint32_t addr, size_t len) const;
  Status sync_range(uint32_t addr, size_t len);

  int fd_ = -1;
  uint8_t* data_ = nullptr;
  uint32_t size_ = 0;
  Sync sync_ = Sync::kOnFlush;
  uint64_t erases_ = 0;
  uint64_t written_ = 0;
  char error_[256] = {};
};

}  // namespace mos::sim

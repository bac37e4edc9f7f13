#include "mos/sim/file_flash.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace mos::sim {

FileFlash::~FileFlash() { close(); }

Status FileFlash::open(const char* path, uint32_t size, Sync sync) {
  close();
  error_[0] = '\0';
  if (size == 0 || size % kSectorSize != 0 || size > kMaxSize) {
    std::snprintf(error_, sizeof(error_),
                  "flash size %u is not a multiple of %u bytes up to %u MB: pick e.g. 4M",
                  static_cast<unsigned>(size), static_cast<unsigned>(kSectorSize),
                  static_cast<unsigned>(kMaxSize >> 20));
    return Status::kInvalidArg;
  }
  int fd = ::open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    std::snprintf(error_, sizeof(error_), "cannot open flash image %s: %s", path,
                  std::strerror(errno));
    return Status::kIoError;
  }
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    std::snprintf(error_, sizeof(error_),
                  "flash image %s is in use by another board: stop it first", path);
    ::close(fd);
    return Status::kBusy;
  }
  struct stat st{};
  if (fstat(fd, &st) != 0) {
    std::snprintf(error_, sizeof(error_), "cannot stat %s: %s", path, std::strerror(errno));
    ::close(fd);
    return Status::kIoError;
  }
  const bool fresh = st.st_size == 0;
  if (!fresh && static_cast<uint64_t>(st.st_size) != size) {
    std::snprintf(error_, sizeof(error_),
                  "flash image %s holds %lld bytes, not %u: start with that flash size, or "
                  "remove the image to start blank",
                  path, static_cast<long long>(st.st_size), static_cast<unsigned>(size));
    ::close(fd);
    return Status::kInvalidArg;
  }
  if (fresh) {
    // A new chip comes erased. Write 0xFF explicitly (a sparse file reads 0).
    static uint8_t erased[kSectorSize];
    std::memset(erased, 0xFF, sizeof(erased));
    for (uint32_t off = 0; off < size; off += kSectorSize) {
      if (pwrite(fd, erased, kSectorSize, off) != static_cast<ssize_t>(kSectorSize)) {
        std::snprintf(error_, sizeof(error_), "cannot create flash image %s: %s", path,
                      std::strerror(errno));
        ::close(fd);
        ::unlink(path);
        return Status::kIoError;
      }
    }
  }
  void* map = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) {
    std::snprintf(error_, sizeof(error_), "cannot map flash image %s: %s", path,
                  std::strerror(errno));
    ::close(fd);
    return Status::kIoError;
  }
  fd_ = fd;
  data_ = static_cast<uint8_t*>(map);
  size_ = size;
  sync_ = sync;
  return Status::kOk;
}

void FileFlash::close() {
  if (data_ != nullptr) {
    (void)flush();
    munmap(data_, size_);
    data_ = nullptr;
  }
  if (fd_ >= 0) {
    ::close(fd_);  // drops the flock
    fd_ = -1;
  }
  size_ = 0;
}

Status FileFlash::flush() {
  if (data_ == nullptr) return Status::kClosed;
  return msync(data_, size_, MS_SYNC) == 0 ? Status::kOk : Status::kIoError;
}

bool FileFlash::in_range(uint32_t addr, size_t len) const {
  return data_ != nullptr && addr <= size_ && len <= size_ - addr;
}

Status FileFlash::sync_range(uint32_t addr, size_t len) {
  if (sync_ != Sync::kEveryWrite || len == 0) return Status::kOk;
  const uint32_t page = static_cast<uint32_t>(sysconf(_SC_PAGESIZE));
  const uint32_t start = addr / page * page;
  return msync(data_ + start, len + (addr - start), MS_SYNC) == 0 ? Status::kOk
                                                                  : Status::kIoError;
}

Status FileFlash::read(uint32_t addr, ByteSpan out) {
  if (!in_range(addr, out.size())) return Status::kInvalidArg;
  std::memcpy(out.data(), data_ + addr, out.size());
  return Status::kOk;
}

Status FileFlash::write(uint32_t addr, ConstByteSpan data) {
  if (!in_range(addr, data.size())) return Status::kInvalidArg;
  // NOR programming moves bits from 1 to 0 only; a 0 never becomes 1 again
  // without an erase of the whole sector.
  for (size_t i = 0; i < data.size(); ++i) data_[addr + i] &= data[i];
  written_ += data.size();
  return sync_range(addr, data.size());
}

Status FileFlash::erase(uint32_t sector_addr) {
  if (sector_addr % kSectorSize != 0 || !in_range(sector_addr, kSectorSize)) {
    return Status::kInvalidArg;
  }
  std::memset(data_ + sector_addr, 0xFF, kSectorSize);
  ++erases_;
  return sync_range(sector_addr, kSectorSize);
}

}  // namespace mos::sim

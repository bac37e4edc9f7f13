// mos_fs: a small power-loss-safe file store on a flash partition with
// SPI-NOR semantics (mos::Flash: erase sets a sector to 0xFF, write clears bits).
//
// Layout: a circular log of sectors. Every sector starts with a header
// (magic, sequence number, CRC); records follow back to back:
//   chunk      one piece (<= kChunk bytes, at a kChunk-aligned offset) of one
//              version of a file; a version is live only when all its chunks
//              are present and pass their CRCs (completeness is the commit);
//   tombstone  "file removed at sequence s";
//   intent     "sector i with sequence s is being erased", written before the
//              garbage collector erases the tail, so a half-erased sector is
//              never read back as data.
// A record's body (name + data) is written before its header, and both carry
// CRC-32s, so a cut at any write leaves either a complete record or one that
// mount ignores. Writes always go to the head; the collector always reclaims
// the oldest sector (the tail), copying its live chunks verbatim to the head,
// so every sector is erased once per trip round the log: wear spreads evenly.
//
// Memory: the Fs object holds the file index (MOS_FS_MAX_FILES entries) and a
// one-record bounce buffer; the caller gives one FsSector per flash sector at
// init. Nothing allocates.
#pragma once
#include "mos/crc32.h"
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mos/defaults.h"
#include "mos/hal.h"
#include "mos/span.h"
#include "mos/status.h"

#ifndef MOS_FS_MAX_FILE_SIZE
#define MOS_FS_MAX_FILE_SIZE (32 * 1024)  // 64 chunks: one bit each in a mask
#endif

namespace mos {

// RAM state of one flash sector, owned by the caller (one per sector).
struct FsSector {
  uint32_t seq = 0;    // sequence number from the sector header
  uint32_t end = 0;    // offset after the last record parsed
  uint16_t order = 0;  // array slot k holds the k-th sector in log order
  uint8_t state = 0;   // internal
  uint8_t torn = 0;    // records stop at a corrupt header: never append here
};

struct FsInfo {
  uint32_t total = 0;  // bytes of file data + record overhead the store accepts
  uint32_t used = 0;   // of which used by live files
  uint32_t free = 0;
};

// Sizes that Fs needs from the caller, to compute before allocating statics.
constexpr uint32_t kFsChunk = 512;  // data bytes per chunk record
constexpr uint32_t kFsSectorHeader = 16;
constexpr uint32_t kFsRecordHeader = 24;
// Sectors kept free for the collector, plus margin for packing waste.
constexpr uint32_t kFsReservedSectors = 4;

class Fs {
 public:
  Fs() = default;
  Fs(const Fs&) = delete;
  Fs& operator=(const Fs&) = delete;

  // Binds the store to [base, base+size) of `flash` (sector-aligned, at least
  // kFsReservedSectors + 2 sectors, sector size 2048..65536). `sectors` must
  // hold one entry per sector. Does not touch the flash.
  Status init(Flash& flash, uint32_t base, uint32_t size, Span<FsSector> sectors);

  // Erases the partition. Destroys every file.
  Status format();
  // Scans the partition, finishes any interrupted erase, and builds the index.
  // kCorrupt only if the flash reads fail; a damaged image mounts as whatever
  // files are intact.
  Status mount();
  bool mounted() const { return mounted_; }

  // Replaces the whole file atomically (creates it if missing).
  Status write(std::string_view name, ConstByteSpan data);
  // Appends atomically: after a power cut the file is either the old content
  // or old + data. Copy-on-write, so cost grows with the file size.
  Status append(std::string_view name, ConstByteSpan data);
  // Reads up to out.size() bytes from `offset`; *n gets the count (0 at EOF).
  Status read(std::string_view name, uint32_t offset, ByteSpan out, size_t* n);
  Status stat(std::string_view name, uint32_t* size) const;
  Status remove(std::string_view name);

  size_t file_count() const { return nfiles_; }
  // The i-th file (i < file_count()); the name view stays valid until the next
  // write, append, remove or mount.
  bool file_at(size_t i, std::string_view* name, uint32_t* size) const;
  FsInfo info() const;

  // Number of erases this object issued since init (wear figures in tests).
  uint32_t gc_runs() const { return gc_runs_; }

 private:
  struct Entry {
    char name[MOS_FS_MAX_NAME];
    uint8_t name_len;
    uint8_t state;  // resolution state during mount
    uint32_t vseq;  // live version
    uint32_t size;
    // mount scratch
    uint32_t target;
    uint32_t next;
    uint64_t mask;
    uint32_t total;
  };
  struct Rec {
    uint8_t type;
    uint8_t name_len;
    uint16_t len;
    uint32_t vseq;
    uint32_t offset;
    uint32_t total;
    uint32_t dcrc;
  };
  using RecFn = bool (*)(void* ctx, uint32_t addr, const Rec& rec, const char* name);

  // Room for every live file plus scratch slots used while mounting.
  static constexpr size_t kSlots = MOS_FS_MAX_FILES + 4;

  uint32_t sector_addr(uint32_t i) const { return base_ + i * ssize_; }
  uint32_t usable() const { return ssize_ - kFsSectorHeader; }
  uint32_t max_record() const;
  static uint32_t record_size(uint32_t name_len, uint32_t data_len);
  uint32_t footprint(uint32_t name_len, uint32_t size) const;
  uint32_t limit() const;

  Status read_header(uint32_t addr, uint32_t limit_addr, Rec* rec, char* name, bool* end);
  Status check_body(uint32_t addr, const Rec& rec, bool* ok);
  Status scan_sector(uint32_t idx, RecFn fn, void* ctx, bool verify);
  Status scan_log(RecFn fn, void* ctx, bool verify);
  Status is_blank(uint32_t addr, uint32_t len, bool* blank);
  void sort_log();
  void reset_sector(uint32_t i);
  Status resolve_names();

  int find(std::string_view name) const;
  Status write_version(std::string_view name, uint32_t total, int old_slot, ConstByteSpan extra);
  Status ensure_space(uint32_t name_len, uint32_t total);
  uint32_t sectors_needed(const uint32_t* sizes, size_t n) const;
  Status open_head();
  Status append_record(const Rec& rec, const char* name, ConstByteSpan data);
  Status place(uint32_t rec_size, uint32_t* addr);
  Status gc_step();
  uint32_t free_sectors() const { return nsec_ - nlog_; }

  Flash* flash_ = nullptr;
  uint32_t base_ = 0;
  uint32_t ssize_ = 0;
  uint32_t nsec_ = 0;
  FsSector* sec_ = nullptr;
  uint32_t nlog_ = 0;     // sectors in the log, sec_[0..nlog_).order
  uint32_t head_pos_ = 0; // write offset in the head sector (ssize_ = full)
  uint32_t seq_ = 0;      // last sequence number used
  bool mounted_ = false;
  uint32_t gc_runs_ = 0;

  Entry files_[kSlots] = {};
  size_t nfiles_ = 0;
  uint32_t live_bytes_ = 0;
  uint8_t buf_[MOS_FS_MAX_NAME + kFsChunk] = {};
};


}  // namespace mos

#include "mos/fs.h"

#include <cstring>

#include "mos/log.h"

namespace mos {
namespace {

constexpr uint8_t kMagic[4] = {'M', 'O', 'S', 'F'};
constexpr uint16_t kFormatVersion = 1;

constexpr uint8_t kTypeChunk = 1;
constexpr uint8_t kTypeTombstone = 2;
constexpr uint8_t kTypeIntent = 3;

// Sector states (FsSector::state).
constexpr uint8_t kStateFree = 0;      // not in the log: blank, or garbage to erase
constexpr uint8_t kStateLog = 1;       // valid header, part of the log
constexpr uint8_t kStateObsolete = 2;  // an intent record says it is being erased

// Entry::state bits while mounting.
constexpr uint8_t kResolving = 1;
constexpr uint8_t kLive = 2;
constexpr uint8_t kTomb = 4;
constexpr uint8_t kBad = 8;
constexpr uint8_t kTotalSet = 16;

constexpr uint32_t kInfinite = 0xFFFFFFFFu;

void put16(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
}
void put32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
uint32_t get16(const uint8_t* p) { return static_cast<uint32_t>(p[0] | (p[1] << 8)); }
uint32_t get32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}
uint32_t align4(uint32_t v) { return (v + 3u) & ~3u; }

uint32_t chunk_count(uint32_t size) { return size == 0 ? 1 : (size + kFsChunk - 1) / kFsChunk; }
uint32_t chunk_len(uint32_t size, uint32_t offset) {
  uint32_t left = size - offset;
  return left < kFsChunk ? left : kFsChunk;
}

// Next-fit placement of records into sectors, to know how many fresh sectors
// a sequence of records will open before writing any of them.
struct Packer {
  uint32_t pos;
  uint32_t ssize;
  uint32_t opened = 0;
  void add(uint32_t rec) {
    if (pos + rec > ssize) {
      ++opened;
      pos = kFsSectorHeader;
    }
    pos += rec;
  }
};

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > MOS_FS_MAX_NAME) return false;
  for (char c : name) {
    if (c == '\0') return false;
  }
  return true;
}

}  // namespace

// FsSector::order is indexed by log position, the other fields by physical
// sector, so clearing a sector must keep its slot's order entry.
void Fs::reset_sector(uint32_t i) {
  uint16_t order = sec_[i].order;
  sec_[i] = FsSector{};
  sec_[i].state = kStateFree;
  sec_[i].order = order;
}

uint32_t Fs::record_size(uint32_t name_len, uint32_t data_len) {
  return align4(kFsRecordHeader + name_len + data_len);
}
uint32_t Fs::max_record() const { return record_size(MOS_FS_MAX_NAME, kFsChunk); }

uint32_t Fs::footprint(uint32_t name_len, uint32_t size) const {
  uint32_t n = chunk_count(size);
  uint32_t full = size / kFsChunk;
  uint32_t bytes = full * record_size(name_len, kFsChunk);
  if (n > full) bytes += record_size(name_len, size - full * kFsChunk);
  return bytes;
}

// What the store promises to hold: every sector but the reserved ones, each
// less the worst waste of next-fit packing (one record that did not fit).
uint32_t Fs::limit() const {
  if (nsec_ <= kFsReservedSectors) return 0;
  return (nsec_ - kFsReservedSectors) * (usable() - max_record());
}

Status Fs::init(Flash& flash, uint32_t base, uint32_t size, Span<FsSector> sectors) {
  uint32_t ss = flash.sector_size();
  if (ss < 2048 || ss > 65536 || base % ss != 0 || size % ss != 0 || size / ss < kFsReservedSectors + 2 ||
      base > flash.size() || size > flash.size() - base || sectors.size() < size / ss || size / ss > 65535) {
    return Status::kInvalidArg;
  }
  flash_ = &flash;
  base_ = base;
  ssize_ = ss;
  nsec_ = size / ss;
  sec_ = sectors.data();
  for (uint32_t i = 0; i < nsec_; ++i) sec_[i] = FsSector{};
  nlog_ = 0;
  nfiles_ = 0;
  mounted_ = false;
  return Status::kOk;
}

Status Fs::format() {
  if (flash_ == nullptr) return Status::kInvalidArg;
  mounted_ = false;
  for (uint32_t i = 0; i < nsec_; ++i) {
    Status s = flash_->erase(sector_addr(i));
    if (s != Status::kOk) return s;
    sec_[i] = FsSector{};
  }
  nlog_ = 0;
  nfiles_ = 0;
  live_bytes_ = 0;
  seq_ = 0;
  head_pos_ = ssize_;
  mounted_ = true;
  return Status::kOk;
}

Status Fs::is_blank(uint32_t addr, uint32_t len, bool* blank) {
  uint8_t tmp[64];
  *blank = true;
  while (len > 0) {
    uint32_t n = len < sizeof(tmp) ? len : static_cast<uint32_t>(sizeof(tmp));
    Status s = flash_->read(addr, ByteSpan(tmp, n));
    if (s != Status::kOk) return s;
    for (uint32_t i = 0; i < n; ++i) {
      if (tmp[i] != 0xFF) {
        *blank = false;
        return Status::kOk;
      }
    }
    addr += n;
    len -= n;
  }
  return Status::kOk;
}

// Reads and checks one record header at addr. *end is set when no further
// record can be read in this sector: blank space (rec->type stays 0xFF) or a
// damaged header (returns kCorrupt). Every length is bounded by limit_addr,
// so a hostile image can never steer a read outside the sector.
Status Fs::read_header(uint32_t addr, uint32_t limit_addr, Rec* rec, char* name, bool* end) {
  *end = true;
  rec->type = 0xFF;
  if (addr + kFsRecordHeader > limit_addr) return Status::kOk;
  uint8_t h[kFsRecordHeader];
  Status s = flash_->read(addr, ByteSpan(h, sizeof(h)));
  if (s != Status::kOk) return s;
  bool blank = true;
  for (uint8_t b : h) blank = blank && b == 0xFF;
  if (blank) return Status::kOk;
  if (crc32(ConstByteSpan(h, 20)) != get32(h + 20)) return Status::kCorrupt;
  rec->type = h[0];
  rec->name_len = h[1];
  rec->len = static_cast<uint16_t>(get16(h + 2));
  rec->vseq = get32(h + 4);
  rec->offset = get32(h + 8);
  rec->total = get32(h + 12);
  rec->dcrc = get32(h + 16);
  if (rec->name_len > MOS_FS_MAX_NAME || rec->len > kFsChunk || rec->vseq == 0 || rec->vseq == kInfinite ||
      addr + record_size(rec->name_len, rec->len) > limit_addr) {
    return Status::kCorrupt;
  }
  switch (rec->type) {
    case kTypeChunk:
      if (rec->name_len == 0 || rec->total > MOS_FS_MAX_FILE_SIZE || rec->offset % kFsChunk != 0 ||
          (rec->total == 0 ? rec->offset != 0 : rec->offset >= rec->total) ||
          rec->len != (rec->total == 0 ? 0u : chunk_len(rec->total, rec->offset))) {
        return Status::kCorrupt;
      }
      break;
    case kTypeTombstone:
      if (rec->name_len == 0 || rec->len != 0) return Status::kCorrupt;
      break;
    case kTypeIntent:
      if (rec->name_len != 0 || rec->len != 0) return Status::kCorrupt;
      break;
    default:
      return Status::kCorrupt;
  }
  if (rec->name_len > 0) {
    s = flash_->read(addr + kFsRecordHeader, ByteSpan(reinterpret_cast<uint8_t*>(name), rec->name_len));
    if (s != Status::kOk) return s;
  }
  *end = false;
  return Status::kOk;
}

Status Fs::check_body(uint32_t addr, const Rec& rec, bool* ok) {
  uint8_t tmp[64];
  uint32_t crc = 0;
  uint32_t len = static_cast<uint32_t>(rec.name_len) + rec.len;
  addr += kFsRecordHeader;
  while (len > 0) {
    uint32_t n = len < sizeof(tmp) ? len : static_cast<uint32_t>(sizeof(tmp));
    Status s = flash_->read(addr, ByteSpan(tmp, n));
    if (s != Status::kOk) return s;
    crc = crc32(ConstByteSpan(tmp, n), crc);
    addr += n;
    len -= n;
  }
  *ok = crc == rec.dcrc;
  return Status::kOk;
}

Status Fs::scan_sector(uint32_t idx, RecFn fn, void* ctx, bool verify) {
  uint32_t start = sector_addr(idx);
  uint32_t limit_addr = start + ssize_;
  uint32_t pos = kFsSectorHeader;
  Rec rec{};
  char name[MOS_FS_MAX_NAME];
  sec_[idx].torn = 0;
  for (;;) {
    bool end = false;
    Status s = read_header(start + pos, limit_addr, &rec, name, &end);
    if (s == Status::kCorrupt) {
      sec_[idx].torn = 1;
      break;
    }
    if (s != Status::kOk) return s;
    if (end) break;
    uint32_t here = start + pos;
    pos += record_size(rec.name_len, rec.len);
    if (verify) {
      bool ok = false;
      s = check_body(here, rec, &ok);
      if (s != Status::kOk) return s;
      if (!ok) continue;  // a torn body: skip it by its (checked) length
    }
    if (!fn(ctx, here, rec, name)) {
      sec_[idx].end = pos;
      return Status::kOk;
    }
  }
  sec_[idx].end = pos;
  return Status::kOk;
}

Status Fs::scan_log(RecFn fn, void* ctx, bool verify) {
  for (uint32_t k = 0; k < nlog_; ++k) {
    Status s = scan_sector(sec_[k].order, fn, ctx, verify);
    if (s != Status::kOk) return s;
  }
  return Status::kOk;
}

// Log order is sequence order; insertion sort is fine for a few hundred sectors.
void Fs::sort_log() {
  nlog_ = 0;
  for (uint32_t i = 0; i < nsec_; ++i) {
    if (sec_[i].state != kStateLog) continue;
    uint32_t k = nlog_++;
    while (k > 0 && sec_[sec_[k - 1].order].seq > sec_[i].seq) {
      sec_[k].order = sec_[k - 1].order;
      --k;
    }
    sec_[k].order = static_cast<uint16_t>(i);
  }
}

Status Fs::mount() {
  if (flash_ == nullptr) return Status::kInvalidArg;
  mounted_ = false;
  nfiles_ = 0;
  live_bytes_ = 0;
  seq_ = 0;
  for (uint32_t i = 0; i < nsec_; ++i) {
    uint8_t h[kFsSectorHeader];
    Status s = flash_->read(sector_addr(i), ByteSpan(h, sizeof(h)));
    if (s != Status::kOk) return s;
    sec_[i] = FsSector{};
    if (std::memcmp(h, kMagic, 4) == 0 && get16(h + 4) == kFormatVersion && get16(h + 6) == kFsChunk &&
        crc32(ConstByteSpan(h, 12)) == get32(h + 12) && get32(h + 8) != 0 &&
        get32(h + 8) != kInfinite) {
      sec_[i].state = kStateLog;
      sec_[i].seq = get32(h + 8);
      if (sec_[i].seq > seq_) seq_ = sec_[i].seq;
    }
  }
  sort_log();

  // Intents first: a sector whose erase was cut must not be read as data.
  struct IntentCtx {
    Fs* fs;
  } ictx{this};
  Status s = scan_log(
      [](void* c, uint32_t, const Rec& rec, const char*) {
        Fs* fs = static_cast<IntentCtx*>(c)->fs;
        if (rec.vseq > fs->seq_) fs->seq_ = rec.vseq;
        if (rec.type == kTypeIntent && rec.offset < fs->nsec_ && fs->sec_[rec.offset].state == kStateLog &&
            fs->sec_[rec.offset].seq == rec.total) {
          fs->sec_[rec.offset].state = kStateObsolete;
        }
        return true;
      },
      &ictx, true);
  if (s != Status::kOk) return s;
  // Finish the interrupted erases now, while the intent records still exist.
  for (uint32_t i = 0; i < nsec_; ++i) {
    if (sec_[i].state != kStateObsolete) continue;
    s = flash_->erase(sector_addr(i));
    if (s != Status::kOk) return s;
    reset_sector(i);
  }
  sort_log();

  s = resolve_names();
  if (s != Status::kOk) return s;

  head_pos_ = ssize_;
  if (nlog_ > 0) {
    uint32_t h = sec_[nlog_ - 1].order;
    // resolve_names() scanned every sector, so end/torn are current.
    if (!sec_[h].torn) {
      bool blank = false;
      s = is_blank(sector_addr(h) + sec_[h].end, ssize_ - sec_[h].end, &blank);
      if (s != Status::kOk) return s;
      // Bytes after the last record mean a body was written without its
      // header: never append over them.
      if (blank) head_pos_ = sec_[h].end;
    }
  }
  mounted_ = true;
  return Status::kOk;
}

// Finds the live version of every name. A version is live when its chunks
// cover the whole file and no newer complete version or tombstone exists.
// Names are handled in sorted batches that fit the spare index slots, so any
// number of removed or half-written names on flash can be resolved.
Status Fs::resolve_names() {
  char cursor[MOS_FS_MAX_NAME];
  size_t cursor_len = 0;
  bool have_cursor = false;
  for (;;) {
    struct CollectCtx {
      Fs* fs;
      std::string_view cursor;
      bool have_cursor;
      size_t first;
      size_t n;
      size_t cap;
    } cc{this, std::string_view(cursor, cursor_len), have_cursor, nfiles_, 0, kSlots - nfiles_};
    Status s = scan_log(
        [](void* c, uint32_t, const Rec& rec, const char* name) {
          auto* x = static_cast<CollectCtx*>(c);
          if (rec.type != kTypeChunk && rec.type != kTypeTombstone) return true;
          std::string_view n(name, rec.name_len);
          if (x->have_cursor && n <= x->cursor) return true;
          Entry* e = x->fs->files_ + x->first;
          // Sorted insert, keeping the cap smallest names.
          size_t k = 0;
          while (k < x->n && std::string_view(e[k].name, e[k].name_len) < n) ++k;
          if (k < x->n && std::string_view(e[k].name, e[k].name_len) == n) return true;
          if (k >= x->cap) return true;
          size_t last = x->n < x->cap ? x->n : x->cap - 1;
          for (size_t j = last; j > k; --j) e[j] = e[j - 1];
          if (x->n < x->cap) ++x->n;
          e[k] = Entry{};
          std::memcpy(e[k].name, name, rec.name_len);
          e[k].name_len = rec.name_len;
          e[k].target = kInfinite;
          e[k].state = kResolving;
          return true;
        },
        &cc, true);
    if (s != Status::kOk) return s;
    if (cc.n == 0) break;
    Entry* cand = files_ + nfiles_;
    size_t ncand = cc.n;
    const Entry& lastc = cand[ncand - 1];
    std::memcpy(cursor, lastc.name, lastc.name_len);
    cursor_len = lastc.name_len;
    have_cursor = true;

    for (bool pending = true; pending;) {
      for (size_t k = 0; k < ncand; ++k) {
        if (!(cand[k].state & kResolving)) continue;
        cand[k].next = 0;
        cand[k].mask = 0;
        cand[k].total = 0;
        cand[k].state = kResolving;
      }
      struct ResolveCtx {
        Entry* cand;
        size_t n;
      } rc{cand, ncand};
      s = scan_log(
          [](void* c, uint32_t, const Rec& rec, const char* name) {
            auto* x = static_cast<ResolveCtx*>(c);
            if (rec.type != kTypeChunk && rec.type != kTypeTombstone) return true;
            std::string_view n(name, rec.name_len);
            for (size_t k = 0; k < x->n; ++k) {
              Entry& e = x->cand[k];
              if (!(e.state & kResolving) || std::string_view(e.name, e.name_len) != n) continue;
              if (rec.vseq < e.target) {
                if (rec.vseq > e.next) e.next = rec.vseq;
              } else if (rec.vseq == e.target) {
                if (rec.type == kTypeTombstone) {
                  e.state |= kTomb;
                } else {
                  if ((e.state & kTotalSet) && e.total != rec.total) e.state |= kBad;
                  e.total = rec.total;
                  e.state |= kTotalSet;
                  e.mask |= uint64_t{1} << (rec.offset / kFsChunk);
                }
              }
              break;
            }
            return true;
          },
          &rc, true);
      if (s != Status::kOk) return s;
      pending = false;
      for (size_t k = 0; k < ncand; ++k) {
        Entry& e = cand[k];
        if (!(e.state & kResolving)) continue;
        if (e.target != kInfinite && !(e.state & (kTomb | kBad)) && (e.state & kTotalSet)) {
          uint32_t n = chunk_count(e.total);
          uint64_t full = n >= 64 ? ~uint64_t{0} : (uint64_t{1} << n) - 1;
          if (e.mask == full) {
            e.state = kLive;
            e.vseq = e.target;
            e.size = e.total;
            continue;
          }
        }
        if (e.target != kInfinite && (e.state & kTomb)) {
          e.state = 0;  // removed
          continue;
        }
        if (e.next == 0) {
          e.state = 0;  // no older version left
          continue;
        }
        e.target = e.next;
        pending = true;
      }
    }
    // Keep the live ones, in name order, after those already resolved.
    for (size_t k = 0; k < ncand; ++k) {
      if (cand[k].state != kLive) continue;
      if (nfiles_ >= MOS_FS_MAX_FILES) {
        MOS_LOGW("fs: more than %d files on flash; ignoring the rest", MOS_FS_MAX_FILES);
        break;
      }
      if (&files_[nfiles_] != &cand[k]) files_[nfiles_] = cand[k];
      files_[nfiles_].state = 0;
      live_bytes_ += footprint(files_[nfiles_].name_len, files_[nfiles_].size);
      ++nfiles_;
    }
    if (nfiles_ >= MOS_FS_MAX_FILES) break;
  }
  return Status::kOk;
}

int Fs::find(std::string_view name) const {
  for (size_t i = 0; i < nfiles_; ++i) {
    if (std::string_view(files_[i].name, files_[i].name_len) == name) return static_cast<int>(i);
  }
  return -1;
}

bool Fs::file_at(size_t i, std::string_view* name, uint32_t* size) const {
  if (i >= nfiles_) return false;
  if (name) *name = std::string_view(files_[i].name, files_[i].name_len);
  if (size) *size = files_[i].size;
  return true;
}

Status Fs::stat(std::string_view name, uint32_t* size) const {
  if (!mounted_) return Status::kInvalidArg;
  int i = find(name);
  if (i < 0) return Status::kNotFound;
  if (size) *size = files_[i].size;
  return Status::kOk;
}

FsInfo Fs::info() const {
  FsInfo fi;
  fi.total = limit();
  fi.used = live_bytes_;
  fi.free = fi.used < fi.total ? fi.total - fi.used : 0;
  return fi;
}

namespace {
struct ReadCtx {
  Fs* fs;
  std::string_view name;
  uint32_t vseq;
  uint32_t offset;
  ByteSpan out;
  Status status;
};
}  // namespace

Status Fs::read(std::string_view name, uint32_t offset, ByteSpan out, size_t* n) {
  *n = 0;
  if (!mounted_) return Status::kInvalidArg;
  int i = find(name);
  if (i < 0) return Status::kNotFound;
  const Entry& e = files_[i];
  if (offset >= e.size || out.empty()) return Status::kOk;
  uint32_t want = e.size - offset;
  if (out.size() < want) want = static_cast<uint32_t>(out.size());
  struct Ctx {
    Fs* fs;
    const Entry* e;
    uint32_t offset;
    ByteSpan out;
    Status status;
  } c{this, &e, offset, out.first(want), Status::kOk};
  Status s = scan_log(
      [](void* p, uint32_t addr, const Rec& rec, const char* nm) {
        auto* x = static_cast<Ctx*>(p);
        if (rec.type != kTypeChunk || rec.vseq != x->e->vseq ||
            std::string_view(nm, rec.name_len) != std::string_view(x->e->name, x->e->name_len)) {
          return true;
        }
        uint32_t lo = rec.offset > x->offset ? rec.offset : x->offset;
        uint32_t end = x->offset + static_cast<uint32_t>(x->out.size());
        uint32_t hi = rec.offset + rec.len < end ? rec.offset + rec.len : end;
        if (lo >= hi) return true;
        x->status = x->fs->flash_->read(addr + kFsRecordHeader + rec.name_len + (lo - rec.offset),
                                        x->out.subspan(lo - x->offset, hi - lo));
        return x->status == Status::kOk;
      },
      &c, false);
  if (s != Status::kOk) return s;
  if (c.status != Status::kOk) return c.status;
  *n = want;
  return Status::kOk;
}

Status Fs::write(std::string_view name, ConstByteSpan data) {
  return write_version(name, static_cast<uint32_t>(data.size()), -1, data);
}

Status Fs::append(std::string_view name, ConstByteSpan data) {
  if (!mounted_) return Status::kInvalidArg;
  int i = find(name);
  if (i < 0) return write(name, data);
  if (data.size() > MOS_FS_MAX_FILE_SIZE - files_[i].size) return Status::kNoSpace;
  return write_version(name, files_[i].size + static_cast<uint32_t>(data.size()), i, data);
}

Status Fs::write_version(std::string_view name, uint32_t total, int old_slot, ConstByteSpan extra) {
  if (!mounted_) return Status::kInvalidArg;
  if (!valid_name(name)) return Status::kInvalidArg;
  if (extra.size() > MOS_FS_MAX_FILE_SIZE || total > MOS_FS_MAX_FILE_SIZE) return Status::kNoSpace;
  int slot = find(name);
  if (slot < 0 && nfiles_ >= MOS_FS_MAX_FILES) return Status::kNoSpace;
  uint32_t nl = static_cast<uint32_t>(name.size());
  uint32_t fp = footprint(nl, total);
  // The old version stays on flash until the new one is complete.
  if (live_bytes_ + fp > limit()) return Status::kNoSpace;
  Status s = ensure_space(nl, total);
  if (s != Status::kOk) return s;

  uint32_t old_size = old_slot >= 0 ? files_[old_slot].size : 0;
  uint32_t vseq = ++seq_;
  std::memcpy(buf_, name.data(), nl);
  for (uint32_t off = 0, i = 0; i < chunk_count(total); ++i, off += kFsChunk) {
    uint32_t len = total == 0 ? 0 : chunk_len(total, off);
    uint8_t* dst = buf_ + nl;
    uint32_t p = off;
    if (p < old_size) {
      uint32_t from_old = old_size - p < len ? old_size - p : len;
      size_t got = 0;
      s = read(name, p, ByteSpan(dst, from_old), &got);
      if (s != Status::kOk) return s;
      if (got != from_old) return Status::kCorrupt;
      dst += from_old;
      p += from_old;
    }
    uint32_t rest = off + len - p;
    if (rest > 0) std::memcpy(dst, extra.data() + (p - old_size), rest);
    Rec rec{kTypeChunk, static_cast<uint8_t>(nl), static_cast<uint16_t>(len), vseq, off, total, 0};
    rec.dcrc = crc32(ConstByteSpan(buf_, nl + len));
    s = append_record(rec, name.data(), ConstByteSpan(buf_, nl + len));
    if (s != Status::kOk) return s;
  }
  if (slot >= 0) {
    live_bytes_ -= footprint(nl, files_[slot].size);
  } else {
    slot = static_cast<int>(nfiles_++);
    files_[slot] = Entry{};
    std::memcpy(files_[slot].name, name.data(), nl);
    files_[slot].name_len = static_cast<uint8_t>(nl);
  }
  files_[slot].vseq = vseq;
  files_[slot].size = total;
  live_bytes_ += fp;
  return Status::kOk;
}

Status Fs::remove(std::string_view name) {
  if (!mounted_) return Status::kInvalidArg;
  int slot = find(name);
  if (slot < 0) return Status::kNotFound;
  uint32_t nl = static_cast<uint32_t>(name.size());
  Packer p{nlog_ > 0 ? head_pos_ : ssize_, ssize_};
  p.add(record_size(nl, 0));
  for (uint32_t tries = 0; free_sectors() < p.opened + 2; ++tries) {
    if (tries > 2 * nsec_) return Status::kNoSpace;
    Status s = gc_step();
    if (s != Status::kOk) return s;
    p = Packer{nlog_ > 0 ? head_pos_ : ssize_, ssize_};
    p.add(record_size(nl, 0));
  }
  std::memcpy(buf_, name.data(), nl);
  Rec rec{kTypeTombstone, static_cast<uint8_t>(nl), 0, ++seq_, 0, 0, 0};
  rec.dcrc = crc32(ConstByteSpan(buf_, nl));
  Status s = append_record(rec, name.data(), ConstByteSpan(buf_, nl));
  if (s != Status::kOk) return s;
  live_bytes_ -= footprint(nl, files_[slot].size);
  for (size_t i = static_cast<size_t>(slot); i + 1 < nfiles_; ++i) files_[i] = files_[i + 1];
  --nfiles_;
  return Status::kOk;
}

// Collects until the new version fits without touching the two sectors the
// collector itself may need.
Status Fs::ensure_space(uint32_t name_len, uint32_t total) {
  for (uint32_t tries = 0;; ++tries) {
    Packer p{nlog_ > 0 ? head_pos_ : ssize_, ssize_};
    for (uint32_t off = 0, i = 0; i < chunk_count(total); ++i, off += kFsChunk) {
      p.add(record_size(name_len, total == 0 ? 0 : chunk_len(total, off)));
    }
    if (free_sectors() >= p.opened + 2) return Status::kOk;
    if (tries > 2 * nsec_) return Status::kNoSpace;
    Status s = gc_step();
    if (s != Status::kOk) return s;
  }
}

Status Fs::open_head() {
  uint32_t start = nlog_ > 0 ? sec_[nlog_ - 1].order + 1u : 0u;
  for (uint32_t j = 0; j < nsec_; ++j) {
    uint32_t i = (start + j) % nsec_;
    if (sec_[i].state == kStateLog) continue;
    bool blank = false;
    Status s = is_blank(sector_addr(i), ssize_, &blank);
    if (s != Status::kOk) return s;
    if (!blank) {
      s = flash_->erase(sector_addr(i));
      if (s != Status::kOk) return s;
    }
    uint8_t h[kFsSectorHeader];
    std::memcpy(h, kMagic, 4);
    put16(h + 4, kFormatVersion);
    put16(h + 6, kFsChunk);
    put32(h + 8, ++seq_);
    put32(h + 12, crc32(ConstByteSpan(h, 12)));
    s = flash_->write(sector_addr(i), ConstByteSpan(h, sizeof(h)));
    if (s != Status::kOk) return s;
    reset_sector(i);
    sec_[i].state = kStateLog;
    sec_[i].seq = seq_;
    sec_[i].end = kFsSectorHeader;
    sec_[nlog_].order = static_cast<uint16_t>(i);
    ++nlog_;
    head_pos_ = kFsSectorHeader;
    return Status::kOk;
  }
  return Status::kNoSpace;
}

Status Fs::place(uint32_t rec_size, uint32_t* addr) {
  if (nlog_ == 0 || head_pos_ + rec_size > ssize_) {
    Status s = open_head();
    if (s != Status::kOk) return s;
  }
  *addr = sector_addr(sec_[nlog_ - 1].order) + head_pos_;
  return Status::kOk;
}

// Body first, header last: until the header is complete the record does not
// exist for mount, and a half-written header fails its CRC.
Status Fs::append_record(const Rec& rec, const char* name, ConstByteSpan body) {
  (void)name;
  uint32_t size = record_size(rec.name_len, rec.len);
  uint32_t addr = 0;
  Status s = place(size, &addr);
  if (s != Status::kOk) return s;
  head_pos_ += size;  // whatever happens next, never write these bytes again
  uint8_t h[kFsRecordHeader];
  h[0] = rec.type;
  h[1] = rec.name_len;
  put16(h + 2, rec.len);
  put32(h + 4, rec.vseq);
  put32(h + 8, rec.offset);
  put32(h + 12, rec.total);
  put32(h + 16, rec.dcrc);
  put32(h + 20, crc32(ConstByteSpan(h, 20)));
  if (!body.empty()) {
    s = flash_->write(addr + kFsRecordHeader, body);
    if (s != Status::kOk) return s;
  }
  return flash_->write(addr, ConstByteSpan(h, sizeof(h)));
}

// Reclaims the oldest sector: copy its live chunks to the head, write an
// intent record naming it, erase it. A cut before the intent leaves both
// copies (identical, so harmless); a cut during the erase leaves the intent,
// and mount finishes the erase.
Status Fs::gc_step() {
  if (nlog_ == 0) return Status::kNoSpace;
  uint32_t tail = sec_[0].order;
  if (nlog_ == 1) head_pos_ = ssize_;  // never copy into the sector being reclaimed

  struct Ctx {
    Fs* fs;
    Packer* packer;
    bool copy;
    Status status;
  };
  Packer p{head_pos_, ssize_};
  Ctx c{this, &p, false, Status::kOk};
  RecFn fn = [](void* pc, uint32_t addr, const Rec& rec, const char* nm) {
    auto* x = static_cast<Ctx*>(pc);
    Fs* fs = x->fs;
    if (rec.type != kTypeChunk) return true;
    int i = fs->find(std::string_view(nm, rec.name_len));
    if (i < 0 || fs->files_[i].vseq != rec.vseq) return true;
    if (!x->copy) {
      x->packer->add(record_size(rec.name_len, rec.len));
      return true;
    }
    uint32_t body = static_cast<uint32_t>(rec.name_len) + rec.len;
    x->status = fs->flash_->read(addr + kFsRecordHeader, ByteSpan(fs->buf_, body));
    if (x->status != Status::kOk) return false;
    if (crc32(ConstByteSpan(fs->buf_, body)) != rec.dcrc) {
      MOS_LOGE("fs: chunk of %.*s failed its CRC while collecting", static_cast<int>(rec.name_len), nm);
      return true;
    }
    x->status = fs->append_record(rec, nm, ConstByteSpan(fs->buf_, body));
    return x->status == Status::kOk;
  };
  Status s = scan_sector(tail, fn, &c, false);
  if (s != Status::kOk) return s;
  p.add(record_size(0, 0));  // the intent record
  if (free_sectors() < p.opened) return Status::kNoSpace;
  c.copy = true;
  s = scan_sector(tail, fn, &c, false);
  if (s != Status::kOk) return s;
  if (c.status != Status::kOk) return c.status;

  Rec intent{kTypeIntent, 0, 0, ++seq_, tail, sec_[tail].seq, crc32(ConstByteSpan())};
  s = append_record(intent, "", ConstByteSpan());
  if (s != Status::kOk) return s;
  // The tail is always slot 0 of the order: copying only appended to the log.
  for (uint32_t k = 1; k < nlog_; ++k) sec_[k - 1].order = sec_[k].order;
  --nlog_;
  reset_sector(tail);
  ++gc_runs_;
  return flash_->erase(sector_addr(tail));
}

}  // namespace mos

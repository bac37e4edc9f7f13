#include "mos/sim/fw_image.h"

#include <cstring>

#include "mos/crc32.h"

namespace mos::sim {
namespace {

void put_u16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
}
void put_u32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
uint16_t get_u16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | p[1] << 8); }
uint32_t get_u32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}

constexpr size_t kNameField = 20;

// A NUL-padded field to a C string of at most kNameField characters; false
// when it holds anything but printable ASCII before the padding.
bool read_name(const uint8_t* field, char* out) {
  size_t n = 0;
  while (n < kNameField && field[n] != 0) {
    if (field[n] < 0x20 || field[n] > 0x7e) return false;
    out[n] = static_cast<char>(field[n]);
    ++n;
  }
  out[n] = '\0';
  for (size_t i = n; i < kNameField; ++i) {
    if (field[i] != 0) return false;
  }
  return n > 0;
}

}  // namespace

Status fw_image_header(std::string_view app, std::string_view version, uint16_t api_major,
                       uint16_t api_minor, ConstByteSpan payload, ByteSpan out) {
  if (out.size() < kFwHeaderSize || app.empty() || app.size() > kNameField ||
      version.size() > kNameField || payload.size() > UINT32_MAX) {
    return Status::kInvalidArg;
  }
  uint8_t* h = out.data();
  std::memset(h, 0, kFwHeaderSize);
  std::memcpy(h, kFwMagic, 4);
  h[4] = kFwHeaderVersion;
  put_u16(h + 6, api_major);
  put_u16(h + 8, api_minor);
  put_u32(h + 12, static_cast<uint32_t>(payload.size()));
  put_u32(h + 16, crc32(payload));
  std::memcpy(h + 20, app.data(), app.size());
  std::memcpy(h + 40, version.data(), version.size());
  put_u32(h + 60, crc32(ConstByteSpan(h, 60)));
  return Status::kOk;
}

Status fw_image_parse_header(ConstByteSpan header, FwImageInfo* info, const char** why) {
  *why = "";
  if (header.size() < kFwHeaderSize) {
    *why = "image shorter than its header";
    return Status::kCorrupt;
  }
  const uint8_t* h = header.data();
  bool erased = true;
  for (size_t i = 0; i < kFwHeaderSize; ++i) erased = erased && h[i] == 0xFF;
  if (erased) {
    *why = "blank flash";
    return Status::kCorrupt;
  }
  if (std::memcmp(h, kFwMagic, 4) != 0) {
    *why = "no image header (bad magic)";
    return Status::kCorrupt;
  }
  if (get_u32(h + 60) != crc32(ConstByteSpan(h, 60))) {
    *why = "header checksum mismatch";
    return Status::kCorrupt;
  }
  if (h[4] != kFwHeaderVersion) {
    *why = "unknown image header version";
    return Status::kCorrupt;
  }
  FwImageInfo i;
  i.api_major = get_u16(h + 6);
  i.api_minor = get_u16(h + 8);
  i.payload_size = get_u32(h + 12);
  i.payload_crc = get_u32(h + 16);
  if (!read_name(h + 20, i.app) || (h[40] != 0 && !read_name(h + 40, i.version))) {
    *why = "bad app name or version in the header";
    return Status::kCorrupt;
  }
  *info = i;
  return Status::kOk;
}

Status fw_image_check(Flash& flash, uint32_t addr, uint32_t max_size, ByteSpan scratch,
                      FwImageInfo* info, const char** why) {
  uint8_t header[kFwHeaderSize];
  if (max_size < kFwHeaderSize || addr > flash.size() || flash.size() - addr < kFwHeaderSize ||
      scratch.empty()) {
    *why = "flash too small for a firmware image";
    return Status::kCorrupt;
  }
  if (flash.read(addr, ByteSpan(header, sizeof(header))) != Status::kOk) {
    *why = "flash read failed";
    return Status::kCorrupt;
  }
  FwImageInfo i;
  Status s = fw_image_parse_header(ConstByteSpan(header, sizeof(header)), &i, why);
  if (s != Status::kOk) return s;
  const uint32_t room = max_size - static_cast<uint32_t>(kFwHeaderSize);
  if (i.payload_size == 0 || i.payload_size > room ||
      flash.size() - addr - kFwHeaderSize < i.payload_size) {
    *why = "payload size out of range (truncated or oversized image)";
    return Status::kCorrupt;
  }
  uint32_t crc = 0;
  uint32_t at = addr + static_cast<uint32_t>(kFwHeaderSize);
  uint32_t left = i.payload_size;
  while (left > 0) {
    uint32_t n = left < scratch.size() ? left : static_cast<uint32_t>(scratch.size());
    if (flash.read(at, ByteSpan(scratch.data(), n)) != Status::kOk) {
      *why = "flash read failed";
      return Status::kCorrupt;
    }
    crc = crc32(ConstByteSpan(scratch.data(), n), crc);
    at += n;
    left -= n;
  }
  if (crc != i.payload_crc) {
    *why = "payload checksum mismatch (incomplete or damaged image)";
    return Status::kCorrupt;
  }
  *info = i;
  return Status::kOk;
}

}  // namespace mos::sim

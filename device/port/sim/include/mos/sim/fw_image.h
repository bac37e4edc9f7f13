// The firmware image the virtual chip's ROM boots: a 64-byte header and the
// firmware (a shared object) as payload, at flash address 0 (flash_layout.h).
// The ROM refuses to boot anything whose header or checksum is wrong and
// says why, so a half-written flash (a flash cut off half-way) never runs.
//
// Header, little-endian (as the chip's flash is read):
//   0  4  magic "MOSF"
//   4  1  header version (1)
//   5  1  reserved (0)
//   6  2  ROM API major the firmware was built against (rom_api.h)
//   8  2  ROM API minor
//  10  2  reserved (0)
//  12  4  payload size in bytes
//  16  4  CRC-32 (IEEE 802.3) of the payload
//  20 20  app name, NUL-padded
//  40 20  app version, NUL-padded
//  60  4  CRC-32 of bytes 0..59
//
// Portable: no POSIX, no heap; the ROM reads the flash in chunks.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mos/hal.h"
#include "mos/span.h"
#include "mos/status.h"

namespace mos::sim {

struct FwImageInfo {
  uint16_t api_major = 0;
  uint16_t api_minor = 0;
  uint32_t payload_size = 0;
  uint32_t payload_crc = 0;
  char app[21] = {};
  char version[21] = {};
};

constexpr size_t kFwHeaderSize = 64;
constexpr uint8_t kFwMagic[4] = {'M', 'O', 'S', 'F'};
constexpr uint8_t kFwHeaderVersion = 1;

// Fills out (kFwHeaderSize bytes) for the payload. kInvalidArg when app or
// version are longer than 20 bytes or out is too small.
[[nodiscard]] Status fw_image_header(std::string_view app, std::string_view version,
                                     uint16_t api_major, uint16_t api_minor,
                                     ConstByteSpan payload, ByteSpan out);

// Parses a header. kOk, or kCorrupt with *why set ("no firmware (blank
// flash)", "bad magic", "header checksum mismatch", ...).
[[nodiscard]] Status fw_image_parse_header(ConstByteSpan header, FwImageInfo* info,
                                           const char** why);

// Checks the image at addr: header, payload within max_size, payload CRC
// (read in chunks through scratch). kOk with *info filled, or kCorrupt and
// *why: a sentence for the console ("payload checksum mismatch").
[[nodiscard]] Status fw_image_check(Flash& flash, uint32_t addr, uint32_t max_size,
                                    ByteSpan scratch, FwImageInfo* info, const char** why);

}  // namespace mos::sim

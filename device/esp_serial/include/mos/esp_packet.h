// Espressif serial bootloader packets (esptool docs, "Serial Protocol"), as
// spoken by the ESP8266 ROM loader and by esptool's flasher stub. Requests:
//   00 | op | size u16 LE | checksum u32 LE | data[size]
// Responses:
//   01 | op | size u16 LE | value u32 LE    | data[size] (ends in status bytes)
// All multi-byte fields are little-endian. Pure codec: no I/O, no heap.
#pragma once
#include <cstddef>
#include <cstdint>

#include "mos/span.h"
#include "mos/status.h"

namespace mos::esp {

// Command opcodes (esptool docs, "Commands"; the 0xD0.. ones are the stub's).
enum class Op : uint8_t {
  kFlashBegin = 0x02,
  kFlashData = 0x03,
  kFlashEnd = 0x04,
  kMemBegin = 0x05,
  kMemEnd = 0x06,
  kMemData = 0x07,
  kSync = 0x08,
  kWriteReg = 0x09,
  kReadReg = 0x0A,
  kSpiSetParams = 0x0B,
  kSpiAttach = 0x0D,
  kChangeBaudrate = 0x0F,
  kFlashDeflBegin = 0x10,
  kFlashDeflData = 0x11,
  kFlashDeflEnd = 0x12,
  kSpiFlashMd5 = 0x13,
  kEraseFlash = 0xD0,
  kEraseRegion = 0xD1,
  kReadFlash = 0xD2,
  kRunUserCode = 0xD3,
};

constexpr uint8_t kDirRequest = 0x00;
constexpr uint8_t kDirResponse = 0x01;
constexpr size_t kHeaderSize = 8;
// The _DATA commands' payload header: data length, sequence number, 0, 0.
constexpr size_t kDataHeaderSize = 16;
// The checksum seed (esptool docs, "Checksum": XOR of 0xEF and every byte).
constexpr uint8_t kChecksumSeed = 0xEF;
// SYNC's payload: 07 07 12 20 then 32 x 55.
constexpr size_t kSyncPayloadSize = 36;
// Sector size of the SPI flash and the write block sizes esptool uses.
constexpr uint32_t kFlashSectorSize = 0x1000;
constexpr uint32_t kRomFlashBlock = 0x400;   // ESP8266 ROM FLASH_DATA
constexpr uint32_t kStubFlashBlock = 0x4000; // stub FLASH_DATA / FLASH_DEFL_DATA
constexpr uint32_t kRamBlock = 0x1800;       // MEM_DATA

// ROM loader error codes, sent as status bytes {1, code} (ESP8266 ROM uses 2
// status bytes; esptool docs, "ROM Loader Errors").
enum class RomError : uint8_t {
  kInvalidMessage = 0x05,  // parameters or length field invalid
  kFailedToAct = 0x06,
  kInvalidCrc = 0x07,
  kFlashWrite = 0x08,
  kFlashRead = 0x09,
  kFlashReadLength = 0x0A,
  kDeflate = 0x0B,
};

// Flasher stub error codes, sent as status bytes {code, 0} (esptool
// flasher_stub/include/stub_flasher.h: 0xC* and 0xFF).
enum class StubError : uint8_t {
  kOk = 0x00,
  kBadDataLen = 0xC0,
  kBadDataChecksum = 0xC1,
  kBadBlocksize = 0xC2,
  kInvalidCommand = 0xC3,
  kFailedSpiOp = 0xC4,
  kFailedSpiUnlock = 0xC5,
  kNotInFlashMode = 0xC6,
  kInflateError = 0xC7,
  kNotEnoughData = 0xC8,
  kTooMuchData = 0xC9,
  kCmdNotImplemented = 0xFF,
};

const char* op_name(uint8_t op);

// XOR checksum of `data`, seeded with 0xEF.
uint8_t checksum(ConstByteSpan data);

inline uint32_t get_u32le(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}
inline void put_u32le(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
  p[2] = static_cast<uint8_t>(v >> 16);
  p[3] = static_cast<uint8_t>(v >> 24);
}
inline uint16_t get_u16le(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] | p[1] << 8);
}

struct Request {
  uint8_t op = 0;
  uint32_t checksum = 0;
  ConstByteSpan data;  // points into the parsed frame
  // The i-th little-endian word of data (0 if data is too short).
  uint32_t word(size_t i) const {
    return data.size() >= (i + 1) * 4 ? get_u32le(data.data() + i * 4) : 0;
  }
};

struct Response {
  uint8_t op = 0;
  uint32_t value = 0;
  ConstByteSpan data;  // body plus the trailing status bytes
};

// A decoded SLIP frame as a request. kMalformed when shorter than a header,
// the direction byte is not 00, or size differs from the bytes that follow.
Status parse_request(ConstByteSpan frame, Request* out);
Status parse_response(ConstByteSpan frame, Response* out);

// Encoders write the unframed packet; wrap it with slip::encode. kNoSpace
// when `out` is too small; kInvalidArg when data exceeds 65535 bytes.
Status encode_request(uint8_t op, ConstByteSpan data, uint32_t checksum, ByteSpan out,
                      size_t* written);
// body followed by the two status bytes {s0, s1}.
Status encode_response(uint8_t op, uint32_t value, ConstByteSpan body, uint8_t s0, uint8_t s1,
                       ByteSpan out, size_t* written);

// The payload of FLASH_DATA / MEM_DATA / FLASH_DEFL_DATA.
struct DataBlock {
  uint32_t size = 0;
  uint32_t seq = 0;
  ConstByteSpan data;
};
// kMalformed when the payload is shorter than 16 bytes or its length word
// disagrees with the bytes that follow.
Status parse_data_block(ConstByteSpan payload, DataBlock* out);
// Writes the 16-byte data header for `size` bytes with sequence `seq`.
void put_data_header(uint8_t* out16, uint32_t size, uint32_t seq);

}  // namespace mos::esp

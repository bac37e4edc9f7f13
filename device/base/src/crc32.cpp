#include "mos/crc32.h"

namespace mos {

uint32_t crc32(ConstByteSpan data, uint32_t crc) {
  // A half-byte table: 64 bytes of flash instead of the usual 1 KB, which
  // matters more on the device than speed for these short inputs.
  static constexpr uint32_t kNibble[16] = {
      0x00000000, 0x1DB71064, 0x3B6E20C8, 0x26D930AC, 0x76DC4190, 0x6B6B51F4,
      0x4DB26158, 0x5005713C, 0xEDB88320, 0xF00F9344, 0xD6D6A3E8, 0xCB61B38C,
      0x9B64C2B0, 0x86D3D2D4, 0xA00AE278, 0xBDBDF21C};
  crc = ~crc;
  for (uint8_t b : data) {
    crc ^= b;
    crc = (crc >> 4) ^ kNibble[crc & 0xF];
    crc = (crc >> 4) ^ kNibble[crc & 0xF];
  }
  return ~crc;
}

}  // namespace mos

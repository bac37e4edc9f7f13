// CRC-32 (IEEE 802.3 / ISO-HDLC: reflected polynomial 0xEDB88320, initial
// value and final XOR 0xFFFFFFFF), the same function as zlib's crc32().
// Used by the flash store's records and by the RPC UART framing.
// crc32(as_bytes("123456789")) == 0xCBF43926; chain calls by passing the
// previous result as `crc`.
#pragma once
#include <cstdint>

#include "mos/span.h"

namespace mos {
uint32_t crc32(ConstByteSpan data, uint32_t crc = 0);
}  // namespace mos

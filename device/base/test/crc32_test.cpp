#include "mos/crc32.h"

#include <gtest/gtest.h>

namespace mos {
namespace {

TEST(Crc32, CheckValueAndChaining) {
  EXPECT_EQ(crc32(as_bytes("123456789")), 0xCBF43926u);  // the CRC-32/ISO-HDLC check value
  EXPECT_EQ(crc32(as_bytes("")), 0u);
  EXPECT_EQ(crc32(as_bytes("56789"), crc32(as_bytes("1234"))), 0xCBF43926u);
  // Python: '%08x' % zlib.crc32(b'{"id":1}') == '445df8c5'
  EXPECT_EQ(crc32(as_bytes("{\"id\":1}")), 0x445df8c5u);
}

}  // namespace
}  // namespace mos

#include "mos/esp_packet.h"

#include <gtest/gtest.h>

#include <vector>

#include "mos/slip.h"

namespace mos::esp {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes sync_payload() {
  Bytes p = {0x07, 0x07, 0x12, 0x20};
  p.insert(p.end(), 32, 0x55);
  return p;
}

// The SYNC request exactly as on the wire (esptool docs: "36 bytes: 0x07 0x07
// 0x12 0x20, followed by 32 x 0x55"; header 00 08 24 00 00000000).
TEST(EspPacket, SyncRequestWireBytes) {
  Bytes p = sync_payload();
  Bytes pkt(8 + 36 + 4, 0xAA);
  size_t n = 0;
  ASSERT_EQ(encode_request(static_cast<uint8_t>(Op::kSync), ConstByteSpan(p.data(), p.size()), 0,
                           ByteSpan(pkt.data(), 44), &n),
            Status::kOk);
  ASSERT_EQ(n, 44u);
  for (size_t i = 44; i < pkt.size(); ++i) EXPECT_EQ(pkt[i], 0xAA);
  pkt.resize(n);
  Bytes wire(64, 0);
  size_t w = 0;
  ASSERT_EQ(slip::encode(ConstByteSpan(pkt.data(), pkt.size()), ByteSpan(wire.data(), wire.size()), &w),
            Status::kOk);
  wire.resize(w);
  Bytes expect = {0xC0, 0x00, 0x08, 0x24, 0x00, 0x00, 0x00, 0x00, 0x00,
                  0x07, 0x07, 0x12, 0x20};
  expect.insert(expect.end(), 32, 0x55);
  expect.push_back(0xC0);
  EXPECT_EQ(wire, expect);
}

// The ESP8266 ROM's answer to SYNC: value 0x20120707, two status bytes 00 00.
TEST(EspPacket, RomSyncResponseWireBytes) {
  Bytes pkt(12, 0xAA);
  size_t n = 0;
  ASSERT_EQ(encode_response(0x08, 0x20120707, {}, 0, 0, ByteSpan(pkt.data(), 10), &n), Status::kOk);
  EXPECT_EQ(n, 10u);
  EXPECT_EQ(pkt, (Bytes{0x01, 0x08, 0x02, 0x00, 0x07, 0x07, 0x12, 0x20, 0x00, 0x00, 0xAA, 0xAA}));
  Response r;
  ASSERT_EQ(parse_response(ConstByteSpan(pkt.data(), 10), &r), Status::kOk);
  EXPECT_EQ(r.op, 0x08);
  EXPECT_EQ(r.value, 0x20120707u);
  EXPECT_EQ(r.data.size(), 2u);
}

// esptool docs, Checksum: seed 0xEF, XOR of every byte of "data to write".
TEST(EspPacket, ChecksumVectors) {
  EXPECT_EQ(checksum({}), 0xEF);
  const uint8_t a[] = {0xEF};
  EXPECT_EQ(checksum(a), 0x00);
  const uint8_t b[] = {0x01, 0x02, 0x04, 0x08};
  EXPECT_EQ(checksum(b), 0xEF ^ 0x0F);
  Bytes ff(1024, 0xFF);  // an even count of 0xFF cancels out
  EXPECT_EQ(checksum(ConstByteSpan(ff.data(), ff.size())), 0xEF);
  ff.push_back(0xFF);
  EXPECT_EQ(checksum(ConstByteSpan(ff.data(), ff.size())), 0x10);
}

TEST(EspPacket, OpcodesMatchTheDocs) {
  EXPECT_EQ(static_cast<int>(Op::kFlashBegin), 0x02);
  EXPECT_EQ(static_cast<int>(Op::kFlashData), 0x03);
  EXPECT_EQ(static_cast<int>(Op::kFlashEnd), 0x04);
  EXPECT_EQ(static_cast<int>(Op::kMemBegin), 0x05);
  EXPECT_EQ(static_cast<int>(Op::kMemEnd), 0x06);
  EXPECT_EQ(static_cast<int>(Op::kMemData), 0x07);
  EXPECT_EQ(static_cast<int>(Op::kSync), 0x08);
  EXPECT_EQ(static_cast<int>(Op::kWriteReg), 0x09);
  EXPECT_EQ(static_cast<int>(Op::kReadReg), 0x0A);
  EXPECT_EQ(static_cast<int>(Op::kSpiSetParams), 0x0B);
  EXPECT_EQ(static_cast<int>(Op::kSpiAttach), 0x0D);
  EXPECT_EQ(static_cast<int>(Op::kChangeBaudrate), 0x0F);
  EXPECT_EQ(static_cast<int>(Op::kFlashDeflBegin), 0x10);
  EXPECT_EQ(static_cast<int>(Op::kFlashDeflData), 0x11);
  EXPECT_EQ(static_cast<int>(Op::kFlashDeflEnd), 0x12);
  EXPECT_EQ(static_cast<int>(Op::kSpiFlashMd5), 0x13);
  EXPECT_EQ(static_cast<int>(Op::kEraseFlash), 0xD0);
  EXPECT_EQ(static_cast<int>(Op::kEraseRegion), 0xD1);
  EXPECT_EQ(static_cast<int>(Op::kReadFlash), 0xD2);
  EXPECT_EQ(static_cast<int>(Op::kRunUserCode), 0xD3);
  EXPECT_STREQ(op_name(0x13), "SPI_FLASH_MD5");
  EXPECT_STREQ(op_name(0x77), "UNKNOWN");
}

TEST(EspPacket, FlashDataRequestLayout) {
  // FLASH_DATA: size, seq, 0, 0, data; checksum over the data only.
  Bytes payload(16 + 3);
  put_data_header(payload.data(), 3, 7);
  payload[16] = 0x10;
  payload[17] = 0x20;
  payload[18] = 0x30;
  const uint8_t cs = checksum(ConstByteSpan(payload.data() + 16, 3));
  EXPECT_EQ(cs, 0xEF ^ 0x10 ^ 0x20 ^ 0x30);
  Bytes pkt(8 + payload.size());
  size_t n = 0;
  ASSERT_EQ(encode_request(0x03, ConstByteSpan(payload.data(), payload.size()), cs,
                           ByteSpan(pkt.data(), pkt.size()), &n),
            Status::kOk);
  EXPECT_EQ(Bytes(pkt.begin(), pkt.begin() + 16),
            (Bytes{0x00, 0x03, 0x13, 0x00, cs, 0, 0, 0, 3, 0, 0, 0, 7, 0, 0, 0}));
  Request r;
  ASSERT_EQ(parse_request(ConstByteSpan(pkt.data(), n), &r), Status::kOk);
  EXPECT_EQ(r.checksum, cs);
  EXPECT_EQ(r.word(1), 7u);
  EXPECT_EQ(r.word(9), 0u);  // past the end reads as 0, never out of bounds
  DataBlock blk;
  ASSERT_EQ(parse_data_block(r.data, &blk), Status::kOk);
  EXPECT_EQ(blk.seq, 7u);
  EXPECT_EQ(blk.data.size(), 3u);
}

TEST(EspPacket, RejectsBadFrames) {
  Request r;
  const uint8_t short_frame[] = {0x00, 0x08, 0x00, 0x00, 0, 0, 0};
  EXPECT_EQ(parse_request(short_frame, &r), Status::kMalformed);
  const uint8_t wrong_dir[] = {0x01, 0x08, 0x00, 0x00, 0, 0, 0, 0};
  EXPECT_EQ(parse_request(wrong_dir, &r), Status::kMalformed);
  const uint8_t size_too_big[] = {0x00, 0x08, 0x05, 0x00, 0, 0, 0, 0, 1, 2};
  EXPECT_EQ(parse_request(size_too_big, &r), Status::kMalformed);
  const uint8_t size_too_small[] = {0x00, 0x08, 0x01, 0x00, 0, 0, 0, 0, 1, 2};
  EXPECT_EQ(parse_request(size_too_small, &r), Status::kMalformed);
  const uint8_t ok[] = {0x00, 0x0A, 0x04, 0x00, 0, 0, 0, 0, 0x00, 0x10, 0x00, 0x40};
  ASSERT_EQ(parse_request(ok, &r), Status::kOk);
  EXPECT_EQ(r.word(0), 0x40001000u);
  DataBlock blk;
  const uint8_t lying_len[20] = {5, 0, 0, 0};
  EXPECT_EQ(parse_data_block(ConstByteSpan(lying_len, 20), &blk), Status::kMalformed);
  EXPECT_EQ(parse_data_block(ConstByteSpan(lying_len, 15), &blk), Status::kMalformed);
}

TEST(EspPacket, EncodeRespectsBufferSize) {
  uint8_t out[12];
  size_t n = 99;
  const uint8_t body[4] = {1, 2, 3, 4};
  EXPECT_EQ(encode_response(0x13, 0, body, 0, 0, ByteSpan(out, 13 - 1), &n), Status::kNoSpace);
  EXPECT_EQ(n, 0u);
  EXPECT_EQ(encode_request(0x13, body, 0, ByteSpan(out, 11), &n), Status::kNoSpace);
}

}  // namespace
}  // namespace mos::esp

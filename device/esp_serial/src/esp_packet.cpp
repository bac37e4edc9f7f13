#include "mos/esp_packet.h"

#include <cstring>

namespace mos::esp {

const char* op_name(uint8_t op) {
  switch (static_cast<Op>(op)) {
    case Op::kFlashBegin: return "FLASH_BEGIN";
    case Op::kFlashData: return "FLASH_DATA";
    case Op::kFlashEnd: return "FLASH_END";
    case Op::kMemBegin: return "MEM_BEGIN";
    case Op::kMemEnd: return "MEM_END";
    case Op::kMemData: return "MEM_DATA";
    case Op::kSync: return "SYNC";
    case Op::kWriteReg: return "WRITE_REG";
    case Op::kReadReg: return "READ_REG";
    case Op::kSpiSetParams: return "SPI_SET_PARAMS";
    case Op::kSpiAttach: return "SPI_ATTACH";
    case Op::kChangeBaudrate: return "CHANGE_BAUDRATE";
    case Op::kFlashDeflBegin: return "FLASH_DEFL_BEGIN";
    case Op::kFlashDeflData: return "FLASH_DEFL_DATA";
    case Op::kFlashDeflEnd: return "FLASH_DEFL_END";
    case Op::kSpiFlashMd5: return "SPI_FLASH_MD5";
    case Op::kEraseFlash: return "ERASE_FLASH";
    case Op::kEraseRegion: return "ERASE_REGION";
    case Op::kReadFlash: return "READ_FLASH";
    case Op::kRunUserCode: return "RUN_USER_CODE";
  }
  return "UNKNOWN";
}

uint8_t checksum(ConstByteSpan data) {
  uint8_t c = kChecksumSeed;
  for (uint8_t b : data) c = static_cast<uint8_t>(c ^ b);
  return c;
}

namespace {

Status parse(ConstByteSpan frame, uint8_t dir, uint8_t* op, uint32_t* word, ConstByteSpan* data) {
  if (frame.size() < kHeaderSize || frame[0] != dir) return Status::kMalformed;
  const uint16_t size = get_u16le(frame.data() + 2);
  if (frame.size() - kHeaderSize != size) return Status::kMalformed;
  *op = frame[1];
  *word = get_u32le(frame.data() + 4);
  *data = frame.subspan(kHeaderSize);
  return Status::kOk;
}

void put_header(uint8_t* p, uint8_t dir, uint8_t op, size_t size, uint32_t word) {
  p[0] = dir;
  p[1] = op;
  p[2] = static_cast<uint8_t>(size);
  p[3] = static_cast<uint8_t>(size >> 8);
  put_u32le(p + 4, word);
}

}  // namespace

Status parse_request(ConstByteSpan frame, Request* out) {
  return parse(frame, kDirRequest, &out->op, &out->checksum, &out->data);
}

Status parse_response(ConstByteSpan frame, Response* out) {
  return parse(frame, kDirResponse, &out->op, &out->value, &out->data);
}

Status encode_request(uint8_t op, ConstByteSpan data, uint32_t checksum_word, ByteSpan out,
                      size_t* written) {
  *written = 0;
  if (data.size() > 0xFFFF) return Status::kInvalidArg;
  if (out.size() < kHeaderSize + data.size()) return Status::kNoSpace;
  put_header(out.data(), kDirRequest, op, data.size(), checksum_word);
  if (!data.empty()) std::memcpy(out.data() + kHeaderSize, data.data(), data.size());
  *written = kHeaderSize + data.size();
  return Status::kOk;
}

Status encode_response(uint8_t op, uint32_t value, ConstByteSpan body, uint8_t s0, uint8_t s1,
                       ByteSpan out, size_t* written) {
  *written = 0;
  const size_t size = body.size() + 2;
  if (size > 0xFFFF) return Status::kInvalidArg;
  if (out.size() < kHeaderSize + size) return Status::kNoSpace;
  put_header(out.data(), kDirResponse, op, size, value);
  if (!body.empty()) std::memcpy(out.data() + kHeaderSize, body.data(), body.size());
  out[kHeaderSize + body.size()] = s0;
  out[kHeaderSize + body.size() + 1] = s1;
  *written = kHeaderSize + size;
  return Status::kOk;
}

Status parse_data_block(ConstByteSpan payload, DataBlock* out) {
  if (payload.size() < kDataHeaderSize) return Status::kMalformed;
  out->size = get_u32le(payload.data());
  out->seq = get_u32le(payload.data() + 4);
  out->data = payload.subspan(kDataHeaderSize);
  if (out->size != out->data.size()) return Status::kMalformed;
  return Status::kOk;
}

void put_data_header(uint8_t* out16, uint32_t size, uint32_t seq) {
  put_u32le(out16, size);
  put_u32le(out16 + 4, seq);
  put_u32le(out16 + 8, 0);
  put_u32le(out16 + 12, 0);
}

}  // namespace mos::esp

// SLIP framing (RFC 1055) as Espressif's serial bootloader uses it: every
// packet starts and ends with 0xC0; inside, 0xC0 is sent as 0xDB 0xDC and
// 0xDB as 0xDB 0xDD (esptool docs, "Serial Protocol", Low Level Protocol).
// No heap: the encoder writes into a caller span, the decoder into a caller
// buffer.
#pragma once
#include <cstddef>
#include <cstdint>

#include "mos/span.h"
#include "mos/status.h"

namespace mos::slip {

constexpr uint8_t kEnd = 0xC0;
constexpr uint8_t kEsc = 0xDB;
constexpr uint8_t kEscEnd = 0xDC;
constexpr uint8_t kEscEsc = 0xDD;

// Bytes encode() writes for `payload`, both delimiters included.
size_t encoded_size(ConstByteSpan payload);

// Writes C0, the escaped payload, C0 into `out`. kNoSpace (and nothing
// written) when out is shorter than encoded_size(payload).
Status encode(ConstByteSpan payload, ByteSpan out, size_t* written);

// Incremental decoder: push bytes in any chunking. Bytes outside a frame are
// ignored (line noise, a boot log); empty frames (C0 C0) are skipped, so a
// closing C0 followed by an opening C0 works as well as a shared one.
class Decoder {
 public:
  explicit Decoder(ByteSpan buf) : buf_(buf) {}

  // kNeedMore: no frame finished yet. kOk: a frame ended; frame() holds it
  // until the next push. kNoSpace: a frame ended that was larger than the
  // buffer (its bytes were dropped). kMalformed: a frame ended that held a
  // bad escape (0xDB followed by anything but DC/DD); dropped.
  Status push(uint8_t byte);

  // Pushes bytes until a frame ends or `in` is used up; *consumed says how
  // many were taken. Returns as push() for the last byte taken.
  Status feed(ConstByteSpan in, size_t* consumed);

  ConstByteSpan frame() const { return ConstByteSpan(buf_.data(), done_len_); }
  // Forget any partial frame (e.g. after a baud rate change).
  void reset();
  bool in_frame() const { return in_frame_; }

 private:
  ByteSpan buf_;
  size_t len_ = 0;
  size_t done_len_ = 0;
  bool in_frame_ = false;
  bool escape_ = false;
  bool overflow_ = false;
  bool bad_escape_ = false;
};

}  // namespace mos::slip

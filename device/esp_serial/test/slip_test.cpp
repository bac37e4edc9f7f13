#include "mos/slip.h"

#include <gtest/gtest.h>

#include <vector>

namespace mos::slip {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes encode_with_guard(const Bytes& in, size_t out_size, Status* st) {
  Bytes out(out_size + 4, 0xAA);  // 4 guard bytes past the span
  size_t n = 0;
  *st = encode(ConstByteSpan(in.data(), in.size()), ByteSpan(out.data(), out_size), &n);
  for (size_t i = out_size; i < out.size(); ++i) EXPECT_EQ(out[i], 0xAA) << "guard byte " << i;
  out.resize(n);
  return out;
}

// esptool docs, Low Level Protocol: C0 -> DB DC, DB -> DB DD, frame C0 .. C0.
TEST(Slip, EncodesEscapesByteExact) {
  const Bytes in = {0x01, 0xC0, 0x02, 0xDB, 0x03};
  EXPECT_EQ(encoded_size(ConstByteSpan(in.data(), in.size())), 9u);
  Status st;
  Bytes out = encode_with_guard(in, 9, &st);
  EXPECT_EQ(st, Status::kOk);
  EXPECT_EQ(out, (Bytes{0xC0, 0x01, 0xDB, 0xDC, 0x02, 0xDB, 0xDD, 0x03, 0xC0}));
}

TEST(Slip, EncodeRefusesShortBufferWithoutWriting) {
  const Bytes in = {0xC0, 0xC0};
  Status st;
  Bytes out = encode_with_guard(in, 5, &st);  // needs 6
  EXPECT_EQ(st, Status::kNoSpace);
  EXPECT_TRUE(out.empty());
}

TEST(Slip, EmptyPayloadIsTwoDelimiters) {
  Status st;
  Bytes out = encode_with_guard({}, 2, &st);
  EXPECT_EQ(st, Status::kOk);
  EXPECT_EQ(out, (Bytes{0xC0, 0xC0}));
}

std::vector<Bytes> decode_all(const Bytes& stream, size_t buf_size, std::vector<Status>* errors) {
  Bytes buf(buf_size + 4, 0xAA);
  Decoder d(ByteSpan(buf.data(), buf_size));
  std::vector<Bytes> frames;
  for (uint8_t b : stream) {
    Status st = d.push(b);
    if (st == Status::kOk) frames.emplace_back(d.frame().begin(), d.frame().end());
    else if (st != Status::kNeedMore) errors->push_back(st);
  }
  for (size_t i = buf_size; i < buf.size(); ++i) EXPECT_EQ(buf[i], 0xAA) << "decoder overran";
  return frames;
}

TEST(Slip, DecodesFramesIgnoringNoiseAndEmptyFrames) {
  const Bytes stream = {0x55, 0x12, 0xC0, 0x01, 0xDB, 0xDC, 0xDB, 0xDD, 0xC0, 0xC0, 0xC0,
                        0x4F, 0x48, 0x41, 0x49, 0xC0, 0x99};
  std::vector<Status> errors;
  auto frames = decode_all(stream, 16, &errors);
  EXPECT_TRUE(errors.empty());
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0], (Bytes{0x01, 0xC0, 0xDB}));
  EXPECT_EQ(frames[1], (Bytes{'O', 'H', 'A', 'I'}));
}

TEST(Slip, OversizeFrameIsReportedAndNextFrameStillDecodes) {
  const Bytes stream = {0xC0, 1, 2, 3, 4, 5, 0xC0, 0xC0, 7, 8, 0xC0};
  std::vector<Status> errors;
  auto frames = decode_all(stream, 4, &errors);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], Status::kNoSpace);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0], (Bytes{7, 8}));
}

TEST(Slip, FrameExactlyBufferSizeFits) {
  std::vector<Status> errors;
  auto frames = decode_all({0xC0, 1, 2, 3, 0xDB, 0xDC, 0xC0}, 4, &errors);
  EXPECT_TRUE(errors.empty());
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0], (Bytes{1, 2, 3, 0xC0}));
}

TEST(Slip, BadEscapeIsReported) {
  std::vector<Status> errors;
  auto frames = decode_all({0xC0, 1, 0xDB, 0x01, 2, 0xC0, 0xC0, 1, 0xDB, 0xC0, 0xC0, 9, 0xC0}, 16,
                           &errors);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0], Status::kMalformed);
  EXPECT_EQ(errors[1], Status::kMalformed);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0], (Bytes{9}));
}

TEST(Slip, FeedStopsAtEachFrameInAnyChunking) {
  const Bytes stream = {0xC0, 1, 0xC0, 0xC0, 2, 3, 0xC0};
  for (size_t chunk = 1; chunk <= stream.size(); ++chunk) {
    uint8_t buf[8];
    Decoder d(ByteSpan(buf, sizeof buf));
    std::vector<Bytes> frames;
    for (size_t off = 0; off < stream.size(); off += chunk) {
      ConstByteSpan in = ConstByteSpan(stream.data(), stream.size()).subspan(off, chunk);
      while (!in.empty()) {
        size_t used = 0;
        if (d.feed(in, &used) == Status::kOk) frames.emplace_back(d.frame().begin(), d.frame().end());
        in = in.subspan(used);
      }
    }
    ASSERT_EQ(frames.size(), 2u) << "chunk " << chunk;
    EXPECT_EQ(frames[1], (Bytes{2, 3}));
  }
}

TEST(Slip, RoundTripsEveryByteValue) {
  Bytes in(256);
  for (size_t i = 0; i < in.size(); ++i) in[i] = static_cast<uint8_t>(i);
  Status st;
  Bytes enc = encode_with_guard(in, 300, &st);
  ASSERT_EQ(st, Status::kOk);
  EXPECT_EQ(enc.size(), 260u);
  std::vector<Status> errors;
  auto frames = decode_all(enc, 256, &errors);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0], in);
}

}  // namespace
}  // namespace mos::slip

#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "mos/rpc_frame.h"

namespace mos::rpc {
namespace {

// Expected CRCs computed independently with Python: '%08x' % zlib.crc32(s).
constexpr std::string_view kReq = R"({"id":1,"src":"mos","method":"RPC.Ping"})";
constexpr uint32_t kReqCrc = 0xbc299311;
constexpr std::string_view kResp = R"({"id":7,"src":"dev","result":true})";
constexpr uint32_t kRespCrc = 0xa7519579;

TEST(Crc32, IeeeCheckValueAndFrames) {
  EXPECT_EQ(crc32("123456789"), 0xCBF43926u);  // the CRC-32/ISO-HDLC check value
  EXPECT_EQ(crc32(""), 0u);
  EXPECT_EQ(crc32(kReq), kReqCrc);
  EXPECT_EQ(crc32(kResp), kRespCrc);
  // Incremental use gives the same result.
  EXPECT_EQ(crc32("6789", crc32("12345")), 0xCBF43926u);
}

TEST(EncodeLine, ByteExactWithAndWithoutCrc) {
  char guard_before[8];
  char buf[64];
  char guard_after[8];
  std::memset(guard_before, 0x5A, sizeof(guard_before));
  std::memset(guard_after, 0x5A, sizeof(guard_after));
  size_t len = 0;
  ASSERT_EQ(encode_line(kResp, true, buf, &len), Status::kOk);
  EXPECT_EQ(std::string_view(buf, len), R"("""{"id":7,"src":"dev","result":true}a7519579""")"
                                        "\n");
  EXPECT_EQ(len, encoded_size(kResp, true));
  ASSERT_EQ(encode_line(kResp, false, buf, &len), Status::kOk);
  EXPECT_EQ(std::string_view(buf, len), R"("""{"id":7,"src":"dev","result":true}""")"
                                        "\n");
  for (char c : guard_before) EXPECT_EQ(c, 0x5A);
  for (char c : guard_after) EXPECT_EQ(c, 0x5A);
}

TEST(EncodeLine, ShortBuffersRefusedWithoutOverrun) {
  const size_t need = encoded_size(kResp, true);
  for (size_t cap = 0; cap < need; ++cap) {
    std::string mem(cap + 32, '\x5A');
    size_t len = 99;
    EXPECT_EQ(encode_line(kResp, true, Span<char>(&mem[16], cap), &len), Status::kNoSpace);
    EXPECT_EQ(len, 99u);
    EXPECT_EQ(mem, std::string(cap + 32, '\x5A')) << cap;  // nothing written at all
  }
}

TEST(DecodeLine, FrameWithCrc) {
  std::string line = "\"\"\"" + std::string(kReq) + "bc299311\"\"\"";
  DecodedLine d = decode_line(line);
  EXPECT_EQ(d.kind, LineKind::kFrame);
  EXPECT_EQ(d.json, kReq);
  EXPECT_TRUE(d.had_crc);
  EXPECT_EQ(d.crc_expected, kReqCrc);
  // Upper-case hex and surrounding blanks / CR are fine too.
  d = decode_line(" \t\"\"\"" + std::string(kReq) + "BC299311\"\"\"\r");
  EXPECT_EQ(d.kind, LineKind::kFrame);
  EXPECT_TRUE(d.had_crc);
}

TEST(DecodeLine, FrameWithoutCrc) {
  const std::string line = "\"\"\"" + std::string(kReq) + "\"\"\"";  // d views it
  DecodedLine d = decode_line(line);
  EXPECT_EQ(d.kind, LineKind::kFrame);
  EXPECT_FALSE(d.had_crc);
  EXPECT_EQ(d.json, kReq);
  // Relaxed JSON typed by a person is a frame too (the dispatcher parses it).
  d = decode_line(R"("""{id: 1, method: "RPC.Ping"}""")");
  EXPECT_EQ(d.kind, LineKind::kFrame);
}

TEST(DecodeLine, BadCrcIsReported) {
  DecodedLine d = decode_line("\"\"\"" + std::string(kReq) + "bc299312\"\"\"");
  EXPECT_EQ(d.kind, LineKind::kBadCrc);
  EXPECT_EQ(d.crc_expected, 0xbc299312u);
  EXPECT_EQ(d.crc_actual, kReqCrc);
  // One flipped byte in the JSON with the original CRC.
  std::string flipped(kReq);
  flipped[8] = 'X';
  EXPECT_EQ(decode_line("\"\"\"" + flipped + "bc299311\"\"\"").kind, LineKind::kBadCrc);
}

TEST(DecodeLine, BadMetadata) {
  for (std::string meta : {"bc29931", "bc2993111", "bc29931g", "xyz", "bc29,9311"}) {
    EXPECT_EQ(decode_line("\"\"\"" + std::string(kReq) + meta + "\"\"\"").kind,
              LineKind::kBadMeta)
        << meta;
  }
  EXPECT_EQ(decode_line(R"("""no json here""")").kind, LineKind::kBadMeta);
}

TEST(DecodeLine, HandshakeEmptyAndConsoleLines) {
  EXPECT_EQ(decode_line("\"\"\"\x04\"\"\"").kind, LineKind::kHandshake);
  EXPECT_EQ(decode_line("\"\"\"\"\"\"").kind, LineKind::kEmpty);
  for (std::string_view line :
       {std::string_view(""), std::string_view("I mqtt: connected to 127.0.0.1:1883"),
        std::string_view("\"\"\""), std::string_view("\"\"\"\"\""),
        std::string_view("\"\"\"{\"id\":1}"), std::string_view("{\"id\":1}\"\"\""),
        std::string_view("\x00\xff\x01\"\"\x7f", 6)}) {
    EXPECT_EQ(decode_line(line).kind, LineKind::kNotFrame) << line;
  }
}

TEST(LineAssembler, PartialLinesAcrossFeeds) {
  LineAssembler<32> a;
  std::string_view stream = "abc\r\ndef\nlast";
  std::string got;
  // Feed one byte at a time: lines still come out whole.
  for (char c : stream) {
    uint8_t b = static_cast<uint8_t>(c);
    std::string_view line;
    bool has = false;
    EXPECT_EQ(a.feed(ConstByteSpan(&b, 1), &line, &has), 1u);
    if (has) got += "[" + std::string(line) + "]";
  }
  EXPECT_EQ(got, "[abc][def]");
  EXPECT_EQ(a.pending(), 4u);
}

TEST(LineAssembler, SeveralLinesInOneFeed) {
  LineAssembler<32> a;
  ConstByteSpan in = as_bytes("one\ntwo\n\nthree\n");
  std::string got;
  while (!in.empty()) {
    std::string_view line;
    bool has = false;
    in = in.subspan(a.feed(in, &line, &has));
    if (has) got += "[" + std::string(line) + "]";
  }
  EXPECT_EQ(got, "[one][two][][three]");
}

TEST(LineAssembler, BareCrEndsALineAsPicocomSendsIt) {
  LineAssembler<32> a;
  ConstByteSpan in = as_bytes("cr\rcrlf\r\nlf\n\r\n");
  std::string got;
  while (!in.empty()) {
    std::string_view line;
    bool has = false;
    in = in.subspan(a.feed(in, &line, &has));
    if (has) got += "[" + std::string(line) + "]";
  }
  // CRLF is one line end, not two; the last CRLF ends one empty line.
  EXPECT_EQ(got, "[cr][crlf][lf][]");
}

TEST(LineAssembler, OversizeLineDiscardedThenResync) {
  LineAssembler<8> a;
  std::string stream = std::string(100, 'x') + "\nok\n" + std::string(8, 'y') + "\nfit4567\n";
  ConstByteSpan in = as_bytes(stream);
  std::string got;
  while (!in.empty()) {
    std::string_view line;
    bool has = false;
    in = in.subspan(a.feed(in, &line, &has));
    if (has) got += "[" + std::string(line) + "]";
  }
  // 100 x's overflow the 8-byte buffer and are dropped; 8 y's fill it exactly.
  EXPECT_EQ(got, "[ok][yyyyyyyy][fit4567]");
  EXPECT_EQ(a.oversize_dropped(), 1u);
}

TEST(ParseFrame, RequestFields) {
  Frame f;
  ASSERT_EQ(parse_frame(R"({"id":123456789012,"src":"mos","dst":"dev","method":"FS.Get",)"
                        R"("params":{"filename":"a"},"tag":"t"})",
                        &f),
            json::Result::kOk);
  EXPECT_TRUE(f.has_id);
  EXPECT_EQ(f.id, 123456789012);
  EXPECT_TRUE(json::string_equals(f.src, "mos"));
  EXPECT_TRUE(json::string_equals(f.dst, "dev"));
  EXPECT_TRUE(json::string_equals(f.method, "FS.Get"));
  EXPECT_EQ(f.params.text, R"({"filename":"a"})");
  EXPECT_EQ(f.result.type, json::Type::kInvalid);
  EXPECT_FALSE(f.has_error);
}

TEST(ParseFrame, ArgsAliasAndResponses) {
  Frame f;
  ASSERT_EQ(parse_frame(R"({method:"GPIO.Write",args:{pin:2,value:0}})", &f), json::Result::kOk);
  EXPECT_FALSE(f.has_id);
  EXPECT_EQ(f.params.text, "{pin:2,value:0}");
  ASSERT_EQ(parse_frame(R"({"id":2,"error":{"code":404,"message":"nope"}})", &f),
            json::Result::kOk);
  EXPECT_TRUE(f.has_error);
  EXPECT_EQ(f.error_code, 404);
  EXPECT_TRUE(json::string_equals(f.error_message, "nope"));
  ASSERT_EQ(parse_frame(R"({"id":3,"result":[1,2]})", &f), json::Result::kOk);
  EXPECT_EQ(f.result.text, "[1,2]");
}

TEST(ParseFrame, WrongTypesAndBadJson) {
  Frame f;
  EXPECT_EQ(parse_frame(R"({"id":"1","method":"x"})", &f), json::Result::kWrongType);
  EXPECT_EQ(parse_frame(R"({"id":1.5,"method":"x"})", &f), json::Result::kWrongType);
  EXPECT_EQ(parse_frame(R"({"id":99999999999999999999,"method":"x"})", &f),
            json::Result::kOutOfRange);
  EXPECT_EQ(parse_frame(R"({"method":1})", &f), json::Result::kWrongType);
  EXPECT_EQ(parse_frame(R"({"src":{}})", &f), json::Result::kWrongType);
  EXPECT_EQ(parse_frame(R"({"error":"bad"})", &f), json::Result::kWrongType);
  EXPECT_EQ(parse_frame(R"({"error":{"message":"no code"}})", &f), json::Result::kWrongType);
  EXPECT_EQ(parse_frame(R"([1,2])", &f), json::Result::kWrongType);
  EXPECT_EQ(parse_frame(R"({"method":"x")", &f), json::Result::kTruncated);
  EXPECT_EQ(parse_frame(R"({"method":"x"} junk)", &f), json::Result::kMalformed);
}

}  // namespace
}  // namespace mos::rpc

#include <gtest/gtest.h>

#include <cstring>
#include <limits>
#include <string>

#include "mos/json.h"

namespace mos::json {
namespace {

// A buffer of `cap` usable bytes with guard bytes on both sides, to catch any
// write outside the span the Writer was given.
struct Guarded {
  static constexpr size_t kGuard = 16;
  static constexpr char kFill = '\xA5';
  explicit Guarded(size_t n) : cap(n), mem(n + 2 * kGuard, kFill) {}
  Span<char> span() { return Span<char>(&mem[kGuard], cap); }
  bool guards_intact() const {
    for (size_t i = 0; i < kGuard; ++i) {
      if (mem[i] != kFill || mem[kGuard + cap + i] != kFill) return false;
    }
    return true;
  }
  size_t cap;
  std::string mem;
};

void write_reply(Writer& w) {
  w.begin_object()
      .key("type").string_value("gpio")
      .key("pin").int_value(2)
      .key("state").int_value(0)
      .key("ok").bool_value(true)
      .key("n").null_value()
      .key("a").begin_array().int_value(-1).uint_value(18446744073709551615u).end_array()
      .end_object();
}

constexpr std::string_view kReply =
    R"({"type":"gpio","pin":2,"state":0,"ok":true,"n":null,"a":[-1,18446744073709551615]})";

TEST(JsonWriter, ByteExactWithGuards) {
  Guarded g(kReply.size());
  Writer w(g.span());
  write_reply(w);
  EXPECT_EQ(w.result(), Result::kOk);
  EXPECT_EQ(w.view(), kReply);
  EXPECT_EQ(w.size(), kReply.size());
  EXPECT_EQ(w.depth(), 0u);
  EXPECT_TRUE(g.guards_intact());
}

TEST(JsonWriter, EveryShortBufferReportsNoSpaceAndStaysInside) {
  for (size_t cap = 0; cap < kReply.size(); ++cap) {
    Guarded g(cap);
    Writer w(g.span());
    write_reply(w);
    EXPECT_EQ(w.result(), Result::kNoSpace) << cap;
    EXPECT_EQ(w.size(), kReply.size()) << cap;  // still tells how much is needed
    EXPECT_EQ(w.view(), kReply.substr(0, cap));
    EXPECT_TRUE(g.guards_intact()) << cap;
  }
}

TEST(JsonWriter, MeasureOnly) {
  Writer m;
  write_reply(m);
  EXPECT_EQ(m.result(), Result::kOk);
  EXPECT_EQ(m.size(), kReply.size());
  EXPECT_TRUE(m.view().empty());
}

TEST(JsonWriter, StringEscaping) {
  char buf[128];
  Writer w(buf);
  static const char kRaw[] = "q\" b\\ /\b\f\n\r\t\x01\x1f\x7f \xC3\xA9 \0";
  const std::string_view raw(kRaw, sizeof(kRaw) - 1);
  w.string_value(raw);
  ASSERT_EQ(w.result(), Result::kOk);
  EXPECT_EQ(w.view(), "\"q\\\" b\\\\ /\\b\\f\\n\\r\\t\\u0001\\u001f\x7f \xC3\xA9 \\u0000\"");
  // What the writer escapes, the reader restores.
  Token t;
  ASSERT_EQ(parse(w.view(), &t), Result::kOk);
  char back[64];
  size_t len = 0;
  ASSERT_EQ(as_string(t, back, &len), Result::kOk);
  EXPECT_EQ(std::string_view(back, len), raw);
}

TEST(JsonWriter, Int64Extremes) {
  char buf[64];
  Writer w(buf);
  w.begin_array().int_value(INT64_MIN).int_value(INT64_MAX).int_value(0).end_array();
  ASSERT_EQ(w.result(), Result::kOk);
  EXPECT_EQ(w.view(), "[-9223372036854775808,9223372036854775807,0]");
}

TEST(JsonWriter, Doubles) {
  char buf[128];
  Writer w(buf);
  w.begin_array()
      .double_value(0.1)
      .double_value(-2.5)
      .double_value(1e300)
      .double_value(0.30000000000000004)
      .double_value(std::numeric_limits<double>::infinity())
      .double_value(std::numeric_limits<double>::quiet_NaN())
      .end_array();
  ASSERT_EQ(w.result(), Result::kOk);
  EXPECT_EQ(w.view(), "[0.1,-2.5,1e+300,0.30000000000000004,null,null]");
}

TEST(JsonWriter, RawAndTokenValues) {
  char buf[128];
  Writer w(buf);
  Token seed;
  ASSERT_EQ(parse("{\n    gpio: {\n        pin: 2,\n        state: 0\n    }\n}", &seed),
            Result::kOk);
  w.begin_object().key("raw").raw_value("[1, 2]").key("cmd").token_value(seed).end_object();
  ASSERT_EQ(w.result(), Result::kOk);
  EXPECT_EQ(w.view(), R"({"raw":[1, 2],"cmd":{"gpio":{"pin":2,"state":0}}})");
}

TEST(JsonWriter, TokenValueKeepsStrictJsonStrict) {
  constexpr std::string_view doc = R"( { "a\"b" : [ "x\u0041" , -1.5e3 , true , null , { } , [ ] ] } )";
  Token t;
  ASSERT_EQ(parse(doc, &t), Result::kOk);
  char buf[128];
  Writer w(buf);
  w.token_value(t);
  ASSERT_EQ(w.result(), Result::kOk);
  EXPECT_EQ(w.view(), R"({"a\"b":["x\u0041",-1.5e3,true,null,{},[]]})");
}

TEST(JsonWriter, TokenValueRejectsBadTokens) {
  char buf[32];
  Writer w(buf);
  w.token_value(Token{Type::kObject, "{a:1,"});
  EXPECT_EQ(w.result(), Result::kTruncated);
  Writer w2(buf);
  w2.token_value(Token{Type::kString, "bare"});  // a bare identifier is not a value
  EXPECT_EQ(w2.result(), Result::kMalformed);
}

TEST(JsonWriter, Misuse) {
  char buf[32];
  {
    Writer w(buf);
    w.begin_object().int_value(1);  // value without key
    EXPECT_EQ(w.result(), Result::kMalformed);
  }
  {
    Writer w(buf);
    w.begin_array().key("a");  // key in an array
    EXPECT_EQ(w.result(), Result::kMalformed);
  }
  {
    Writer w(buf);
    w.begin_array().end_object();  // mismatched close
    EXPECT_EQ(w.result(), Result::kMalformed);
  }
  {
    Writer w(buf);
    w.end_array();
    EXPECT_EQ(w.result(), Result::kMalformed);
  }
  {
    Writer w(buf);
    w.int_value(1).int_value(2);  // two roots
    EXPECT_EQ(w.result(), Result::kMalformed);
  }
  {
    Writer w(buf);
    w.begin_object().key("a").end_object();  // key without value
    EXPECT_EQ(w.result(), Result::kMalformed);
  }
}

TEST(JsonWriter, NestingLimit) {
  Writer w;
  for (int i = 0; i < MOS_JSON_MAX_DEPTH; ++i) w.begin_array();
  EXPECT_EQ(w.result(), Result::kOk);
  w.begin_array();
  EXPECT_EQ(w.result(), Result::kTooDeep);
}

TEST(JsonWriter, EmptyContainersAndNestedCommas) {
  char buf[64];
  Writer w(buf);
  w.begin_array()
      .begin_object().end_object()
      .begin_array().end_array()
      .begin_object().key("a").begin_array().int_value(1).int_value(2).end_array()
      .key("b").begin_object().end_object().end_object()
      .end_array();
  ASSERT_EQ(w.result(), Result::kOk);
  EXPECT_EQ(w.view(), R"([{},[],{"a":[1,2],"b":{}}])");
}

}  // namespace
}  // namespace mos::json

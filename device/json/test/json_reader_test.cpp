#include <gtest/gtest.h>

#include <string>

#include "mos/json.h"

namespace mos::json {
namespace {

// The seed's message exactly as a person types it into an MQTT test client.
constexpr std::string_view kSeed = "{\n    gpio: {\n        pin: 2,\n        state: 0\n    }\n}";

TEST(JsonReader, SeedMessageAsTyped) {
  int pin = -1, state = -1;
  ASSERT_EQ(get_int(kSeed, "gpio.pin", &pin), Result::kOk);
  ASSERT_EQ(get_int(kSeed, "gpio.state", &state), Result::kOk);
  EXPECT_EQ(pin, 2);
  EXPECT_EQ(state, 0);
  Token gpio;
  ASSERT_EQ(find(kSeed, "gpio", &gpio), Result::kOk);
  EXPECT_TRUE(gpio.is_object());
  EXPECT_EQ(get_int(kSeed, "gpio.missing", &pin), Result::kNotFound);
  EXPECT_EQ(get_int(kSeed, "button.pin", &pin), Result::kNotFound);
}

TEST(JsonReader, SeedVariantsWithTabsCrlfAndOneLine) {
  for (std::string_view text : {
           std::string_view("{gpio:{pin:2,state:1}}"),
           std::string_view("{\tgpio :\t{ pin : 2 , state : 1 } }\r\n"),
           std::string_view("\r\n{\r\n  \"gpio\": {\"pin\": 2, state: 1}\r\n}\r\n"),
       }) {
    int pin = -1, state = -1;
    ASSERT_EQ(get_int(text, "gpio.pin", &pin), Result::kOk) << text;
    ASSERT_EQ(get_int(text, "gpio.state", &state), Result::kOk) << text;
    EXPECT_EQ(pin, 2);
    EXPECT_EQ(state, 1);
  }
}

TEST(JsonReader, BareIdentifierKeyCharacters) {
  int v = 0;
  EXPECT_EQ(get_int("{_a$1: 5}", "_a$1", &v), Result::kOk);
  EXPECT_EQ(v, 5);
  EXPECT_EQ(get_int("{$: 6}", "$", &v), Result::kOk);
  EXPECT_EQ(v, 6);
  // Identifiers cannot start with a digit or contain '-'; values stay strict.
  EXPECT_EQ(parse("{1a: 5}"), Result::kMalformed);
  EXPECT_EQ(parse("{a-b: 5}"), Result::kMalformed);
  EXPECT_EQ(parse("{a: b}"), Result::kMalformed);
  EXPECT_EQ(parse("{'a': 1}"), Result::kMalformed);
}

TEST(JsonReader, StrictJsonCases) {
  constexpr std::string_view doc =
      R"({"s":"x","n":-12.5e+2,"t":true,"f":false,"z":null,"a":[1,[2,3],{"k":"v"}],"e":{},"ea":[]})";
  Token root;
  ASSERT_EQ(parse(doc, &root), Result::kOk);
  EXPECT_TRUE(root.is_object());
  EXPECT_EQ(root.text, doc);
  double d = 0;
  ASSERT_EQ(get_double(doc, "n", &d), Result::kOk);
  EXPECT_EQ(d, -1250.0);
  bool b = false;
  ASSERT_EQ(get_bool(doc, "t", &b), Result::kOk);
  EXPECT_TRUE(b);
  ASSERT_EQ(get_bool(doc, "f", &b), Result::kOk);
  EXPECT_FALSE(b);
  Token t;
  ASSERT_EQ(find(doc, "z", &t), Result::kOk);
  EXPECT_TRUE(t.is_null());
  int v = 0;
  ASSERT_EQ(get_int(doc, "a[0]", &v), Result::kOk);
  EXPECT_EQ(v, 1);
  ASSERT_EQ(get_int(doc, "a[1][1]", &v), Result::kOk);
  EXPECT_EQ(v, 3);
  char buf[8];
  ASSERT_EQ(get_string(doc, "a[2].k", buf), Result::kOk);
  EXPECT_STREQ(buf, "v");
  EXPECT_EQ(get_int(doc, "a[3]", &v), Result::kNotFound);
  ASSERT_EQ(find(doc, "e", &t), Result::kOk);
  EXPECT_EQ(t.text, "{}");
  ASSERT_EQ(find(doc, "ea", &t), Result::kOk);
  EXPECT_EQ(t.text, "[]");
  // Scalars as the root are documents too (RFC 8259 §2).
  EXPECT_EQ(parse(" 42 "), Result::kOk);
  EXPECT_EQ(parse("\"x\""), Result::kOk);
  ASSERT_EQ(get_int("[10,20]", "[1]", &v), Result::kOk);
  EXPECT_EQ(v, 20);
}

TEST(JsonReader, WrongTypes) {
  constexpr std::string_view doc = R"({"s":"1","n":1.5,"e":1e3,"b":true})";
  int v = 0;
  bool b = false;
  double d = 0;
  char buf[4];
  EXPECT_EQ(get_int(doc, "s", &v), Result::kWrongType);
  EXPECT_EQ(get_int(doc, "n", &v), Result::kWrongType);
  EXPECT_EQ(get_int(doc, "e", &v), Result::kWrongType);
  EXPECT_EQ(get_int(doc, "b", &v), Result::kWrongType);
  EXPECT_EQ(get_bool(doc, "n", &b), Result::kWrongType);
  EXPECT_EQ(get_double(doc, "s", &d), Result::kWrongType);
  EXPECT_EQ(get_string(doc, "n", buf), Result::kWrongType);
  // Descending into a scalar or indexing an object finds nothing.
  EXPECT_EQ(get_int(doc, "s.x", &v), Result::kNotFound);
  EXPECT_EQ(get_int(doc, "[0]", &v), Result::kNotFound);
}

TEST(JsonReader, StringEscapes) {
  constexpr std::string_view doc =
      R"({"s":"q\" b\\ s\/ \b\f\n\r\t \u0041\u00e9\u20ac\ud83d\ude00 end"})";
  char buf[64];
  size_t len = 0;
  ASSERT_EQ(get_string(doc, "s", buf, &len), Result::kOk);
  const std::string want = "q\" b\\ s/ \b\f\n\r\t A\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80 end";
  EXPECT_EQ(std::string(buf, len), want);
  EXPECT_EQ(len, want.size());
  // Escaped key matches its unescaped name.
  int v = 0;
  ASSERT_EQ(get_int(R"({"p\u0069n": 7})", "pin", &v), Result::kOk);
  EXPECT_EQ(v, 7);
  // \u0000 decodes to a NUL byte inside the string; len says so.
  ASSERT_EQ(get_string(R"(["a\u0000b"])", "[0]", buf, &len), Result::kOk);
  EXPECT_EQ(std::string(buf, len), std::string("a\0b", 3));
}

TEST(JsonReader, BadStrings) {
  EXPECT_EQ(parse(R"(["\x"])"), Result::kMalformed);
  EXPECT_EQ(parse(R"(["\u12G4"])"), Result::kMalformed);
  EXPECT_EQ(parse(R"(["\ude00"])"), Result::kMalformed);        // lone low surrogate
  EXPECT_EQ(parse(R"(["\ud83d"])"), Result::kMalformed);        // lone high surrogate
  EXPECT_EQ(parse(R"(["\ud83dx"])"), Result::kMalformed);
  EXPECT_EQ(parse(R"(["\ud83d\u0041"])"), Result::kMalformed);  // high + non-low
  EXPECT_EQ(parse("[\"a\nb\"]"), Result::kMalformed);          // raw control char
  EXPECT_EQ(parse(std::string_view("[\"a\0b\"]", 7)), Result::kMalformed);
}

TEST(JsonReader, StringBufferTooSmall) {
  char buf[4];
  size_t len = 99;
  EXPECT_EQ(get_string(R"({"s":"abcd"})", "s", buf, &len), Result::kNoSpace);
  EXPECT_STREQ(buf, "");
  EXPECT_EQ(len, 99u);
  ASSERT_EQ(get_string(R"({"s":"abc"})", "s", buf, &len), Result::kOk);  // 3 + NUL fits
  EXPECT_STREQ(buf, "abc");
  EXPECT_EQ(get_string(R"({"s":"abc"})", "s", Span<char>()), Result::kNoSpace);
}

TEST(JsonReader, Truncated) {
  for (std::string_view text : {"", "   ", "{", "{gpio", "{gpio:", "{gpio: {pin: 2,", "[1,2",
                                "\"abc", "\"a\\", "\"\\u12", "tru", "nul", "-", "1.", "1e",
                                "1e+", "{\"a\"", "[\"\\ud83d"}) {
    EXPECT_EQ(parse(text), Result::kTruncated) << "'" << text << "'";
  }
  // Every proper prefix of the seed message is truncated, never malformed.
  for (size_t n = 0; n < kSeed.size(); ++n) {
    std::string_view prefix = kSeed.substr(0, n);
    EXPECT_EQ(parse(prefix), Result::kTruncated) << n;
  }
}

TEST(JsonReader, TrailingGarbageAndSyntaxErrors) {
  for (std::string_view text :
       {"{} x", "{}{}", "1 2", "[1,]", "{a:1,}", "[,1]", "{,}", "{a 1}", "{a:1 b:2}", "[1;2]",
        "}", "]", "truex", "nulll", "True", "{a:1}}", "[1]]", "\xff", "{a:1}\x01"}) {
    EXPECT_EQ(parse(text), Result::kMalformed) << "'" << text << "'";
  }
  // Trailing whitespace is fine.
  EXPECT_EQ(parse("{a:1} \t\r\n"), Result::kOk);
  // find() validates the whole document first: garbage after the match fails.
  int v = 0;
  EXPECT_EQ(get_int("{a:1, b:]", "a", &v), Result::kMalformed);
}

TEST(JsonReader, InvalidNumbers) {
  for (std::string_view text :
       {"01", "-01", "+1", ".5", "1.e3", "1.5.", "0x10", "1e3.5", "--1", "- 1", "1a", "NaN",
        "Infinity", "-Infinity", "1ee2"}) {
    EXPECT_EQ(parse(text), Result::kMalformed) << text;
  }
  for (std::string_view text : {"0", "-0", "0.0", "1E5", "1e-5", "-1.25E+10", "123456789"}) {
    EXPECT_EQ(parse(text), Result::kOk) << text;
  }
}

TEST(JsonReader, IntegerRanges) {
  Token t;
  int v = 0;
  int64_t w = 0;
  auto num = [&](std::string_view s) {
    EXPECT_EQ(parse(s, &t), Result::kOk) << s;
    return t;
  };
  EXPECT_EQ(as_int(num("2147483647"), &v), Result::kOk);
  EXPECT_EQ(v, INT32_MAX);
  EXPECT_EQ(as_int(num("-2147483648"), &v), Result::kOk);
  EXPECT_EQ(v, INT32_MIN);
  EXPECT_EQ(as_int(num("2147483648"), &v), Result::kOutOfRange);
  EXPECT_EQ(as_int(num("-2147483649"), &v), Result::kOutOfRange);
  EXPECT_EQ(as_int64(num("9223372036854775807"), &w), Result::kOk);
  EXPECT_EQ(w, INT64_MAX);
  EXPECT_EQ(as_int64(num("-9223372036854775808"), &w), Result::kOk);
  EXPECT_EQ(w, INT64_MIN);
  EXPECT_EQ(as_int64(num("9223372036854775808"), &w), Result::kOutOfRange);
  EXPECT_EQ(as_int64(num("-9223372036854775809"), &w), Result::kOutOfRange);
  EXPECT_EQ(as_int64(num("99999999999999999999999999999"), &w), Result::kOutOfRange);
  EXPECT_EQ(as_int(num("-0"), &v), Result::kOk);
  EXPECT_EQ(v, 0);
}

TEST(JsonReader, Doubles) {
  Token t;
  double d = 0;
  ASSERT_EQ(parse("0.1", &t), Result::kOk);
  ASSERT_EQ(as_double(t, &d), Result::kOk);
  EXPECT_EQ(d, 0.1);
  ASSERT_EQ(parse("1e400", &t), Result::kOk);  // valid JSON, but no double holds it
  EXPECT_EQ(as_double(t, &d), Result::kOutOfRange);
  ASSERT_EQ(parse("-1e400", &t), Result::kOk);
  EXPECT_EQ(as_double(t, &d), Result::kOutOfRange);
  ASSERT_EQ(parse("1e-400", &t), Result::kOk);  // underflows to zero: fine
  ASSERT_EQ(as_double(t, &d), Result::kOk);
  EXPECT_EQ(d, 0.0);
  std::string longnum(100, '1');
  ASSERT_EQ(parse(longnum, &t), Result::kOk);
  EXPECT_EQ(as_double(t, &d), Result::kOutOfRange);
}

std::string nested(int depth, bool objects) {
  std::string s;
  for (int i = 0; i < depth; ++i) s += objects ? "{a:" : "[";
  s += "1";
  for (int i = 0; i < depth; ++i) s += objects ? "}" : "]";
  return s;
}

TEST(JsonReader, NestingLimit) {
  EXPECT_EQ(parse(nested(MOS_JSON_MAX_DEPTH, false)), Result::kOk);
  EXPECT_EQ(parse(nested(MOS_JSON_MAX_DEPTH, true)), Result::kOk);
  EXPECT_EQ(parse(nested(MOS_JSON_MAX_DEPTH + 1, false)), Result::kTooDeep);
  EXPECT_EQ(parse(nested(MOS_JSON_MAX_DEPTH + 1, true)), Result::kTooDeep);
  // A hostile input far past the limit fails fast without deep recursion.
  EXPECT_EQ(parse(std::string(100000, '[')), Result::kTooDeep);
  int v = 0;
  EXPECT_EQ(get_int(nested(MOS_JSON_MAX_DEPTH + 1, true), "a", &v), Result::kTooDeep);
}

TEST(JsonReader, DuplicateKeysFirstWins) {
  int v = 0;
  ASSERT_EQ(get_int("{a: 1, a: 2}", "a", &v), Result::kOk);
  EXPECT_EQ(v, 1);
  ASSERT_EQ(get_int(R"({"a": 1, a: 2})", "a", &v), Result::kOk);
  EXPECT_EQ(v, 1);
}

TEST(JsonReader, BadPaths) {
  int v = 0;
  for (std::string_view path : {".", "a.", "a..b", ".a", "a[", "a[]", "a[x]", "a[1", "a[1]b",
                                "[-1]", "a.[0]"}) {
    EXPECT_EQ(get_int("{a:[1]}", path, &v), Result::kBadPath) << path;
  }
  EXPECT_EQ(get_int("{a:[1]}", "a[99999999999999999999999]", &v), Result::kBadPath);
}

TEST(JsonReader, IteratorObjectAndArray) {
  constexpr std::string_view doc = R"({ b: 1, "c\n": [true, null, "x"], d: {} })";
  Token root;
  ASSERT_EQ(parse(doc, &root), Result::kOk);
  Iterator it(root);
  Token k, v;
  ASSERT_TRUE(it.next(&k, &v));
  EXPECT_EQ(k.text, "b");
  EXPECT_EQ(v.text, "1");
  ASSERT_TRUE(it.next(&k, &v));
  EXPECT_EQ(k.text, R"("c\n")");
  EXPECT_TRUE(string_equals(k, "c\n"));
  EXPECT_FALSE(string_equals(k, "c"));
  EXPECT_FALSE(string_equals(k, "c\nx"));
  ASSERT_TRUE(v.is_array());
  ASSERT_TRUE(it.next(&k, &v));
  EXPECT_EQ(k.text, "d");
  EXPECT_TRUE(v.is_object());
  EXPECT_FALSE(it.next(&k, &v));
  EXPECT_EQ(it.result(), Result::kOk);
  EXPECT_EQ(it.index(), 3u);

  Token arr;
  ASSERT_EQ(find(doc, "c\n", &arr), Result::kOk);  // keys with escapes need no quoting in paths
  Iterator ai(arr);
  Type types[3] = {};
  size_t n = 0;
  while (ai.next(&k, &v)) {
    EXPECT_EQ(k.type, Type::kInvalid);
    types[n++] = v.type;
  }
  EXPECT_EQ(n, 3u);
  EXPECT_EQ(types[0], Type::kTrue);
  EXPECT_EQ(types[1], Type::kNull);
  EXPECT_EQ(types[2], Type::kString);
}

TEST(JsonReader, IteratorOnHandMadeOrScalarTokens) {
  Token scalar{Type::kNumber, "1"};
  Iterator it(scalar);
  EXPECT_FALSE(it.next(nullptr, nullptr));
  EXPECT_EQ(it.result(), Result::kWrongType);
  Token broken{Type::kObject, "{a:1,"};  // never produced by the reader
  Iterator bi(broken);
  EXPECT_TRUE(bi.next(nullptr, nullptr));
  EXPECT_FALSE(bi.next(nullptr, nullptr));
  EXPECT_EQ(bi.result(), Result::kTruncated);
  Token lying{Type::kArray, "{1}"};
  Iterator li(lying);
  EXPECT_FALSE(li.next(nullptr, nullptr));
  EXPECT_EQ(li.result(), Result::kMalformed);
}

TEST(JsonReader, BareKeyTokenAsString) {
  Token root;
  ASSERT_EQ(parse("{gpio: 1}", &root), Result::kOk);
  Iterator it(root);
  Token k, v;
  ASSERT_TRUE(it.next(&k, &v));
  char buf[8];
  size_t len = 0;
  ASSERT_EQ(as_string(k, buf, &len), Result::kOk);
  EXPECT_STREQ(buf, "gpio");
  EXPECT_EQ(len, 4u);
}

}  // namespace
}  // namespace mos::json

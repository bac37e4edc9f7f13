// What the console refuses before its shared broker connection sees it, and
// the messages a person gets.
#include "mqtt_names.h"

#include <gtest/gtest.h>

using namespace mos::console;

namespace {

TEST(Filters, ValidOnesPass) {
  for (const char* f : {"/response", "#", "+", "a/+/c", "a/#", "$aws/things/dev1/shadow/#", "dev1/rpc", "+/+/#",
                        "a//b", "\xc3\xa9t\xc3\xa9/x"})
    EXPECT_EQ(filter_problem(f), "") << f;
}

TEST(Filters, WildcardRulesSayWhy) {
  EXPECT_EQ(filter_problem("a/#/b"), "Invalid topic filter 'a/#/b': '#' must be the last level.");
  EXPECT_EQ(filter_problem("a#"), "Invalid topic filter 'a#': '#' must be a whole level (e.g. a/#, not a#).");
  EXPECT_EQ(filter_problem("a/b+/c"), "Invalid topic filter 'a/b+/c': '+' must be a whole level (e.g. a/+/c, not a+).");
  EXPECT_EQ(filter_problem(""), "The topic filter is empty; give one, e.g. /response.");
}

TEST(Filters, Utf8AndControlCharactersAndAwsLimits) {
  EXPECT_NE(filter_problem(std::string("a\0b", 3)).find("UTF-8 without control characters"), std::string::npos);
  EXPECT_NE(filter_problem("a\nb").find("UTF-8 without control characters"), std::string::npos);
  EXPECT_NE(filter_problem("\xff").find("UTF-8"), std::string::npos);
  EXPECT_EQ(filter_problem("a/b/c/d/e/f/g/h/i"),
            "Invalid topic filter 'a/b/c/d/e/f/g/h/i': topic has 8 forward slashes (9 levels); AWS IoT allows at most "
            "7 (8 levels).");
  std::string longest(256, 'x');
  EXPECT_EQ(filter_problem(longest), "");
  EXPECT_NE(filter_problem(longest + "x").find("topic is 257 bytes; AWS IoT allows at most 256"), std::string::npos);
}

TEST(Topics, NoWildcards) {
  EXPECT_EQ(topic_problem("/request"), "");
  EXPECT_EQ(topic_problem("a/+"), "Invalid topic 'a/+': a topic to publish to cannot hold the wildcards '+' or '#'.");
  EXPECT_NE(topic_problem("#").find("cannot hold the wildcards"), std::string::npos);
  EXPECT_EQ(topic_problem(""), "The topic is empty; give one, e.g. /response.");
}

TEST(Payload, AwsIotLimit) {
  EXPECT_EQ(payload_problem(131072), "");
  EXPECT_EQ(payload_problem(131073), "The payload is 131073 bytes; AWS IoT Core's limit is 131072 bytes.");
  EXPECT_EQ(payload_problem(1048576), "The payload is 1048576 bytes; AWS IoT Core's limit is 131072 bytes.");
}

TEST(Utf8, Rfc3629) {
  EXPECT_TRUE(is_utf8(""));
  EXPECT_TRUE(is_utf8("{gpio: {pin: 2,\n state: 0}}\t\r"));
  EXPECT_TRUE(is_utf8("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));
  EXPECT_TRUE(is_utf8(std::string("\0", 1)));
  EXPECT_FALSE(is_utf8("\xc3"));                  // truncated
  EXPECT_FALSE(is_utf8("\xc0\xaf"));              // overlong '/'
  EXPECT_FALSE(is_utf8("\xe0\x80\xaf"));          // overlong
  EXPECT_FALSE(is_utf8("\xed\xa0\x80"));          // surrogate U+D800
  EXPECT_FALSE(is_utf8("\xf4\x90\x80\x80"));      // above U+10FFFF
  EXPECT_FALSE(is_utf8("\x80"));                  // continuation first
  EXPECT_FALSE(is_utf8("\xff\xfe"));
}

TEST(Base64, Rfc4648Vectors) {  // RFC 4648 §10
  EXPECT_EQ(base64(""), "");
  EXPECT_EQ(base64("f"), "Zg==");
  EXPECT_EQ(base64("fo"), "Zm8=");
  EXPECT_EQ(base64("foo"), "Zm9v");
  EXPECT_EQ(base64("foob"), "Zm9vYg==");
  EXPECT_EQ(base64("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64(std::string("\xff\x00\xfe", 3)), "/wD+");
}

}  // namespace

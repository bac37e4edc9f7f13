// printable(): what `mos cloud denials` prints of a client's bytes.
#include "terminal_text.h"

#include <gtest/gtest.h>

using mos::cli::printable;

TEST(Printable, KeepsPlainTextAndUtf8) {
  EXPECT_EQ(printable("esp8266_ABC a/b/#"), "esp8266_ABC a/b/#");
  EXPECT_EQ(printable("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x92\xa1"), "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x92\xa1");
  EXPECT_EQ(printable(""), "");
}

TEST(Printable, EscapesControlsSoOneRecordIsOneLine) {
  EXPECT_EQ(printable("a\nb\r\tc"), "a\\x0ab\\x0d\\x09c");
  EXPECT_EQ(printable("\x1b[2J\x1b]0;pwned\x07"), "\\x1b[2J\\x1b]0;pwned\\x07");
  EXPECT_EQ(printable(std::string("nul\0del\x7f", 8)), "nul\\x00del\\x7f");
  EXPECT_EQ(printable("back\\slash"), "back\\\\slash");  // so "\x41" typed by a client stays visible as such
  EXPECT_EQ(printable("\\x41"), "\\\\x41");
}

TEST(Printable, EscapesC1ControlsBidiAndSeparators) {
  EXPECT_EQ(printable("\xc2\x9b" "31m"), "\\xc2\\x9b31m");  // U+009B CSI
  EXPECT_EQ(printable("\xc2\x85"), "\\xc2\\x85");           // U+0085 NEL
  EXPECT_EQ(printable("ab\xe2\x80\xae" "cd"), "ab\\xe2\\x80\\xaecd");  // U+202E right-to-left override
  EXPECT_EQ(printable("\xe2\x81\xa6"), "\\xe2\\x81\\xa6");  // U+2066 isolate
  EXPECT_EQ(printable("\xe2\x80\xa8"), "\\xe2\\x80\\xa8");  // U+2028 line separator
  EXPECT_EQ(printable("\xc2\xa0"), "\xc2\xa0");             // U+00A0 is text
}

TEST(Printable, EscapesMalformedUtf8ByteByByte) {
  EXPECT_EQ(printable("\xff"), "\\xff");
  EXPECT_EQ(printable("\xc0\xaf"), "\\xc0\\xaf");            // overlong '/'
  EXPECT_EQ(printable("\xe0\x80\xaf"), "\\xe0\\x80\\xaf");    // overlong, 3 bytes
  EXPECT_EQ(printable("\xed\xa0\x80"), "\\xed\\xa0\\x80");    // a surrogate
  EXPECT_EQ(printable("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");  // above U+10FFFF
  EXPECT_EQ(printable("\xe2\x82"), "\\xe2\\x82");             // truncated
  EXPECT_EQ(printable("\xe2\x82x"), "\\xe2\\x82x");           // resynchronises on the next byte
}

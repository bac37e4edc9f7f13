// Cookie parsing, Set-Cookie attributes and the Origin rule of the console.
#include "request_checks.h"

#include <gtest/gtest.h>

using namespace mos::console;

namespace {

mos::sigv4::Request req(std::vector<mos::sigv4::Header> headers, bool tls = false) {
  mos::sigv4::Request r;
  r.method = "GET";
  r.target = "/console/api/session";
  r.headers = std::move(headers);
  r.over_tls = tls;
  return r;
}

TEST(Cookies, FindsEveryValueOfTheName) {
  auto r = req({{"Cookie", "a=1; mos_console=abc;b=2"}, {"cookie", "mos_console=\"def\""}, {"Cookie", "mos_consolex=no"}});
  auto v = cookie_values(r, kCookieName);
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0], "abc");
  EXPECT_EQ(v[1], "def");
  EXPECT_TRUE(cookie_values(req({{"Cookie", "junk; ;=;mos_console"}}), kCookieName).empty());
  EXPECT_TRUE(cookie_values(req({}), kCookieName).empty());
}

TEST(Cookies, AttributesOfTheSessionCookie) {
  std::string c = session_cookie(std::string(64, 'a'), false);
  EXPECT_EQ(c, "mos_console=" + std::string(64, 'a') + "; Path=/console; HttpOnly; SameSite=Strict");
  EXPECT_EQ(session_cookie("t", true), "mos_console=t; Path=/console; HttpOnly; SameSite=Strict; Secure");
  EXPECT_NE(cleared_cookie(false).find("Max-Age=0"), std::string::npos);
  EXPECT_NE(cleared_cookie(true).find("; Secure"), std::string::npos);
}

TEST(Origin, SameSchemeHostAndPortOnly) {
  EXPECT_EQ(check_origin(req({{"Host", "127.0.0.1:4567"}, {"Origin", "http://127.0.0.1:4567"}})), OriginCheck::kSame);
  EXPECT_EQ(check_origin(req({{"Host", "LocalHost:4567"}, {"Origin", "http://localhost:4567"}})), OriginCheck::kSame);
  EXPECT_EQ(check_origin(req({{"Host", "127.0.0.1:4567"}, {"Origin", "https://127.0.0.1:4567"}})), OriginCheck::kOther);
  EXPECT_EQ(check_origin(req({{"Host", "127.0.0.1:4567"}, {"Origin", "https://127.0.0.1:4567"}}, true)),
            OriginCheck::kSame);
  EXPECT_EQ(check_origin(req({{"Host", "127.0.0.1:4567"}, {"Origin", "http://127.0.0.1:4568"}})), OriginCheck::kOther);
  EXPECT_EQ(check_origin(req({{"Host", "127.0.0.1:4567"}, {"Origin", "http://evil.example"}})), OriginCheck::kOther);
  EXPECT_EQ(check_origin(req({{"Host", "127.0.0.1:4567"}, {"Origin", "null"}})), OriginCheck::kOther);
  EXPECT_EQ(check_origin(req({{"Origin", "http://127.0.0.1:4567"}})), OriginCheck::kOther);  // no Host
  EXPECT_EQ(check_origin(req({{"Host", "127.0.0.1:4567"}})), OriginCheck::kMissing);
}

TEST(ConsoleHeader, OnlyTheExactValue) {
  EXPECT_TRUE(has_console_header(req({{"X-Mos-Console", "1"}})));
  EXPECT_TRUE(has_console_header(req({{"x-mos-console", " 1 "}})));
  EXPECT_FALSE(has_console_header(req({{"X-Mos-Console", "0"}})));
  EXPECT_FALSE(has_console_header(req({})));
}

}  // namespace

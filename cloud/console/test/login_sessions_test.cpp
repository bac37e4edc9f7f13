// Logins: random tokens, lookups only of tokens the server issued, 12 h idle
// expiry on an injected clock, at most 64 (the one idle longest goes), and
// the constant-time credential check.
#include "login_sessions.h"

#include <gtest/gtest.h>

#include <set>

using namespace mos::console;
using namespace std::chrono_literals;

namespace {

struct FakeClock {
  LoginSessions::Clock::time_point t{std::chrono::hours(1000)};
  std::function<LoginSessions::Clock::time_point()> fn() {
    return [this] { return t; };
  }
};

TEST(LoginSessions, TokensAreRandomHexAndOnlyIssuedOnesWork) {
  LoginSessions s;
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    std::string t = s.create();
    ASSERT_EQ(t.size(), 64u);
    EXPECT_EQ(t.find_first_not_of("0123456789abcdef"), std::string::npos);
    EXPECT_TRUE(seen.insert(t).second) << "a token repeated";
    EXPECT_TRUE(s.find(t).has_value());
  }
  std::string t = *seen.begin();
  std::string other = t;
  other[0] = other[0] == 'a' ? 'b' : 'a';
  EXPECT_FALSE(s.find(other).has_value());             // one character off
  EXPECT_FALSE(s.find(std::string(64, '0')).has_value());  // well-formed, never issued
  EXPECT_FALSE(s.find("").has_value());
  EXPECT_FALSE(s.find(t.substr(0, 63)).has_value());
  std::string upper = t;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (upper != t) {
    EXPECT_FALSE(s.find(upper).has_value());
  }
  EXPECT_FALSE(s.find(t + "0").has_value());
}

TEST(LoginSessions, IdleExpiryAndUseKeepsALoginAlive) {
  FakeClock clock;
  LoginSessions s(clock.fn());
  uint64_t a_id = 0;
  std::string a = s.create(&a_id), b = s.create();
  clock.t += 11h;
  EXPECT_TRUE(s.find(a).has_value());  // used: idle time starts again
  clock.t += 1h + 1s;                  // b idle 12 h 1 s, a 1 h 1 s
  EXPECT_FALSE(s.find(b).has_value());
  EXPECT_TRUE(s.find(a).has_value());
  EXPECT_TRUE(s.alive(a_id));
  clock.t += 12h;
  EXPECT_FALSE(s.alive(a_id));
  EXPECT_FALSE(s.find(a).has_value());
  EXPECT_EQ(s.size(), 0u);
}

TEST(LoginSessions, AtMost64TheOneIdleLongestGoes) {
  FakeClock clock;
  LoginSessions s(clock.fn());
  std::vector<std::string> tokens;
  for (int i = 0; i < 64; ++i) {
    tokens.push_back(s.create());
    clock.t += 1s;
  }
  EXPECT_TRUE(s.find(tokens[0]).has_value());  // the first is now the most recently used
  clock.t += 1s;
  std::string extra = s.create();
  EXPECT_EQ(s.size(), 64u);
  EXPECT_TRUE(s.find(tokens[0]).has_value());
  EXPECT_FALSE(s.find(tokens[1]).has_value());  // idle longest: pushed out
  EXPECT_TRUE(s.find(extra).has_value());
}

TEST(LoginSessions, DropEndsOneLogin) {
  LoginSessions s;
  uint64_t id = 0;
  std::string a = s.create(&id), b = s.create();
  s.drop(a);
  s.drop("not a token");
  EXPECT_FALSE(s.find(a).has_value());
  EXPECT_FALSE(s.alive(id));
  EXPECT_TRUE(s.find(b).has_value());
}

TEST(Credentials, BothMustMatchExactly) {
  EXPECT_TRUE(credentials_match("AKIDMOSLOCAL", "mos-local-secret", "AKIDMOSLOCAL", "mos-local-secret"));
  EXPECT_FALSE(credentials_match("AKIDMOSLOCAL", "mos-local-secreT", "AKIDMOSLOCAL", "mos-local-secret"));
  EXPECT_FALSE(credentials_match("AKIDMOSLOCAL", "mos-local-secret-", "AKIDMOSLOCAL", "mos-local-secret"));
  EXPECT_FALSE(credentials_match("AKIDMOSLOCAL", "", "AKIDMOSLOCAL", "mos-local-secret"));
  EXPECT_FALSE(credentials_match("AKIDMOSLOCAX", "mos-local-secret", "AKIDMOSLOCAL", "mos-local-secret"));
  EXPECT_FALSE(credentials_match("mos-local-secret", "AKIDMOSLOCAL", "AKIDMOSLOCAL", "mos-local-secret"));
  EXPECT_FALSE(credentials_match(std::string("AKIDMOSLOCAL\0", 13), "mos-local-secret", "AKIDMOSLOCAL",
                                 "mos-local-secret"));
}

}  // namespace

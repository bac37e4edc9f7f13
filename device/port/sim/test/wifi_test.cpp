#include "mos/sim/wifi.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fake_clock.h"
#include "mos/log.h"

namespace mos::sim {
namespace {

struct Capture {
  std::vector<std::string> lines;
  std::vector<WifiStatus> events;
  static void sink(LogLevel, std::string_view line, void* ctx) {
    static_cast<Capture*>(ctx)->lines.emplace_back(line);
  }
  static void event(WifiStatus s, void* ctx) { static_cast<Capture*>(ctx)->events.push_back(s); }
  bool logged(const std::string& what) const {
    for (const auto& l : lines) {
      if (l.find(what) != std::string::npos) return true;
    }
    return false;
  }
};

class WifiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    set_log_sink(&Capture::sink, &cap_);
    wifi_.set_event_handler(&Capture::event, &cap_);
    AccessPoint ap;
    std::string why;
    ASSERT_EQ(parse_access_point("HomeNet:secret123", &ap, &why), Status::kOk) << why;
    wifi_.add_access_point(ap);
  }
  void TearDown() override { set_log_sink(nullptr, nullptr); }
  void advance(uint64_t ms) {
    for (uint64_t i = 0; i < ms; ++i) {
      clock_.now++;
      loop_.run_once(0);
    }
  }
  test::FakeClock clock_;
  EventLoop loop_{clock_};
  VirtualWifi wifi_{loop_};
  Capture cap_;
};

TEST_F(WifiTest, RightPasswordJoinsThenGetsIp) {
  ASSERT_EQ(wifi_.connect("HomeNet", "secret123"), Status::kOk);
  EXPECT_EQ(wifi_.status(), WifiStatus::kConnecting);
  EXPECT_FALSE(wifi_.has_ip());
  EXPECT_STREQ(wifi_.ip(), "");
  advance(VirtualWifi::kAssocMs);
  EXPECT_EQ(wifi_.status(), WifiStatus::kConnected);
  EXPECT_FALSE(wifi_.has_ip());  // associated, but no network before DHCP
  advance(VirtualWifi::kDhcpMs);
  EXPECT_TRUE(wifi_.has_ip());
  EXPECT_STREQ(wifi_.ip(), "127.0.0.1");
  EXPECT_EQ(wifi_.ssid(), "HomeNet");
  EXPECT_TRUE(cap_.logged("got IP 127.0.0.1"));
  const std::vector<WifiStatus> want = {WifiStatus::kConnecting, WifiStatus::kConnected,
                                        WifiStatus::kGotIp};
  EXPECT_EQ(cap_.events, want);
}

TEST_F(WifiTest, WrongPasswordIsRetriedWithDoublingBackoff) {
  ASSERT_EQ(wifi_.connect("HomeNet", "wrongpass"), Status::kOk);
  advance(VirtualWifi::kAssocMs);
  EXPECT_EQ(wifi_.attempts(), 1u);
  EXPECT_TRUE(cap_.logged("auth failed"));
  EXPECT_EQ(wifi_.status(), WifiStatus::kConnecting);
  advance(999);
  EXPECT_EQ(wifi_.attempts(), 1u);
  advance(1);  // 1 s after the first failure
  EXPECT_EQ(wifi_.attempts(), 2u);
  advance(1999);
  EXPECT_EQ(wifi_.attempts(), 2u);
  advance(1);  // then 2 s
  EXPECT_EQ(wifi_.attempts(), 3u);
  advance(60000);
  EXPECT_LE(wifi_.attempts(), 3u + 1 + 2 + 4);  // 4 s, 8 s, 16 s, 16 s...
  EXPECT_EQ(wifi_.next_retry_ms(), VirtualWifi::kRetryMaxMs);
  EXPECT_FALSE(wifi_.has_ip());
}

TEST_F(WifiTest, UnknownSsidIsNoApFound) {
  ASSERT_EQ(wifi_.connect("Elsewhere", "secret123"), Status::kOk);
  advance(VirtualWifi::kAssocMs + VirtualWifi::kDhcpMs);
  EXPECT_TRUE(cap_.logged("no AP found: Elsewhere"));
  EXPECT_FALSE(wifi_.has_ip());
}

TEST_F(WifiTest, ApGoingAwayDropsTheNetworkAndRetries) {
  ASSERT_EQ(wifi_.connect("HomeNet", "secret123"), Status::kOk);
  advance(300);
  ASSERT_TRUE(wifi_.has_ip());
  wifi_.remove_access_point("HomeNet");
  EXPECT_FALSE(wifi_.has_ip());
  advance(2000);
  EXPECT_TRUE(cap_.logged("no AP found"));
  wifi_.disconnect();
  EXPECT_EQ(wifi_.status(), WifiStatus::kDisconnected);
  uint32_t n = wifi_.attempts();
  advance(20000);
  EXPECT_EQ(wifi_.attempts(), n);
}

TEST(AccessPointSpec, ParsesAndValidates) {
  AccessPoint ap;
  std::string why;
  ASSERT_EQ(parse_access_point("Cafe", &ap, &why), Status::kOk);
  EXPECT_EQ(ap.ssid, "Cafe");
  EXPECT_EQ(ap.pass, "");
  ASSERT_EQ(parse_access_point("Lab:pass:with:colons", &ap, &why), Status::kOk);
  EXPECT_EQ(ap.pass, "pass:with:colons");
  EXPECT_EQ(parse_access_point(":secret123", &ap, &why), Status::kInvalidArg);
  EXPECT_EQ(parse_access_point("Lab:short", &ap, &why), Status::kInvalidArg);
  EXPECT_NE(why.find("8 to 63"), std::string::npos);
  EXPECT_EQ(parse_access_point(std::string(33, 'x'), &ap, &why), Status::kInvalidArg);
}

}  // namespace
}  // namespace mos::sim

#include "mos/require.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mos/log.h"

namespace {

struct Capture {
  std::vector<std::string> lines;
  static void sink(mos::LogLevel, std::string_view line, void* ctx) {
    static_cast<Capture*>(ctx)->lines.emplace_back(line);
  }
};

class RequireTest : public ::testing::Test {
 protected:
  void SetUp() override { mos::set_log_sink(&Capture::sink, &cap_); }
  void TearDown() override { mos::set_log_sink(nullptr, nullptr); }
  Capture cap_;
};

TEST_F(RequireTest, OkPassesSilently) {
  EXPECT_TRUE(mos::require(mos::Status::kOk, "poller for the UART", "MOS_LOOP_MAX_POLLERS"));
  EXPECT_TRUE(cap_.lines.empty());
}

TEST_F(RequireTest, FullTableNamesTheLimitToRaise) {
  EXPECT_FALSE(mos::require(mos::Status::kNoSpace, "RPC handler GPIO.Read", "MOS_RPC_MAX_HANDLERS"));
  ASSERT_EQ(cap_.lines.size(), 1u);
  EXPECT_EQ(cap_.lines[0],
            "boot: cannot register RPC handler GPIO.Read: no space; raise MOS_RPC_MAX_HANDLERS in "
            "defaults.h");
}

TEST_F(RequireTest, OtherFailuresGiveNoRaiseHint) {
  EXPECT_FALSE(mos::require(mos::Status::kInvalidArg, "RPC handler GPIO.Read", "MOS_RPC_MAX_HANDLERS"));
  ASSERT_EQ(cap_.lines.size(), 1u);
  EXPECT_EQ(cap_.lines[0], "boot: cannot register RPC handler GPIO.Read: invalid argument");
}

}  // namespace

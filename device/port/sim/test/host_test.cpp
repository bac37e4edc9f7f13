#include "mos/sim/host.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "mos/sim/console.h"

namespace mos::sim {
namespace {

TEST(Mac, StablePerNameLocallyAdministeredUnicast) {
  Mac a = mac_for_name("board1");
  Mac b = mac_for_name("board1");
  Mac c = mac_for_name("board2");
  char sa[18], sc[18];
  format_mac(a, sa, sizeof(sa));
  format_mac(c, sc, sizeof(sc));
  EXPECT_EQ(std::string(sa), [&] {
    char s[18];
    format_mac(b, s, sizeof(s));
    return std::string(s);
  }());
  EXPECT_NE(std::string(sa), std::string(sc));
  // Names differing in one character differ in the last three bytes too
  // (they make device.id).
  Mac d = mac_for_name("board3");
  EXPECT_FALSE(a.b[3] == d.b[3] && a.b[4] == d.b[4] && a.b[5] == d.b[5]);
  EXPECT_EQ(a.b[0] & 0x02, 0x02);  // locally administered
  EXPECT_EQ(a.b[0] & 0x01, 0x00);  // unicast
  EXPECT_EQ(std::string(sa).size(), 17u);
}

TEST(Clock, MonotonicFromBoot) {
  MonotonicClock clock;
  uint64_t t0 = clock.now_ms();
  EXPECT_LT(t0, 1000u);
  usleep(20000);
  EXPECT_GE(clock.now_ms(), t0 + 19);
}

TEST(Random, NotConstant) {
  KernelRandom r;
  uint32_t first = r.next_u32();
  bool differs = false;
  for (int i = 0; i < 8 && !differs; ++i) differs = r.next_u32() != first;
  EXPECT_TRUE(differs);
}

TEST(Console, LineLooksLikeMongooseOs) {
  char buf[64];
  // 2026-11-27T06:01:02.123Z
  size_t n = format_stamp(1795759262123LL, buf, sizeof(buf));
  EXPECT_EQ(std::string(buf, n), "[Nov 27 06:01:02.123] ");
  n = format_log_line(1795759262005LL, LogLevel::kWarn, "WiFi STA: auth failed", buf, sizeof(buf));
  EXPECT_EQ(std::string(buf, n), "[Nov 27 06:01:02.005] W WiFi STA: auth failed");
  // Truncated to the buffer, always terminated.
  n = format_log_line(1795759262005LL, LogLevel::kInfo, std::string(100, 'x'), buf, 30);
  EXPECT_EQ(n, 29u);
  EXPECT_EQ(buf[29], '\0');
  EXPECT_EQ(format_log_line(0, LogLevel::kInfo, "x", buf, 0), 0u);
}

TEST(AtomicFile, ReplacesContent) {
  char tmpl[] = "/tmp/mos-atomic-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string path = std::string(tmpl) + "/f.json";
  ASSERT_EQ(write_file_atomic(path.c_str(), "one"), Status::kOk);
  ASSERT_EQ(write_file_atomic(path.c_str(), "two"), Status::kOk);
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(ss.str(), "two");
  EXPECT_NE(write_file_atomic("/nonexistent-dir/x", "y"), Status::kOk);
  ::unlink(path.c_str());
  ::rmdir(tmpl);
}

}  // namespace
}  // namespace mos::sim

#include "mos/sim/pty_uart.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>

namespace mos::sim {
namespace {

std::string read_some(int fd, int timeout_ms = 1000) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) <= 0) return "";
  char buf[256];
  ssize_t n = ::read(fd, buf, sizeof(buf));
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

std::string uart_read(PtyUart& u) {
  uint8_t buf[256];
  for (int i = 0; i < 100; ++i) {
    int32_t n = u.read(buf);
    if (n > 0) return std::string(reinterpret_cast<char*>(buf), static_cast<size_t>(n));
    usleep(10000);
  }
  return "";
}

TEST(PtyUart, TerminalProgramSeesOutputAndSendsInput) {
  PtyUart u;
  ASSERT_EQ(u.open(), Status::kOk) << u.error();
  ASSERT_EQ(std::string(u.path()).rfind("/dev/pts/", 0), 0u) << u.path();
  EXPECT_FALSE(u.listener_present());
  // Nobody listens yet: dropped, and not kept for a later listener.
  EXPECT_EQ(u.write(as_bytes("early\r\n")), 7);
  EXPECT_EQ(u.dropped_bytes(), 7u);
  uint8_t buf[16];
  EXPECT_EQ(u.read(buf), 0);  // idle line, not an error

  int s = ::open(u.path(), O_RDWR | O_NOCTTY);
  ASSERT_GE(s, 0);
  EXPECT_TRUE(u.listener_present());
  EXPECT_EQ(u.write(as_bytes("hello\r\n")), 7);
  EXPECT_EQ(read_some(s), "hello\r\n");  // raw: CR LF untouched, nothing stale

  // Raw mode: bytes arrive as sent (no echo, no line buffering, 8 bits).
  const char garbage[] = "\x03\x7f\xff\x00zz";
  ASSERT_EQ(::write(s, garbage, 6), 6);
  EXPECT_EQ(uart_read(u), std::string(garbage, 6));
  EXPECT_EQ(read_some(s, 100), "");  // no echo back to the terminal
  ::close(s);
  EXPECT_FALSE(u.listener_present());
}

TEST(PtyUart, UnreadOutputIsDiscardedWhenTheListenerLeaves) {
  PtyUart u;
  ASSERT_EQ(u.open(), Status::kOk);
  int s = ::open(u.path(), O_RDWR | O_NOCTTY);
  ASSERT_GE(s, 0);
  EXPECT_EQ(u.write(as_bytes("unread\r\n")), 8);
  ::close(s);
  EXPECT_FALSE(u.listener_present());
  s = ::open(u.path(), O_RDWR | O_NOCTTY);
  ASSERT_GE(s, 0);
  EXPECT_EQ(u.write(as_bytes("fresh\r\n")), 7);
  EXPECT_EQ(read_some(s), "fresh\r\n");
  ::close(s);
}

TEST(PtyUart, StalledListenerDoesNotHangTheBoard) {
  PtyUart u;
  ASSERT_EQ(u.open(), Status::kOk);
  int s = ::open(u.path(), O_RDWR | O_NOCTTY);
  ASSERT_GE(s, 0);
  std::string chunk(4096, 'x');
  for (int i = 0; i < 16; ++i) EXPECT_EQ(u.write(as_bytes(chunk)), 4096);
  EXPECT_GT(u.dropped_bytes(), 0u);
  ::close(s);
}

TEST(PtyUart, AdoptKeepsThePath) {
  PtyUart a;
  ASSERT_EQ(a.open(), Status::kOk);
  std::string path = a.path();
  int fd = ::dup(a.fd());
  PtyUart b;
  ASSERT_EQ(b.adopt(fd), Status::kOk);
  EXPECT_EQ(path, b.path());
  PtyUart c;
  EXPECT_EQ(c.adopt(9999), Status::kInvalidArg);
}

}  // namespace
}  // namespace mos::sim

#include "mos/net/tcp_transport.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "mos/net/poll_waiter.h"

namespace mos::net {
namespace {

// A loopback listening socket on a free port chosen by the kernel.
class Listener {
 public:
  Listener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    EXPECT_EQ(::listen(fd_, 4), 0);
    socklen_t len = sizeof(a);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~Listener() { close(); }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  int accept_one() {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 2000) != 1) return -1;
    return ::accept(fd_, nullptr, nullptr);
  }
  uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

// Drives the transport until connected() or a failure, for at most 2 s.
bool wait_connected(TcpTransport& t) {
  PollWaiter w;
  EXPECT_EQ(w.watch(&t), Status::kOk);
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (std::chrono::steady_clock::now() < end) {
    if (t.connected()) return true;
    if (t.fd() < 0 || t.last_error()[0] != '\0') return false;
    w.wait(50);
  }
  return false;
}

TEST(TcpTransport, ExchangesBytesWithALoopbackPeer) {
  Listener l;
  TcpTransport t;
  Status s = t.connect("127.0.0.1", l.port());
  ASSERT_TRUE(s == Status::kOk || s == Status::kWouldBlock) << t.last_error();
  int peer = l.accept_one();
  ASSERT_GE(peer, 0);
  ASSERT_TRUE(wait_connected(t)) << t.last_error();

  const std::string hello = "hello";
  EXPECT_EQ(t.write(as_bytes(hello)), 5);
  char buf[16];
  ASSERT_EQ(::recv(peer, buf, sizeof(buf), 0), 5);
  EXPECT_EQ(std::string(buf, 5), "hello");

  uint8_t in[16];
  EXPECT_EQ(t.read(in), Transport::kWouldBlock);  // nothing sent yet
  ASSERT_EQ(::send(peer, "pong", 4, 0), 4);
  PollWaiter w;
  ASSERT_EQ(w.watch(&t), Status::kOk);
  w.wait(2000);
  EXPECT_EQ(w.last_ready(), 1);
  ASSERT_EQ(t.read(in), 4);
  EXPECT_EQ(as_string(ConstByteSpan(in, 4)), "pong");

  ::close(peer);
  w.wait(2000);
  EXPECT_EQ(t.read(in), Transport::kClosed);
  EXPECT_NE(std::string(t.last_error()).find("closed by the peer"), std::string::npos);
}

TEST(TcpTransport, WhatThePeerSentBeforeResettingIsReadableAfterAFailedSend) {
  // A TLS server that rejects our certificate sends an alert and closes
  // while our flight is unread: its kernel answers with a reset, our next
  // send fails, and the alert must still reach the TLS layer.
  Listener l;
  TcpTransport t;
  Status s = t.connect("127.0.0.1", l.port());
  ASSERT_TRUE(s == Status::kOk || s == Status::kWouldBlock) << t.last_error();
  int peer = l.accept_one();
  ASSERT_GE(peer, 0);
  ASSERT_TRUE(wait_connected(t)) << t.last_error();
  const std::string flight(200, 'c');
  ASSERT_EQ(t.write(as_bytes(flight)), 200);
  ASSERT_EQ(::send(peer, "\x15\x03\x03\x00\x02\x02\x30", 7, 0), 7);  // fatal alert 48
  ::close(peer);  // unread data: the kernel sends RST, not FIN
  int32_t w = 0;
  for (int i = 0; i < 100 && (w = t.write(as_bytes(flight))) > 0; ++i) ::usleep(10000);
  ASSERT_EQ(w, Transport::kError);
  EXPECT_NE(std::string(t.last_error()).find("send to"), std::string::npos) << t.last_error();
  uint8_t in[16];
  ASSERT_EQ(t.read(in), 7);
  EXPECT_EQ(in[0], 0x15);
  EXPECT_EQ(in[6], 0x30);
  EXPECT_EQ(t.read(in), Transport::kError);  // then the send's error again
  EXPECT_NE(std::string(t.last_error()).find("send to"), std::string::npos);
}

TEST(TcpTransport, LocalhostResolves) {
  Listener l;
  TcpTransport t;
  Status s = t.connect("localhost", l.port());
  ASSERT_TRUE(s == Status::kOk || s == Status::kWouldBlock) << t.last_error();
  int peer = l.accept_one();
  ASSERT_GE(peer, 0);
  EXPECT_TRUE(wait_connected(t)) << t.last_error();
  ::close(peer);
}

TEST(TcpTransport, RefusedConnectSaysWhereAndWhy) {
  uint16_t port;
  {
    Listener l;
    port = l.port();
  }  // closed: nothing listens on the port any more
  TcpTransport t;
  Status s = t.connect("127.0.0.1", port);
  if (s == Status::kWouldBlock) {
    EXPECT_FALSE(wait_connected(t));
    uint8_t b[4];
    EXPECT_EQ(t.read(b), Transport::kError);
  } else {
    EXPECT_EQ(s, Status::kIoError);
  }
  EXPECT_EQ(std::string(t.last_error()),
            "connect to 127.0.0.1:" + std::to_string(port) + ": connection refused");
}

TEST(TcpTransport, UnresolvableHostIsAnError) {
  TcpTransport t;
  EXPECT_EQ(t.connect("no-such-host.invalid", 1883), Status::kNotFound);
  EXPECT_NE(std::string(t.last_error()).find("resolve no-such-host.invalid:1883"), std::string::npos);
  EXPECT_EQ(t.connect("", 1883), Status::kInvalidArg);
}

TEST(PollWaiter, TimesOutWithNothingReady) {
  PollWaiter w;
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ASSERT_EQ(w.watch_fd(fds[0], POLLIN), Status::kOk);
  auto t0 = std::chrono::steady_clock::now();
  w.wait(30);
  EXPECT_EQ(w.last_ready(), 0);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(25));
  ASSERT_EQ(::write(fds[1], "x", 1), 1);
  w.wait(1000);
  EXPECT_EQ(w.last_ready(), 1);
  w.unwatch_fd(fds[0]);
  w.wait(0);
  EXPECT_EQ(w.last_ready(), 0);
  ::close(fds[0]);
  ::close(fds[1]);
}

}  // namespace
}  // namespace mos::net

// The HTTP front in-process, over raw loopback sockets: keep-alive, the
// limits (header bytes and count, body by Content-Length and chunked, before
// the handler runs), deadlines, 100-continue, and that a request the handler
// is still working on does not block another connection.
#include "http_server.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

using namespace mos::cloud;
using namespace std::chrono_literals;

namespace {

class HttpServerTest : public ::testing::Test {
 protected:
  void start(HttpLimits limits = small()) {
    srv = std::make_unique<HttpServer>(limits, [this](mos::sigv4::Request& r) {
      ++handled;
      if (r.target == "/slow") std::this_thread::sleep_for(1500ms);
      Response res;
      res.body = r.method + " " + r.target + " " + std::to_string(r.body.size());
      return res;
    });
    std::string err;
    ASSERT_TRUE(srv->listen("127.0.0.1", 0, err)) << err;
    thread = std::thread([this] { srv->run(); });
  }
  static HttpLimits small() {
    HttpLimits l;
    l.max_header_bytes = 2048;
    l.max_header_fields = 10;
    l.max_body = 1000;
    l.header_timeout = 500ms;
    l.request_timeout = 1000ms;
    l.idle_timeout = 1000ms;
    l.linger_timeout = 200ms;
    return l;
  }
  void TearDown() override {
    if (srv) srv->stop();
    if (thread.joinable()) thread.join();
  }

  int connect_() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(srv->port());
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    return fd;
  }
  static void send_all(int fd, const std::string& s) {
    size_t off = 0;
    while (off < s.size()) {
      ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;
      off += static_cast<size_t>(n);
    }
  }
  // Reads until `until` appears, the peer closes, or `timeout` passes.
  static std::string read_for(int fd, std::chrono::milliseconds timeout, const std::string& until = "") {
    std::string out;
    auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
      if (!until.empty() && out.find(until) != std::string::npos) break;
      pollfd p{fd, POLLIN, 0};
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
      if (::poll(&p, 1, static_cast<int>(std::max<long>(1, static_cast<long>(left.count())))) <= 0) continue;
      char buf[4096];
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }
  std::string roundtrip(const std::string& req, std::chrono::milliseconds timeout = 2000ms) {
    int fd = connect_();
    send_all(fd, req);
    std::string r = read_for(fd, timeout);
    ::close(fd);
    return r;
  }

  std::unique_ptr<HttpServer> srv;
  std::thread thread;
  std::atomic<int> handled{0};
};

TEST_F(HttpServerTest, KeepAliveServesTwoRequestsOnOneConnection) {
  start();
  int fd = connect_();
  send_all(fd, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string r1 = read_for(fd, 2000ms, "GET /a 0");
  EXPECT_NE(r1.find("HTTP/1.1 200"), std::string::npos) << r1;
  send_all(fd, "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
  std::string r2 = read_for(fd, 2000ms, "POST /b 5");
  EXPECT_NE(r2.find("POST /b 5"), std::string::npos) << r2;
  ::close(fd);
  EXPECT_EQ(handled.load(), 2);
}

TEST_F(HttpServerTest, ChunkedBodyWithinTheLimitIsDecoded) {
  start();
  std::string r = roundtrip("POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                            "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
  EXPECT_NE(r.find("POST /c 5"), std::string::npos) << r;
}

TEST_F(HttpServerTest, OversizedContentLengthIs413BeforeTheBodyAndTheHandler) {
  start();
  int fd = connect_();
  send_all(fd, "POST /big HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
               "Content-Length: 5000\r\n\r\n");
  std::string r = read_for(fd, 2000ms, "}");  // no body sent: the answer comes from the header
  ::close(fd);
  EXPECT_NE(r.find("HTTP/1.1 413"), std::string::npos) << r;
  EXPECT_NE(r.find("RequestEntityTooLargeException"), std::string::npos) << r;
  EXPECT_EQ(handled.load(), 0);
}

TEST_F(HttpServerTest, OversizedChunkedBodyIs413WhileStreaming) {
  start();
  int fd = connect_();
  send_all(fd, "POST /big HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
  std::string chunk = "200\r\n" + std::string(0x200, 'a') + "\r\n";
  std::string r;
  for (int i = 0; i < 20 && r.empty(); ++i) {  // 10 KiB at most, limit 1000 bytes
    send_all(fd, chunk);
    r = read_for(fd, 50ms);
  }
  if (r.empty()) r = read_for(fd, 1000ms);
  ::close(fd);
  EXPECT_NE(r.find("HTTP/1.1 413"), std::string::npos) << r;
  EXPECT_EQ(handled.load(), 0);
}

TEST_F(HttpServerTest, HeaderBytesAndCountAreCapped) {
  start();
  std::string big = "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4000, 'a') + "\r\n\r\n";
  EXPECT_NE(roundtrip(big).find("HTTP/1.1 431"), std::string::npos);
  std::string many = "GET / HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 20; ++i) many += "X-" + std::to_string(i) + ": v\r\n";
  EXPECT_NE(roundtrip(many + "\r\n").find("HTTP/1.1 431"), std::string::npos);
  EXPECT_EQ(handled.load(), 0);
}

TEST_F(HttpServerTest, DrippedHeaderHitsTheDeadline) {
  start();  // header deadline 500 ms
  int fd = connect_();
  auto t0 = std::chrono::steady_clock::now();
  send_all(fd, "GET / HTTP/1.1\r\n");
  bool closed = false;
  for (int i = 0; i < 30 && !closed; ++i) {  // one line per 100 ms, never ending
    send_all(fd, "X-Drip: 1\r\n");
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) > 0) {
      char buf[256];
      closed = ::recv(fd, buf, sizeof buf, 0) <= 0;
    }
  }
  ::close(fd);
  EXPECT_TRUE(closed);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1500ms);
  EXPECT_EQ(handled.load(), 0);
}

TEST_F(HttpServerTest, ExpectContinueGetsAnInterimReply) {
  start();
  int fd = connect_();
  send_all(fd, "POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n");
  std::string interim = read_for(fd, 1000ms, "\r\n\r\n");
  EXPECT_NE(interim.find("HTTP/1.1 100 Continue"), std::string::npos) << interim;
  send_all(fd, "xyz");
  std::string r = read_for(fd, 2000ms, "POST /e 3");
  ::close(fd);
  EXPECT_NE(r.find("POST /e 3"), std::string::npos) << r;
}

TEST_F(HttpServerTest, ASlowHandlerDoesNotBlockOtherConnections) {
  start();
  int slow = connect_();
  send_all(slow, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
  std::this_thread::sleep_for(100ms);
  auto t0 = std::chrono::steady_clock::now();
  std::string r = roundtrip("GET /fast HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_NE(r.find("GET /fast 0"), std::string::npos) << r;
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1000ms);
  EXPECT_NE(read_for(slow, 3000ms, "GET /slow 0").find("GET /slow 0"), std::string::npos);
  ::close(slow);
}

TEST_F(HttpServerTest, AtTheConnectionCapTheLongestIdleConnectionMakesRoom) {
  HttpLimits l = small();
  l.max_connections = 4;
  l.idle_timeout = 10'000ms;
  start(l);
  int idle[4];
  for (int& fd : idle) fd = connect_();
  std::this_thread::sleep_for(100ms);
  std::string r = roundtrip("GET /new HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_NE(r.find("GET /new 0"), std::string::npos) << r;
  // The first idle connection was closed for it.
  char c;
  pollfd p{idle[0], POLLIN, 0};
  EXPECT_EQ(::poll(&p, 1, 1000), 1);
  EXPECT_EQ(::recv(idle[0], &c, 1, 0), 0);
  for (int fd : idle) ::close(fd);
}

TEST_F(HttpServerTest, GarbageGets400AndTheServerGoesOn) {
  start();
  EXPECT_NE(roundtrip("\x01\x02 nonsense\r\n\r\n").find("HTTP/1.1 400"), std::string::npos);
  EXPECT_NE(roundtrip("GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").find("GET /ok 0"), std::string::npos);
}

}  // namespace

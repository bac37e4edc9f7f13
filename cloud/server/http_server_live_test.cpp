// The HTTP front's TLS listeners and WebSocket channels, in-process, with
// Beast as the client: HTTPS verified against a local CA by host name, the
// upgrade handler's accept and refusal, message order, the message size cap
// (1009), a reader too slow for its queue (1008), WebSocket over TLS, and
// on_close exactly once.
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/asio/ssl/rfc2818_verification.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "http_server.h"
#include "mos/ca/ca.h"

using namespace mos::cloud;
using namespace std::chrono_literals;
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace fs = std::filesystem;
using tcp = net::ip::tcp;

namespace {

// A handler that records what it is told and answers "echo:<text>".
struct Recorder : LiveHandler {
  std::shared_ptr<LiveChannel> channel;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> texts;
  int closes = 0;
  void on_text(const std::string& m) override {
    {
      std::lock_guard<std::mutex> l(mu);
      texts.push_back(m);
    }
    cv.notify_all();
    if (m == "flood") {
      // Far more than the queue allows while the client does not read.
      std::string big(64 * 1024, 'x');
      for (int i = 0; i < 200; ++i)
        if (!channel->send_text(big)) break;
      return;
    }
    channel->send_text("echo:" + m);
  }
  void on_close() override {
    {
      std::lock_guard<std::mutex> l(mu);
      ++closes;
    }
    cv.notify_all();
  }
  bool wait_closed(std::chrono::milliseconds t) {
    std::unique_lock<std::mutex> l(mu);
    return cv.wait_for(l, t, [&] { return closes > 0; });
  }
};

class LiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() / ("mos-http-live-" + std::to_string(::getpid()) + "-" +
                                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::string err;
    ca = mos::ca::Authority::open_or_create(dir.string(), err);
    ASSERT_TRUE(ca) << err;
    auto r = ca->issue_with_key("localhost", {"localhost"}, {"127.0.0.1"}, true, 1);
    ASSERT_TRUE(r.ok()) << r.message;
    write(dir / "server.pem", r.cert.pem);
    write(dir / "server.key", r.private_key_pem);
  }
  void TearDown() override {
    if (srv) srv->stop();
    if (thread.joinable()) thread.join();
    fs::remove_all(dir);
  }
  static void write(const fs::path& p, const std::string& s) { std::ofstream(p) << s; }

  void start(HttpLimits limits = {}) {
    limits.workers = 2;
    srv = std::make_unique<HttpServer>(
        limits,
        [this](mos::sigv4::Request& r) {
          saw_tls = r.over_tls;
          Response res;
          res.body = r.method + " " + r.target;
          return res;
        },
        [this](const std::string& line) {
          std::lock_guard<std::mutex> l(log_mu);
          log.push_back(line);
        },
        [this](const mos::sigv4::Request& r, std::shared_ptr<LiveChannel> ch,
               Response& reject) -> std::shared_ptr<LiveHandler> {
          if (r.target != "/live") {
            reject.status = 401;
            reject.body = R"({"message":"Log in first."})";
            return nullptr;
          }
          recorder->channel = ch;
          return recorder;
        });
    std::string err;
    ASSERT_TRUE(srv->listen("127.0.0.1", 0, err)) << err;
    TlsFiles tls{(dir / "server.pem").string(), (dir / "server.key").string()};
    ASSERT_TRUE(srv->listen("127.0.0.1", 0, err, &tls)) << err;
    thread = std::thread([this] { srv->run(); });
  }

  // A client TLS context that trusts only the test CA and checks the name.
  net::ssl::context client_tls(bool trust = true) {
    net::ssl::context c(net::ssl::context::tls_client);
    c.set_verify_mode(net::ssl::verify_peer);
    if (trust) c.add_certificate_authority(net::buffer(ca->ca_pem()));
    return c;
  }

  fs::path dir;
  std::unique_ptr<mos::ca::Authority> ca;
  std::unique_ptr<HttpServer> srv;
  std::thread thread;
  std::shared_ptr<Recorder> recorder = std::make_shared<Recorder>();
  std::atomic<bool> saw_tls{false};
  std::mutex log_mu;
  std::vector<std::string> log;
  net::io_context ioc;
};

// Connects a TLS stream to the HTTPS listener, SNI and name check "localhost".
void tls_connect(beast::ssl_stream<tcp::socket>& s, uint16_t port, const std::string& name = "localhost") {
  s.next_layer().connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  SSL_set_tlsext_host_name(s.native_handle(), name.c_str());
  s.set_verify_callback(net::ssl::rfc2818_verification(name));
  s.handshake(net::ssl::stream_base::client);
}

TEST_F(LiveTest, HttpsServesTheSameHandlerVerifiedByHostName) {
  start();
  auto ctx = client_tls();
  beast::ssl_stream<tcp::socket> s(ioc, ctx);
  ASSERT_NO_THROW(tls_connect(s, srv->port(1)));
  http::request<http::empty_body> req{http::verb::get, "/things", 11};
  req.set(http::field::host, "localhost");
  http::write(s, req);
  beast::flat_buffer b;
  http::response<http::string_body> res;
  http::read(s, b, res);
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res.body(), "GET /things");
  EXPECT_TRUE(saw_tls.load());
}

TEST_F(LiveTest, HttpsFailsForANameNotInTheCertificate) {
  start();
  auto ctx = client_tls();
  beast::ssl_stream<tcp::socket> s(ioc, ctx);
  EXPECT_THROW(tls_connect(s, srv->port(1), "iot.us-east-1.amazonaws.com"), boost::system::system_error);
}

TEST_F(LiveTest, HttpsFailsForAClientThatDoesNotTrustTheLocalCa) {
  start();
  auto ctx = client_tls(false);
  beast::ssl_stream<tcp::socket> s(ioc, ctx);
  EXPECT_THROW(tls_connect(s, srv->port(1)), boost::system::system_error);
  // The server says why in its log.
  for (int i = 0; i < 50; ++i) {
    {
      std::lock_guard<std::mutex> l(log_mu);
      if (!log.empty()) break;
    }
    std::this_thread::sleep_for(20ms);
  }
  std::lock_guard<std::mutex> l(log_mu);
  ASSERT_FALSE(log.empty());
  EXPECT_NE(log[0].find("TLS handshake failed"), std::string::npos) << log[0];
}

TEST_F(LiveTest, AListenerWithAMissingCertificateSaysWhich) {
  HttpServer s(HttpLimits{}, [](mos::sigv4::Request&) { return Response{}; });
  TlsFiles tls{(dir / "nope.pem").string(), (dir / "server.key").string()};
  std::string err;
  EXPECT_FALSE(s.listen("127.0.0.1", 0, err, &tls));
  EXPECT_NE(err.find("nope.pem"), std::string::npos) << err;
}

TEST_F(LiveTest, WebSocketEchoesInOrderAndClosesOnce) {
  start();
  websocket::stream<tcp::socket> ws(ioc);
  ws.next_layer().connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), srv->port(0)));
  ws.handshake("127.0.0.1", "/live");
  for (int i = 0; i < 20; ++i) ws.write(net::buffer("m" + std::to_string(i)));
  for (int i = 0; i < 20; ++i) {
    beast::flat_buffer b;
    ws.read(b);
    EXPECT_EQ(beast::buffers_to_string(b.data()), "echo:m" + std::to_string(i));
  }
  ws.close(websocket::close_code::normal);
  EXPECT_TRUE(recorder->wait_closed(2s));
  std::this_thread::sleep_for(100ms);
  std::lock_guard<std::mutex> l(recorder->mu);
  EXPECT_EQ(recorder->closes, 1);
  EXPECT_EQ(recorder->texts.size(), 20u);
  // The channel outlives the connection without harm.
  EXPECT_FALSE(recorder->channel->send_text("late"));
}

TEST_F(LiveTest, ARefusedUpgradeGetsTheOwnersHttpReply) {
  start();
  tcp::socket sock(ioc);
  sock.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), srv->port(0)));
  http::request<http::empty_body> req{http::verb::get, "/other", 11};
  req.set(http::field::host, "127.0.0.1");
  req.set(http::field::upgrade, "websocket");
  req.set(http::field::connection, "Upgrade");
  req.set(http::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");  // RFC 6455 §1.3's example
  req.set(http::field::sec_websocket_version, "13");
  http::write(sock, req);
  beast::flat_buffer b;
  http::response<http::string_body> res;
  http::read(sock, b, res);
  EXPECT_EQ(res.result_int(), 401);
  EXPECT_EQ(res.body(), R"({"message":"Log in first."})");
  std::lock_guard<std::mutex> l(recorder->mu);
  EXPECT_TRUE(recorder->texts.empty());
}

TEST_F(LiveTest, AMessageOverTheCapIsClosedWith1009) {
  HttpLimits l;
  l.max_ws_message = 1000;
  start(l);
  websocket::stream<tcp::socket> ws(ioc);
  ws.next_layer().connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), srv->port(0)));
  ws.handshake("127.0.0.1", "/live");
  ws.write(net::buffer(std::string(2000, 'a')));
  beast::flat_buffer b;
  beast::error_code ec;
  ws.read(b, ec);
  // The server sends close 1009 and drops the connection without reading
  // the rest of the oversized frame, so the kernel may turn the close into a
  // reset before this client reads the close frame.
  ASSERT_TRUE(ec);
  if (ec == websocket::error::closed) {
    EXPECT_EQ(ws.reason().code, websocket::close_code::too_big);
  }
  EXPECT_TRUE(recorder->wait_closed(2s));
  std::lock_guard<std::mutex> lk(recorder->mu);
  EXPECT_TRUE(recorder->texts.empty());
}

TEST_F(LiveTest, AReaderThatDoesNotReadIsClosedNotBufferedForever) {
  HttpLimits l;
  l.max_ws_queue_bytes = 1024 * 1024;
  start(l);
  websocket::stream<tcp::socket> ws(ioc);
  ws.next_layer().connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), srv->port(0)));
  ws.handshake("127.0.0.1", "/live");
  ws.write(net::buffer(std::string("flood")));
  std::this_thread::sleep_for(500ms);  // not reading: the server's queue fills
  // Reading now drains what was queued before the limit, then the close.
  beast::error_code ec;
  size_t got = 0;
  for (int i = 0; i < 400 && !ec; ++i) {
    beast::flat_buffer b;
    ws.read(b, ec);
    got += b.size();
  }
  EXPECT_EQ(ec, websocket::error::closed);
  EXPECT_EQ(ws.reason().code, websocket::close_code::policy_error);
  // What arrived is the queue's cap plus what the kernel's socket buffers
  // held, far from the 12.8 MB the handler tried to send.
  EXPECT_LT(got, 200u * 64u * 1024u / 2u);
  EXPECT_TRUE(recorder->wait_closed(2s));
}

TEST_F(LiveTest, WebSocketOverTls) {
  start();
  auto ctx = client_tls();
  websocket::stream<beast::ssl_stream<tcp::socket>> ws(ioc, ctx);
  tls_connect(ws.next_layer(), srv->port(1));
  ws.handshake("localhost", "/live");
  ws.write(net::buffer(std::string("secure")));
  beast::flat_buffer b;
  ws.read(b);
  EXPECT_EQ(beast::buffers_to_string(b.data()), "echo:secure");
  ws.close(websocket::close_code::normal);
}

}  // namespace

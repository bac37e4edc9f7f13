// HTTP/1.1 (RFC 9112) server for mos-cloud on Boost.Beast.
//
// Threads: one io_context thread runs every accept, read, write and timer;
// a fixed asio::thread_pool runs the handler. A connection is a Session:
//
//   wait (idle timeout) -> read header (header deadline, byte + field caps)
//     -> [100 Continue] -> read body (whole-request deadline, body cap)
//     -> handler on a worker -> write reply (write deadline) -> wait ...
//
// A request that misses a deadline is closed (beast::tcp_stream closes the
// socket when its timer fires). One that breaks a size limit or is malformed
// gets an AWS-shaped error reply (the same
// x-amzn-ErrorType + {"message"} shape the API uses), "Connection: close", and
// a lingering close: the server half-closes and discards what the client is
// still sending for a bounded time, so the client reads the reply instead of
// a reset (RFC 9112 §9.6).
//
// Session is a template over the stream so plain TCP (beast::tcp_stream) and
// TLS (beast::ssl_stream<beast::tcp_stream>) can share this code: only the
// handshake differs (start()). A request that asks for a WebSocket is given
// to the UpgradeHandler on a worker; if accepted, a WsSession (ws_session.h)
// takes the stream over and this Session ends.
#include "http_server.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <iterator>
#include <list>
#include <optional>
#include <type_traits>

#include "ws_session.h"

namespace mos::cloud {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

namespace {

// What every Session shares: limits, the handler and its pool.
// A connection waiting for the first byte of a request; the oldest one is
// closed to make room when max_connections is reached, so idle connections
// cannot lock out new clients.
struct Idle {
  virtual ~Idle() = default;
  virtual void evict() = 0;
};

struct Shared {
  HttpLimits limits;
  HttpHandler handler;
  HttpLog log;
  UpgradeHandler upgrade;
  net::thread_pool& workers;
  std::atomic<size_t> connections{0};
  // Oldest first. Touched only on the reactor thread (accept and session
  // handlers all run there).
  std::list<std::weak_ptr<Idle>> idle;
};

Response reject(int status, const std::string& type, const std::string& message) {
  return Api::error(status, type, message);
}

template <class Stream>
class Session : public Idle, public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(Stream stream, Shared& sh)
      : stream_(std::move(stream)), buf_(kBufferMax), sh_(sh) {
    ++sh_.connections;
  }
  ~Session() override {
    leave_idle();
    --sh_.connections;
  }
  void evict() override {
    leave_idle();
    close_now();
  }

  void start() {
    if constexpr (kTls) {
      // The handshake has the header's deadline: a client that opens TLS
      // and stalls costs a timer, like one that stalls in the header.
      timer_layer().expires_after(sh_.limits.header_timeout);
      stream_.async_handshake(net::ssl::stream_base::server, [self = this->shared_from_this()](beast::error_code ec) {
        if (ec) {
          // E.g. the client does not trust our CA ("alert unknown ca"),
          // or speaks plain HTTP to the TLS port ("wrong version number").
          if (self->sh_.log && ec != beast::error::timeout && ec != net::error::eof)
            self->sh_.log("HTTPS: TLS handshake failed: " + ec.message());
          return self->close_now();
        }
        self->wait_for_request();
      });
    } else {
      wait_for_request();
    }
  }

 private:
  // The read buffer never grows past this: header bytes are capped well
  // below it and body bytes go straight into the body string.
  static constexpr size_t kBufferMax = 32 * 1024;
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  auto& socket() { return beast::get_lowest_layer(stream_).socket(); }
  auto& timer_layer() { return beast::get_lowest_layer(stream_); }

  // Idle keep-alive: wait for the first byte of the next request with only
  // the buffer's small initial block allocated.
  void wait_for_request() {
    if (buf_.size() > 0) return read_header();
    timer_layer().expires_after(sh_.limits.idle_timeout);
    idle_pos_ = sh_.idle.insert(sh_.idle.end(), std::weak_ptr<Idle>(this->shared_from_this()));
    in_idle_ = true;
    stream_.async_read_some(buf_.prepare(1024), [self = this->shared_from_this()](beast::error_code ec, size_t n) {
      self->leave_idle();
      if (ec) return self->close_now();
      self->buf_.commit(n);
      self->read_header();
    });
  }

  void leave_idle() {
    if (in_idle_) sh_.idle.erase(idle_pos_);
    in_idle_ = false;
  }

  void read_header() {
    started_ = Clock::now();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(sh_.limits.max_header_bytes));
    parser_->body_limit(static_cast<std::uint64_t>(sh_.limits.max_body));
    timer_layer().expires_at(started_ + sh_.limits.header_timeout);
    http::async_read_header(stream_, buf_, *parser_, [self = this->shared_from_this()](beast::error_code ec, size_t) {
      self->on_header(ec);
    });
  }

  void on_header(beast::error_code ec) {
    if (ec == http::error::header_limit || ec == http::error::buffer_overflow)
      return fail(431, "RequestHeaderFieldsTooLargeException",
                  "The request header is larger than " + std::to_string(sh_.limits.max_header_bytes) + " bytes.");
    // Beast checks Content-Length against the body limit as soon as it
    // parses that field.
    if (ec == http::error::body_limit) return too_large("more than " + std::to_string(sh_.limits.max_body) + " bytes");
    // beast::tcp_stream has already closed the socket on a timeout, so there
    // is no 408 to send: the connection just ends.
    if (ec == beast::error::timeout) return timed_out("header");
    if (ec == http::error::end_of_stream || ec == net::error::eof || ec == net::error::connection_reset ||
        ec == net::error::operation_aborted)
      return close_now();
    if (ec) return fail(400, "InvalidRequestException", "Malformed HTTP request: " + ec.message() + ".");

    const auto& h = parser_->get();
    size_t fields = static_cast<size_t>(std::distance(h.begin(), h.end()));
    if (fields > sh_.limits.max_header_fields)
      return fail(431, "RequestHeaderFieldsTooLargeException",
                  "The request has " + std::to_string(fields) + " header fields; the limit is " +
                      std::to_string(sh_.limits.max_header_fields) + ".");
    if (auto len = parser_->content_length(); len && *len > sh_.limits.max_body)
      return too_large(std::to_string(*len) + " bytes");
    if (parser_->is_done()) return dispatch();

    timer_layer().expires_at(started_ + sh_.limits.request_timeout);
    // RFC 9110 §10.1.1: a client that sent "Expect: 100-continue" may wait
    // for this interim reply before sending the body (curl does, for 1 s).
    if (beast::iequals(h[http::field::expect], "100-continue")) {
      static const char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
      net::async_write(stream_, net::buffer(kContinue, sizeof kContinue - 1),
                       [self = this->shared_from_this()](beast::error_code wec, size_t) {
                         if (wec) return self->close_now();
                         self->read_body();
                       });
      return;
    }
    read_body();
  }

  void read_body() {
    http::async_read(stream_, buf_, *parser_, [self = this->shared_from_this()](beast::error_code ec, size_t) {
      if (ec == http::error::body_limit) return self->too_large("more than " + std::to_string(self->sh_.limits.max_body) + " bytes");
      if (ec == beast::error::timeout) return self->timed_out("request");
      if (ec == http::error::end_of_stream || ec == net::error::eof || ec == net::error::connection_reset ||
          ec == net::error::operation_aborted)
        return self->close_now();
      if (ec) return self->fail(400, "InvalidRequestException", "Malformed HTTP request body: " + ec.message() + ".");
      self->dispatch();
    });
  }

  void timed_out(const char* what) {
    if (sh_.log) sh_.log(std::string("HTTP: closed a connection whose ") + what + " missed its deadline");
    close_now();
  }

  void too_large(const std::string& size) {
    fail(413, "RequestEntityTooLargeException",
         "Request body is " + size + "; the limit is " + std::to_string(sh_.limits.max_body) + " bytes.");
  }

  // The request is complete: run the handler on a worker, reply on the
  // reactor. No read is pending meanwhile, so no timer either.
  void dispatch() {
    auto msg = parser_->release();
    parser_.reset();
    keep_alive_ = msg.keep_alive();
    version_ = msg.version();
    sigv4::Request req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    for (const auto& f : msg) req.headers.push_back({std::string(f.name_string()), std::string(f.value())});
    req.body = std::move(msg.body());
    req.over_tls = kTls;
    timer_layer().expires_never();
    if (beast::websocket::is_upgrade(msg)) return upgrade(std::move(req), std::move(msg));
    net::post(sh_.workers, [self = this->shared_from_this(), req = std::move(req)]() mutable {
      Response r;
      try {
        r = self->sh_.handler(req);
      } catch (const std::exception& e) {
        r = Api::error(500, "InternalFailureException", std::string("Internal error: ") + e.what());
      }
      net::post(self->stream_.get_executor(), [self, r = std::move(r)]() mutable { self->reply(std::move(r), false); });
    });
  }

  // RFC 6455 §4.2: the owner decides on a worker (it may read a session
  // store); accepted, the stream moves to a WsSession and this Session ends.
  void upgrade(sigv4::Request req, http::request<http::string_body> msg) {
    if (!sh_.upgrade) {
      return reply(reject(404, "UnknownOperationException", "No WebSocket endpoint at " + req.target + "."), true);
    }
    net::post(sh_.workers, [self = this->shared_from_this(), req = std::move(req), msg = std::move(msg)]() mutable {
      auto channel = std::make_shared<detail::WsChannel>(self->sh_.limits.max_ws_queue_bytes);
      Response refusal{403, nlohmann::json{{"message", "WebSocket refused."}}.dump(), {}};
      std::shared_ptr<LiveHandler> handler;
      try {
        handler = self->sh_.upgrade(req, channel, refusal);
      } catch (const std::exception& e) {
        refusal = Api::error(500, "InternalFailureException", std::string("Internal error: ") + e.what());
      }
      net::post(self->stream_.get_executor(), [self, channel, handler, refusal = std::move(refusal),
                                               msg = std::move(msg)]() mutable {
        if (!handler) return self->reply(std::move(refusal), true);
        auto ws = std::make_shared<detail::WsSession<Stream>>(std::move(self->stream_), self->sh_.connections,
                                                              self->sh_.workers, self->sh_.limits, channel, handler);
        ws->accept(std::move(msg));
      });
    });
  }

  void fail(int status, const std::string& type, const std::string& message) {
    if (sh_.log) sh_.log("HTTP " + std::to_string(status) + " " + type + ": " + message);
    version_ = 11;
    reply(reject(status, type, message), true);
  }

  // Header and body go out in one gather write (Beast serialises both into
  // one buffer sequence), and the socket has TCP_NODELAY: no Nagle wait.
  void reply(Response r, bool close) {
    res_ = {};
    res_.version(version_);
    res_.result(static_cast<unsigned>(r.status));
    bool has_type = false;
    for (auto& [k, v] : r.headers) {
      if (beast::iequals(k, "Content-Type")) has_type = true;
      res_.set(k, v);
    }
    if (!has_type) res_.set(http::field::content_type, "application/json");
    res_.body() = std::move(r.body);
    close_after_ = close || !keep_alive_;
    res_.keep_alive(!close_after_);
    res_.prepare_payload();
    timer_layer().expires_after(sh_.limits.write_timeout);
    http::async_write(stream_, res_, [self = this->shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->close_now();
      if (self->close_after_) return self->linger();
      self->res_ = {};
      self->wait_for_request();
    });
  }

  // Half-close, then read and drop what the client still sends, bounded in
  // bytes and time; then close.
  void linger() {
    beast::error_code ec;
    socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return close_now();
    buf_.clear();
    timer_layer().expires_after(sh_.limits.linger_timeout);
    drain();
  }
  void drain() {
    stream_.async_read_some(buf_.prepare(8192), [self = this->shared_from_this()](beast::error_code ec, size_t n) {
      self->drained_ += n;
      if (ec || self->drained_ >= self->sh_.limits.linger_bytes) return self->close_now();
      self->drain();
    });
  }

  void close_now() {
    beast::error_code ec;
    socket().shutdown(tcp::socket::shutdown_both, ec);
    socket().close(ec);
  }

  Stream stream_;
  beast::flat_buffer buf_;
  Shared& sh_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> res_;
  Clock::time_point started_;
  unsigned version_ = 11;
  bool keep_alive_ = true;
  bool close_after_ = false;
  size_t drained_ = 0;
  std::list<std::weak_ptr<Idle>>::iterator idle_pos_;
  bool in_idle_ = false;
};

}  // namespace

struct HttpServer::Impl {
  // Order matters for destruction: the pool is joined first (~Impl), then
  // the io_context destroys the sessions still queued on it, which refer to
  // `shared`.
  net::thread_pool workers;
  Shared shared;
  net::io_context ioc;
  struct Listener {
    explicit Listener(net::io_context& ioc) : acceptor(ioc), retry(ioc) {}
    tcp::acceptor acceptor;
    net::steady_timer retry;
    std::unique_ptr<net::ssl::context> tls;  // null: plain HTTP
  };
  std::vector<std::unique_ptr<Listener>> listeners;

  Impl(HttpLimits limits, HttpHandler handler, HttpLog log, UpgradeHandler upgrade)
      : workers(limits.workers ? limits.workers : 1),
        shared{std::move(limits), std::move(handler), std::move(log), std::move(upgrade), workers, {}, {}} {}
  ~Impl() {
    workers.join();
  }

  void accept(Listener& l) {
    l.acceptor.async_accept(net::make_strand(ioc), [this, &l](beast::error_code ec, tcp::socket sock) {
      if (ec == net::error::operation_aborted) return;
      if (ec) {
        // EMFILE and friends: back off instead of spinning on the error.
        l.retry.expires_after(std::chrono::milliseconds(50));
        l.retry.async_wait([this, &l](beast::error_code) { accept(l); });
        return;
      }
      if (make_room()) {
        beast::error_code ignore;
        sock.set_option(tcp::no_delay(true), ignore);  // replies are whole; see reply()
        if (l.tls)
          std::make_shared<Session<TlsStream>>(TlsStream(beast::tcp_stream(std::move(sock)), *l.tls), shared)->start();
        else
          std::make_shared<Session<beast::tcp_stream>>(beast::tcp_stream(std::move(sock)), shared)->start();
      } else {
        beast::error_code ignore;
        sock.close(ignore);
      }
      accept(l);
    });
  }

  // Full: make room by closing the longest-idle connection, if any (it is
  // counted until its handler has run, so the count may briefly exceed the
  // cap); otherwise refuse the new one.
  bool make_room() {
    bool room = shared.connections.load() < shared.limits.max_connections;
    while (!room && !shared.idle.empty()) {
      if (auto oldest = shared.idle.front().lock()) {
        oldest->evict();  // removes itself from the list
        room = true;
      } else {
        shared.idle.pop_front();
      }
    }
    return room;
  }
};

namespace {

// TLS 1.2 and 1.3 only, as AWS IoT's endpoints (their default security
// policy IoTSecurityPolicy_TLS13_1_2_2022_10); the certificate chain and key
// are PEM files from the local CA (mos-cloud init).
std::unique_ptr<net::ssl::context> make_tls_context(const TlsFiles& files, std::string& error) {
  auto ctx = std::make_unique<net::ssl::context>(net::ssl::context::tls_server);
  beast::error_code ec;
  ctx->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                       net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 | net::ssl::context::no_tlsv1_1 |
                       net::ssl::context::single_dh_use,
                   ec);
  if (!ec) ctx->use_certificate_chain_file(files.cert_chain_file, ec);
  if (ec) {
    error = "cannot use the certificate " + files.cert_chain_file + ": " + ec.message();
    return nullptr;
  }
  ctx->use_private_key_file(files.key_file, net::ssl::context::pem, ec);
  if (ec) {
    error = "cannot use the key " + files.key_file + ": " + ec.message();
    return nullptr;
  }
  return ctx;
}

}  // namespace

HttpServer::HttpServer(HttpLimits limits, HttpHandler handler, HttpLog log, UpgradeHandler upgrade)
    : impl_(std::make_unique<Impl>(std::move(limits), std::move(handler), std::move(log), std::move(upgrade))) {}

HttpServer::~HttpServer() = default;

bool HttpServer::listen(const std::string& address, uint16_t port, std::string& error, const TlsFiles* tls) {
  beast::error_code ec;
  auto addr = net::ip::make_address(address, ec);
  if (ec) {
    error = "bad address " + address + ": " + ec.message();
    return false;
  }
  auto l = std::make_unique<Impl::Listener>(impl_->ioc);
  if (tls && !(l->tls = make_tls_context(*tls, error))) return false;
  tcp::endpoint ep(addr, port);
  auto& a = l->acceptor;
  a.open(ep.protocol(), ec);
  if (!ec) a.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(ep, ec);
  if (!ec) a.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    error = ec.message();
    return false;
  }
  impl_->listeners.push_back(std::move(l));
  return true;
}

uint16_t HttpServer::port(size_t index) const {
  if (index >= impl_->listeners.size()) return 0;
  beast::error_code ec;
  return impl_->listeners[index]->acceptor.local_endpoint(ec).port();
}

void HttpServer::run() {
  for (auto& l : impl_->listeners) impl_->accept(*l);
  impl_->ioc.run();
}

void HttpServer::stop() { impl_->ioc.stop(); }

}  // namespace mos::cloud

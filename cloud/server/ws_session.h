// A WebSocket connection (RFC 6455) of mos-cloud's HTTP front, after the
// upgrade: internal to http_server.cpp, a template over the same streams as
// the HTTP Session (plain TCP and TLS).
//
// Threads: the socket is only touched on its strand (the reactor); the
// owner's LiveHandler runs on the worker pool, one call at a time per
// channel: the next frame is read only after on_text returned, so a slow
// handler slows its own client (TCP back-pressure) and nothing queues
// without bound. Outgoing messages queue on the strand; the owner's
// send_text fails, and the channel is closed with 1008, once more than
// max_ws_queue_bytes wait for a reader that does not read.
#pragma once
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <atomic>
#include <deque>
#include <memory>
#include <string>

#include "http_server.h"

namespace mos::cloud::detail {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;

// Counts the connection for the server's cap while it lives.
struct ConnectionCount {
  explicit ConnectionCount(std::atomic<size_t>& n) : n_(n) { ++n_; }
  ~ConnectionCount() { --n_; }
  ConnectionCount(const ConnectionCount&) = delete;
  ConnectionCount& operator=(const ConnectionCount&) = delete;
  std::atomic<size_t>& n_;
};

// The owner's handle. It outlives the socket safely: once the session is
// gone send_text returns false.
class WsChannel : public LiveChannel {
 public:
  struct Sink {
    virtual ~Sink() = default;
    virtual void post_text(std::string message) = 0;
    virtual void post_close(std::string reason) = 0;
  };
  explicit WsChannel(size_t max_queue) : max_queue_(max_queue) {}

  bool send_text(std::string message) override {
    auto sink = sink_.lock();
    if (!sink || closed_.load()) return false;
    size_t n = message.size();
    if (queued_.fetch_add(n) + n > max_queue_) {
      queued_.fetch_sub(n);
      closed_ = true;
      sink->post_close("the client does not read fast enough (more than " + std::to_string(max_queue_) +
                       " bytes queued)");
      return false;
    }
    sink->post_text(std::move(message));
    return true;
  }
  void close(const std::string& reason) override {
    if (auto sink = sink_.lock(); sink && !closed_.exchange(true)) sink->post_close(reason);
  }

  void bind(std::weak_ptr<Sink> sink) { sink_ = std::move(sink); }
  void sent(size_t n) { queued_.fetch_sub(n); }
  void mark_closed() { closed_ = true; }

 private:
  size_t max_queue_;
  std::atomic<size_t> queued_{0};
  std::atomic<bool> closed_{false};
  std::weak_ptr<Sink> sink_;
};

template <class Stream>
class WsSession : public WsChannel::Sink, public std::enable_shared_from_this<WsSession<Stream>> {
 public:
  WsSession(Stream stream, std::atomic<size_t>& connections, net::thread_pool& workers, const HttpLimits& limits,
            std::shared_ptr<WsChannel> channel, std::shared_ptr<LiveHandler> handler)
      : ws_(std::move(stream)),
        count_(connections),
        handler_strand_(net::make_strand(workers)),
        channel_(std::move(channel)),
        handler_(std::move(handler)) {
    beast::get_lowest_layer(ws_).expires_never();  // websocket::stream keeps its own timers
    websocket::stream_base::timeout t{};
    t.handshake_timeout = limits.write_timeout;
    // Beast pings after half the idle time without a frame from the peer and
    // closes after the whole of it: a ping every ws_ping_interval.
    t.idle_timeout = limits.ws_ping_interval * 2;
    t.keep_alive_pings = true;
    ws_.set_option(t);
    ws_.read_message_max(limits.max_ws_message);  // larger: close 1009 (RFC 6455 §7.4.1)
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, "mos-cloud"); }));
  }

  // Completes the opening handshake (101) for the request already read.
  void accept(http::request<http::string_body> req) {
    channel_->bind(std::weak_ptr<WsChannel::Sink>(this->shared_from_this()));
    ws_.async_accept(req, [self = this->shared_from_this()](beast::error_code ec) {
      if (ec) return self->finish();
      self->read();
    });
  }

  void post_text(std::string message) override {
    net::post(ws_.get_executor(), [self = this->shared_from_this(), m = std::move(message)]() mutable {
      self->out_.push_back(std::move(m));
      self->write_next();
    });
  }
  void post_close(std::string reason) override {
    net::post(ws_.get_executor(), [self = this->shared_from_this(), r = std::move(reason)]() mutable {
      // 1000 for the owner's close; 1008 (policy violation) for a reader
      // that fell too far behind (WsChannel::send_text).
      self->close_code_ = r.rfind("the client does not read", 0) == 0 ? websocket::close_code::policy_error
                                                                        : websocket::close_code::normal;
      // A close reason is at most 123 bytes (RFC 6455 §5.5: control frame
      // payload <= 125, 2 of them the code).
      self->close_reason_ = r.substr(0, 123);
      self->closing_ = true;
      self->write_next();
    });
  }

 private:
  void read() {
    ws_.async_read(in_, [self = this->shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->finish();
      if (!self->ws_.got_text()) {
        // Binary frames are not part of any protocol we speak (1003).
        self->close_code_ = websocket::close_code::unknown_data;
        self->close_reason_ = "binary frames are not accepted; send JSON text";
        self->closing_ = true;
        self->in_.clear();
        return self->write_next();
      }
      std::string text = beast::buffers_to_string(self->in_.data());
      self->in_.clear();
      net::post(self->handler_strand_, [self, text = std::move(text)]() {
        try {
          self->handler_->on_text(text);
        } catch (...) {
          // The owner's bug must not take the server down; the peer gets
          // a close instead of an answer.
          self->post_close("internal error");
        }
        net::post(self->ws_.get_executor(), [self] { self->read(); });
      });
    });
  }

  void write_next() {
    if (writing_ || closed_) return;
    if (out_.empty()) {
      if (closing_ && !close_sent_) {
        close_sent_ = true;
        writing_ = true;
        ws_.async_close(websocket::close_reason(close_code_, close_reason_),
                        [self = this->shared_from_this()](beast::error_code) { self->writing_ = false; });
      }
      return;
    }
    writing_ = true;
    ws_.text(true);
    ws_.async_write(net::buffer(out_.front()), [self = this->shared_from_this()](beast::error_code ec, size_t) {
      self->writing_ = false;
      self->channel_->sent(self->out_.front().size());
      self->out_.pop_front();
      if (ec) return self->finish();
      self->write_next();
    });
  }

  // The connection ended (peer close, error, timeout): the owner hears it
  // once, after every on_text it was given.
  void finish() {
    if (closed_) return;
    closed_ = true;
    channel_->mark_closed();
    net::post(handler_strand_, [h = handler_] { h->on_close(); });
  }

  websocket::stream<Stream> ws_;
  ConnectionCount count_;
  net::strand<net::thread_pool::executor_type> handler_strand_;
  std::shared_ptr<WsChannel> channel_;
  std::shared_ptr<LiveHandler> handler_;
  beast::flat_buffer in_;
  std::deque<std::string> out_;
  bool writing_ = false, closing_ = false, close_sent_ = false, closed_ = false;
  websocket::close_code close_code_ = websocket::close_code::normal;
  std::string close_reason_;
};

}  // namespace mos::cloud::detail

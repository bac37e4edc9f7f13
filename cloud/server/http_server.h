// The HTTP/1.1 front of mos-cloud: an event-driven server (Boost.Beast on one
// Asio io_context thread) that reads requests under strict limits and hands
// each complete request to a small worker pool. Beast stays inside
// http_server.cpp; callers see plain structs.
//
// Why this shape (see http_server.cpp for the details):
//  - One reactor thread owns every socket, so a client that drips bytes
//    (slowloris) holds a few hundred bytes of state and a timer, not a thread.
//  - Every limit is enforced while reading, before the handler (and so before
//    the SigV4 check) sees the request: header bytes and count, body bytes
//    (Content-Length and chunked alike), and deadlines for headers, the whole
//    request, writes and idle keep-alive connections.
//  - Handlers (SQLite, CA signing) run on the worker pool so a slow one does
//    not stall the reactor; the reply is written back on the reactor thread.
#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "api.h"
#include "mos/sigv4/sigv4.h"

namespace mos::cloud {

struct HttpLimits {
  size_t max_header_bytes = 16 * 1024;  // request line + fields; more: 431
  size_t max_header_fields = 100;       // more: 431
  size_t max_body = 128 * 1024;         // decoded body, chunked included; more: 413
  std::chrono::milliseconds idle_timeout{30'000};     // keep-alive wait for the next request
  std::chrono::milliseconds header_timeout{10'000};   // first byte to end of headers
  std::chrono::milliseconds request_timeout{30'000};  // first byte to end of body
  std::chrono::milliseconds write_timeout{10'000};    // one response
  size_t max_connections = 4096;  // further connections are closed at once
  // After an error reply the server stops sending and discards what the
  // client is still sending (up to this much, for at most linger_timeout) so
  // the client can read the reply instead of seeing a reset.
  size_t linger_bytes = 1024 * 1024;
  std::chrono::milliseconds linger_timeout{2'000};
  unsigned workers = 2;  // handler threads
  // WebSocket channels (RFC 6455): the largest message a client may send
  // (more: close 1009), and how much may wait unsent to a slow reader before
  // the server closes the channel (1008) instead of buffering without bound.
  size_t max_ws_message = 256 * 1024;
  size_t max_ws_queue_bytes = 4 * 1024 * 1024;
  std::chrono::milliseconds ws_ping_interval{20'000};  // a dead peer is closed after two silent intervals
};

// Called on a worker thread with a complete request; returns the reply.
using HttpHandler = std::function<Response(sigv4::Request& req)>;
// One line about a request rejected before it reached the handler.
using HttpLog = std::function<void(const std::string& line)>;

// A WebSocket the server accepted, as its owner sees it. Thread-safe; it may
// outlive the connection (then send_text returns false).
class LiveChannel {
 public:
  virtual ~LiveChannel() = default;
  // Queues one text message. False when the channel is closed, or when the
  // reader is so slow that max_ws_queue_bytes would be exceeded (the server
  // then closes the channel with 1008 and a reason).
  virtual bool send_text(std::string message) = 0;
  // Sends a close frame (1000, `reason`) after what is queued.
  virtual void close(const std::string& reason) = 0;
};

// The owner's side of one channel. Calls come on a worker thread, one at a
// time per channel, in order; on_close comes once, last.
class LiveHandler {
 public:
  virtual ~LiveHandler() = default;
  virtual void on_text(const std::string& message) = 0;
  virtual void on_close() = 0;
};

// Called on a worker thread for a request that asks to upgrade to WebSocket
// (GET with Upgrade: websocket, RFC 6455 §4.2.1). Returns the channel's
// handler to accept it, or nullptr and sets `reject` (e.g. 401/403/404) to
// refuse it with that HTTP reply. `channel` is usable once accepted.
using UpgradeHandler = std::function<std::shared_ptr<LiveHandler>(
    const sigv4::Request& req, std::shared_ptr<LiveChannel> channel, Response& reject)>;

// A TLS listener's certificate chain and key (PEM files).
struct TlsFiles {
  std::string cert_chain_file;
  std::string key_file;
};

class HttpServer {
 public:
  HttpServer(HttpLimits limits, HttpHandler handler, HttpLog log = {}, UpgradeHandler upgrade = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens (plain HTTP, or HTTPS with `tls`); false with `error`
  // set if the address or the certificate is unusable. May be called more
  // than once before run(): one server, several listeners.
  bool listen(const std::string& address, uint16_t port, std::string& error, const TlsFiles* tls = nullptr);
  // The port of the first listener (of the n-th with `index`).
  uint16_t port(size_t index = 0) const;
  // Serves until stop(); runs the reactor on the calling thread.
  void run();
  // Thread-safe; run() returns soon after.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mos::cloud

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
};

// Called on a worker thread with a complete request; returns the reply.
using HttpHandler = std::function<Response(sigv4::Request& req)>;
// One line about a request rejected before it reached the handler.
using HttpLog = std::function<void(const std::string& line)>;

class HttpServer {
 public:
  HttpServer(HttpLimits limits, HttpHandler handler, HttpLog log = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens; false with `error` set if the address is unusable.
  bool listen(const std::string& address, uint16_t port, std::string& error);
  uint16_t port() const;
  // Serves until stop(); runs the reactor on the calling thread.
  void run();
  // Thread-safe; run() returns soon after.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mos::cloud

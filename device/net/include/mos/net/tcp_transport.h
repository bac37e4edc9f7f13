// A non-blocking TCP client over POSIX sockets (host only: tests, the sim
// board, tools). TLS runs over it as another mos::Transport.
#pragma once
#include <cstdint>
#include <string_view>

#include "mos/hal.h"

namespace mos::net {

class TcpTransport : public Transport {
 public:
  TcpTransport() = default;
  ~TcpTransport() override;
  TcpTransport(const TcpTransport&) = delete;
  TcpTransport& operator=(const TcpTransport&) = delete;

  // Resolves host (numeric IPv4/IPv6, "localhost", or a name from the hosts
  // file; IPv4 is preferred) and starts a non-blocking connect. Returns
  // kWouldBlock while the connect is in progress; read()/write() report
  // kWouldBlock until it completes and kError if it failed.
  Status connect(std::string_view host, uint16_t port) override;
  int32_t write(ConstByteSpan data) override;
  int32_t read(ByteSpan out) override;
  void close() override;
  bool connected() const override;
  const char* last_error() const override { return error_; }

  // The socket for a poll()-based Waiter; -1 when closed.
  int fd() const { return fd_; }
  // True while the connect is in progress: wait for POLLOUT, not POLLIN.
  bool connecting() const { return state_ == State::kConnecting; }
  // True after a write() returned kWouldBlock: wait for POLLOUT too.
  bool write_blocked() const { return write_blocked_; }

 private:
  enum class State { kClosed, kConnecting, kConnected, kFailed };
  // Completes a pending connect if the socket is ready; false if still pending
  // or failed (then state_ says which).
  bool finish_connect() const;
  void fail(const char* what, int err) const;

  int fd_ = -1;
  bool write_blocked_ = false;
  // A send failed (the peer reset): what it sent before resetting is still
  // readable, e.g. a TLS alert saying why it refused us (RFC 5246 §7.2).
  bool drain_after_send_error_ = false;
  mutable State state_ = State::kClosed;
  char peer_[72] = {};  // "host:port", for error messages
  mutable char error_[256] = {};
};

}  // namespace mos::net

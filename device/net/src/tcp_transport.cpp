#include "mos/net/tcp_transport.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstring>

namespace mos::net {
namespace {

// strerror() capitalises ("Connection refused"); our messages continue a
// sentence ("connect to 127.0.0.1:1883: connection refused").
void lower_first(char* s) {
  if (s[0] != 0) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
}

}  // namespace

TcpTransport::~TcpTransport() { close(); }

void TcpTransport::fail(const char* what, int err) const {
  char reason[96];
  std::snprintf(reason, sizeof(reason), "%s", std::strerror(err));
  lower_first(reason);
  std::snprintf(error_, sizeof(error_), "%s %s: %s", what, peer_, reason);
  state_ = State::kFailed;
}

Status TcpTransport::connect(std::string_view host, uint16_t port) {
  close();
  error_[0] = '\0';
  const int shown = static_cast<int>(host.size() > 64 ? 64 : host.size());
  std::snprintf(peer_, sizeof(peer_), "%.*s:%u", shown, host.data(), static_cast<unsigned>(port));
  char name[256];
  if (host.empty() || host.size() >= sizeof(name)) {
    std::snprintf(error_, sizeof(error_), "connect to %s: bad host name", peer_);
    state_ = State::kFailed;
    return Status::kInvalidArg;
  }
  std::memcpy(name, host.data(), host.size());
  name[host.size()] = '\0';
  char service[8];
  std::snprintf(service, sizeof(service), "%u", static_cast<unsigned>(port));

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* list = nullptr;
  int rc = getaddrinfo(name, service, &hints, &list);
  if (rc != 0) {
    std::snprintf(error_, sizeof(error_),
                  "resolve %s: %s (use an IP address or a name in /etc/hosts)", peer_,
                  gai_strerror(rc));
    state_ = State::kFailed;
    return Status::kNotFound;
  }
  // Local servers in tests listen on 127.0.0.1 only, while "localhost" often
  // resolves to ::1 first: prefer IPv4 so one non-blocking attempt suffices.
  const addrinfo* pick = list;
  for (const addrinfo* a = list; a != nullptr; a = a->ai_next) {
    if (a->ai_family == AF_INET) {
      pick = a;
      break;
    }
  }
  fd_ = ::socket(pick->ai_family, pick->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                 pick->ai_protocol);
  if (fd_ < 0) {
    int err = errno;
    freeaddrinfo(list);
    fail("socket for", err);
    return Status::kIoError;
  }
  // MQTT packets are small and latency matters more than batching.
  int one = 1;
  (void)setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  rc = ::connect(fd_, pick->ai_addr, pick->ai_addrlen);
  int err = errno;
  freeaddrinfo(list);
  if (rc == 0) {
    state_ = State::kConnected;
    return Status::kOk;
  }
  if (err == EINPROGRESS) {
    state_ = State::kConnecting;
    return Status::kWouldBlock;
  }
  fail("connect to", err);
  ::close(fd_);
  fd_ = -1;
  return Status::kIoError;
}

bool TcpTransport::finish_connect() const {
  if (state_ == State::kConnected) return true;
  if (state_ != State::kConnecting) return false;
  pollfd p{fd_, POLLOUT, 0};
  if (::poll(&p, 1, 0) <= 0) return false;  // still in progress
  int err = 0;
  socklen_t len = sizeof(err);
  if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  if (err != 0) {
    fail("connect to", err);
    return false;
  }
  state_ = State::kConnected;
  return true;
}

bool TcpTransport::connected() const { return finish_connect(); }

int32_t TcpTransport::write(ConstByteSpan data) {
  if (!finish_connect()) return state_ == State::kConnecting ? kWouldBlock : kError;
  if (data.empty()) return 0;
  // MSG_NOSIGNAL: a peer reset must be an error code, not a SIGPIPE.
  size_t want = data.size() > 0x7fffffff ? 0x7fffffff : data.size();
  ssize_t n = ::send(fd_, data.data(), want, MSG_NOSIGNAL);
  write_blocked_ = n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  if (n >= 0) return static_cast<int32_t>(n);
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return kWouldBlock;
  fail("send to", errno);
  drain_after_send_error_ = true;
  return kError;
}

int32_t TcpTransport::read(ByteSpan out) {
  if (state_ == State::kFailed && drain_after_send_error_ && fd_ >= 0 && !out.empty()) {
    // The kernel keeps what arrived before the reset; hand it out, then the
    // send's error again (error_ still names it).
    size_t want = out.size() > 0x7fffffff ? 0x7fffffff : out.size();
    ssize_t n = ::recv(fd_, out.data(), want, MSG_DONTWAIT);
    if (n > 0) return static_cast<int32_t>(n);
    drain_after_send_error_ = false;
    return kError;
  }
  if (!finish_connect()) return state_ == State::kConnecting ? kWouldBlock : kError;
  if (out.empty()) return 0;
  size_t want = out.size() > 0x7fffffff ? 0x7fffffff : out.size();
  ssize_t n = ::recv(fd_, out.data(), want, 0);
  if (n > 0) return static_cast<int32_t>(n);
  if (n == 0) {
    std::snprintf(error_, sizeof(error_), "connection to %s closed by the peer", peer_);
    state_ = State::kFailed;
    return kClosed;
  }
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return kWouldBlock;
  fail("receive from", errno);
  return kError;
}

void TcpTransport::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  write_blocked_ = false;
  drain_after_send_error_ = false;
  state_ = State::kClosed;
}

}  // namespace mos::net

#include "mos/net/poll_waiter.h"

#include <errno.h>
#include <poll.h>

namespace mos::net {

Status PollWaiter::add(const Watch& w) {
  for (Watch& slot : watches_) {
    if (!slot.used) {
      slot = w;
      slot.used = true;
      return Status::kOk;
    }
  }
  return Status::kNoSpace;
}

Status PollWaiter::watch_fd(int fd, short events) {
  if (fd < 0) return Status::kInvalidArg;
  return add(Watch{nullptr, fd, events, true});
}

Status PollWaiter::watch(const TcpTransport* transport) {
  if (transport == nullptr) return Status::kInvalidArg;
  return add(Watch{transport, -1, 0, true});
}

void PollWaiter::unwatch_fd(int fd) {
  for (Watch& w : watches_) {
    if (w.used && w.transport == nullptr && w.fd == fd) w.used = false;
  }
}

void PollWaiter::unwatch(const TcpTransport* transport) {
  for (Watch& w : watches_) {
    if (w.used && w.transport == transport) w.used = false;
  }
}

void PollWaiter::wait(uint32_t max_ms) {
  pollfd fds[kMaxWatches];
  nfds_t n = 0;
  for (const Watch& w : watches_) {
    if (!w.used) continue;
    if (w.transport != nullptr) {
      if (w.transport->fd() < 0) continue;
      short ev = w.transport->connecting() ? POLLOUT : POLLIN;
      if (w.transport->write_blocked()) ev = static_cast<short>(ev | POLLOUT);
      fds[n] = pollfd{w.transport->fd(), ev, 0};
    } else {
      fds[n] = pollfd{w.fd, w.events, 0};
    }
    ++n;
  }
  int timeout = max_ms > 0x7fffffffu ? 0x7fffffff : static_cast<int>(max_ms);
  int rc = ::poll(fds, n, timeout);
  last_ready_ = rc > 0 ? rc : 0;
}

}  // namespace mos::net

// A mos::Waiter for host event loops: sleeps in poll() until one of the
// watched sockets is ready or the loop's next timer is due.
#pragma once
#include <cstddef>

#include "mos/event_loop.h"
#include "mos/net/tcp_transport.h"

namespace mos::net {

class PollWaiter : public Waiter {
 public:
  static constexpr size_t kMaxWatches = 16;

  // A fixed fd (a listening socket, a pseudo-terminal) waited on for `events`
  // (POLLIN / POLLOUT). kNoSpace when kMaxWatches are in use.
  Status watch_fd(int fd, short events);
  // A transport whose fd changes as it reconnects: read on every wait(), with
  // POLLOUT while its connect is in progress and POLLIN otherwise.
  Status watch(const TcpTransport* transport);
  void unwatch_fd(int fd);
  void unwatch(const TcpTransport* transport);

  void wait(uint32_t max_ms) override;
  // How many watched descriptors were ready after the last wait().
  int last_ready() const { return last_ready_; }

 private:
  struct Watch {
    const TcpTransport* transport = nullptr;
    int fd = -1;
    short events = 0;
    bool used = false;
  };
  Status add(const Watch& w);
  Watch watches_[kMaxWatches];
  int last_ready_ = 0;
};

}  // namespace mos::net

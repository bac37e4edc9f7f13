#include "mos/sim/pty_uart.h"

#include <fcntl.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace mos::sim {

PtyUart::~PtyUart() { close(); }

Status PtyUart::open() {
  close();
  int fd = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0 || grantpt(fd) != 0 || unlockpt(fd) != 0) {
    std::snprintf(error_, sizeof(error_), "cannot allocate a pseudo-terminal: %s",
                  std::strerror(errno));
    if (fd >= 0) ::close(fd);
    return Status::kIoError;
  }
  fd_ = fd;
  Status s = finish_open();
  if (s != Status::kOk) return s;
  // Raw mode lives in the slave's termios, which outlives the slave's opens
  // while the master is open: set it once, so programs that do not set their
  // own (a script opening the path) get no echo and no line editing either.
  int slave = ::open(path_, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0) {
    std::snprintf(error_, sizeof(error_), "cannot open %s: %s", path_, std::strerror(errno));
    close();
    return Status::kIoError;
  }
  termios tio{};
  if (tcgetattr(slave, &tio) == 0) {
    cfmakeraw(&tio);
    cfsetispeed(&tio, B115200);
    cfsetospeed(&tio, B115200);
    (void)tcsetattr(slave, TCSANOW, &tio);
  }
  // Closing it puts the master in the "nobody listens" state (POLLHUP), so
  // output written before a tool connects is dropped, not kept as backlog.
  ::close(slave);
  return Status::kOk;
}

Status PtyUart::adopt(int master_fd) {
  close();
  int flags = fcntl(master_fd, F_GETFL);
  if (flags < 0) {
    std::snprintf(error_, sizeof(error_), "inherited pseudo-terminal fd %d is not open",
                  master_fd);
    return Status::kInvalidArg;
  }
  (void)fcntl(master_fd, F_SETFL, flags | O_NONBLOCK);
  (void)fcntl(master_fd, F_SETFD, FD_CLOEXEC);
  fd_ = master_fd;
  return finish_open();
}

Status PtyUart::finish_open() {
  if (ptsname_r(fd_, path_, sizeof(path_)) != 0) {
    std::snprintf(error_, sizeof(error_), "ptsname: %s", std::strerror(errno));
    close();
    return Status::kIoError;
  }
  listener_ = false;
  return Status::kOk;
}

void PtyUart::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  path_[0] = '\0';
  listener_ = false;
}

bool PtyUart::listener_present() {
  if (fd_ < 0) return false;
  pollfd p{fd_, 0, 0};
  // Linux reports POLLHUP on the master while no process has the slave open.
  bool now = ::poll(&p, 1, 0) >= 0 && (p.revents & POLLHUP) == 0;
  if (listener_ && !now) (void)tcflush(fd_, TCIOFLUSH);
  if (!listener_ && now) {
    // Output the last listener left unread may already sit in the slave's
    // input queue, where only a flush on the slave side reaches it. Nothing
    // was written since (output is dropped while nobody listens), so all of
    // it is stale. The new listener's own input (master side) is untouched.
    int s = ::open(path_, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (s >= 0) {
      (void)tcflush(s, TCIFLUSH);
      ::close(s);
    }
  }
  listener_ = now;
  return now;
}

int32_t PtyUart::write(ConstByteSpan data) {
  if (fd_ < 0) return Transport::kClosed;
  const int32_t total = static_cast<int32_t>(data.size());
  if (!listener_present()) {
    dropped_ += data.size();
    return total;
  }
  size_t off = 0;
  int waited = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd_, data.data() + off, data.size() - off);
    if (n > 0) {
      off += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN && waited < kStallMs) {
      pollfd p{fd_, POLLOUT, 0};
      (void)::poll(&p, 1, 10);
      waited += 10;
      continue;
    }
    break;  // EIO (the listener left) or a stalled listener: drop the rest
  }
  dropped_ += data.size() - off;
  return total;
}

int32_t PtyUart::read(ByteSpan out) {
  if (fd_ < 0) return Transport::kClosed;
  ssize_t n = ::read(fd_, out.data(), out.size());
  if (n > 0) return static_cast<int32_t>(n);
  // EIO: nobody has the slave open; that is an idle line, not a failure.
  if (n < 0 && (errno == EAGAIN || errno == EINTR || errno == EIO)) return Transport::kWouldBlock;
  return n == 0 ? Transport::kWouldBlock : Transport::kError;
}

}  // namespace mos::sim

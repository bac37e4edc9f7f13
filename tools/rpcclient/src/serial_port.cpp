#include "mos/rpcclient/serial_port.h"

#include <fcntl.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace mos::rpcclient {
namespace {

speed_t to_speed(int baud) {
  switch (baud) {
    case 9600: return B9600;
    case 19200: return B19200;
    case 38400: return B38400;
    case 57600: return B57600;
    case 230400: return B230400;
    case 460800: return B460800;
    case 921600: return B921600;
    default: return B115200;
  }
}

std::runtime_error os_error(const std::string& what, const std::string& path) {
  return std::runtime_error(what + " " + path + ": " + std::strerror(errno));
}

}  // namespace

SerialPort::SerialPort(const std::string& path, int baud) : path_(path) {
  // O_NOCTTY: a board's port must never become our controlling terminal.
  fd_ = ::open(path.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd_ < 0) throw os_error("cannot open serial port", path);
  termios tio{};
  if (::tcgetattr(fd_, &tio) != 0) {
    auto e = os_error("not a serial port (tcgetattr failed):", path);
    ::close(fd_);
    throw e;
  }
  ::cfmakeraw(&tio);
  tio.c_cflag |= CLOCAL | CREAD;
  tio.c_cflag &= ~static_cast<tcflag_t>(CRTSCTS);
  tio.c_cc[VMIN] = 0;
  tio.c_cc[VTIME] = 0;
  ::cfsetispeed(&tio, to_speed(baud));
  ::cfsetospeed(&tio, to_speed(baud));
  if (::tcsetattr(fd_, TCSANOW, &tio) != 0) {
    auto e = os_error("cannot configure serial port", path);
    ::close(fd_);
    throw e;
  }
}

SerialPort::~SerialPort() {
  if (fd_ >= 0) ::close(fd_);
}

void SerialPort::write(std::string_view data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd_, data.data() + done, data.size() - done);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR) throw os_error("write failed on", path_);
    pollfd p{fd_, POLLOUT, 0};
    int r = ::poll(&p, 1, 5000);
    if (r == 0) {
      throw std::runtime_error("write to " + path_ +
                               " stalled for 5 s: is the board reading its serial port?");
    }
  }
}

size_t SerialPort::read_some(std::string* out, std::chrono::milliseconds timeout) {
  pollfd p{fd_, POLLIN, 0};
  int r = ::poll(&p, 1, static_cast<int>(timeout.count()));
  if (r < 0) {
    if (errno == EINTR) return 0;
    throw os_error("poll failed on", path_);
  }
  if (r == 0) return 0;
  char buf[4096];
  ssize_t n = ::read(fd_, buf, sizeof buf);
  if (n > 0) {
    out->append(buf, static_cast<size_t>(n));
    return static_cast<size_t>(n);
  }
  if (n == 0 || (p.revents & (POLLHUP | POLLERR)) != 0) {
    // A pty whose board side is gone reports hang-up (EIO on read).
    throw std::runtime_error("serial port " + path_ +
                             " was closed by the other side: did the board stop? see `mos sim list`");
  }
  if (errno == EAGAIN || errno == EINTR) return 0;
  if (errno == EIO) {
    throw std::runtime_error("serial port " + path_ +
                             " hung up (EIO): did the board stop? see `mos sim list`");
  }
  throw os_error("read failed on", path_);
}

}  // namespace mos::rpcclient

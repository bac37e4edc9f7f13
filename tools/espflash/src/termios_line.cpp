#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "mos/espflash/serial_line.h"

namespace mos::espflash {
namespace {

speed_t speed_of(uint32_t baud) {
  switch (baud) {
    case 9600: return B9600;
    case 19200: return B19200;
    case 38400: return B38400;
    case 57600: return B57600;
    case 74880: return B57600;  // no termios constant; ESP8266 boot log rate, never used to flash
    case 115200: return B115200;
    case 230400: return B230400;
    case 460800: return B460800;
    case 921600: return B921600;
    case 1500000: return B1500000;
    case 2000000: return B2000000;
    default: return 0;
  }
}

class TermiosLine : public SerialLine {
 public:
  TermiosLine(const std::string& path, uint32_t baud) : path_(path) {
    fd_ = ::open(path.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd_ < 0) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
    termios t{};
    if (tcgetattr(fd_, &t) != 0) {
      const int e = errno;
      ::close(fd_);
      throw std::runtime_error(path + " is not a serial port: " + std::strerror(e));
    }
    cfmakeraw(&t);
    t.c_cflag |= CLOCAL | CREAD;
    t.c_cflag &= ~static_cast<tcflag_t>(CRTSCTS);
    t.c_cc[VMIN] = 0;
    t.c_cc[VTIME] = 0;
    if (tcsetattr(fd_, TCSANOW, &t) != 0) {
      const int e = errno;
      ::close(fd_);
      throw std::runtime_error("cannot configure " + path + ": " + std::strerror(e));
    }
    set_baud(baud);
  }
  ~TermiosLine() override { ::close(fd_); }

  void write(const uint8_t* data, size_t n) override {
    while (n > 0) {
      ssize_t w = ::write(fd_, data, n);
      if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
        pollfd p{fd_, POLLOUT, 0};
        ::poll(&p, 1, 1000);
        continue;
      }
      if (w <= 0) throw std::runtime_error("write to " + path_ + " failed: " + std::strerror(errno));
      data += w;
      n -= static_cast<size_t>(w);
    }
  }

  size_t read(uint8_t* out, size_t max, std::chrono::milliseconds timeout) override {
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(timeout.count()));
    if (r <= 0) return 0;
    ssize_t n = ::read(fd_, out, max);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return 0;
    if (n < 0) throw std::runtime_error("read from " + path_ + " failed: " + std::strerror(errno));
    if (n == 0 && (p.revents & POLLHUP)) throw std::runtime_error(path_ + " was closed");
    return static_cast<size_t>(n);
  }

  void set_baud(uint32_t baud) override {
    const speed_t s = speed_of(baud);
    if (s == 0) throw std::runtime_error("unsupported baud rate " + std::to_string(baud));
    termios t{};
    if (tcgetattr(fd_, &t) != 0 || cfsetispeed(&t, s) != 0 || cfsetospeed(&t, s) != 0 ||
        tcsetattr(fd_, TCSADRAIN, &t) != 0) {
      throw std::runtime_error("cannot set " + path_ + " to " + std::to_string(baud) + " baud: " +
                               std::strerror(errno));
    }
  }

  // TIOCMSET changes both lines in one call, so the chip never sees an
  // intermediate state. A pty has no modem lines: the ioctl fails there.
  bool set_dtr_rts(bool dtr, bool rts) override {
    int bits = 0;
    if (ioctl(fd_, TIOCMGET, &bits) != 0) return false;
    bits = dtr ? (bits | TIOCM_DTR) : (bits & ~TIOCM_DTR);
    bits = rts ? (bits | TIOCM_RTS) : (bits & ~TIOCM_RTS);
    return ioctl(fd_, TIOCMSET, &bits) == 0;
  }

  void flush_input() override { tcflush(fd_, TCIFLUSH); }
  std::string name() const override { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace

std::unique_ptr<SerialLine> open_termios_line(const std::string& path, uint32_t baud) {
  return std::make_unique<TermiosLine>(path, baud);
}

}  // namespace mos::espflash

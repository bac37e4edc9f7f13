// DTR/RTS for a virtual board: its pty has no modem lines, so they travel as
// `lines DTR RTS` over the board's control socket.
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "mos/espflash/serial_line.h"

namespace mos::espflash {
namespace {

class ControlSocketLine : public SerialLine {
 public:
  ControlSocketLine(std::unique_ptr<SerialLine> inner, std::string path)
      : inner_(std::move(inner)), path_(std::move(path)) {}

  void write(const uint8_t* data, size_t n) override { inner_->write(data, n); }
  size_t read(uint8_t* out, size_t max, std::chrono::milliseconds timeout) override {
    return inner_->read(out, max, timeout);
  }
  void set_baud(uint32_t baud) override { inner_->set_baud(baud); }
  void flush_input() override { inner_->flush_input(); }
  std::string name() const override { return inner_->name(); }

  bool set_dtr_rts(bool dtr, bool rts) override {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::string path = path_;
    int dirfd = -1;
    if (path.size() >= sizeof(addr.sun_path)) {
      // sun_path holds 108 bytes: reach a deep directory through /proc.
      const size_t slash = path.rfind('/');
      if (slash == std::string::npos) return false;
      dirfd = ::open(path.substr(0, slash).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (dirfd < 0) return false;
      path = "/proc/self/fd/" + std::to_string(dirfd) + path.substr(slash);
      if (path.size() >= sizeof(addr.sun_path)) {
        ::close(dirfd);
        return false;
      }
    }
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool ok = fd >= 0 && connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    if (dirfd >= 0) ::close(dirfd);
    if (fd < 0) return false;
    if (ok) {
      const std::string req = std::string("lines ") + (dtr ? "1" : "0") + " " + (rts ? "1" : "0") + "\n";
      ok = ::write(fd, req.data(), req.size()) == static_cast<ssize_t>(req.size());
    }
    std::string reply;
    while (ok && reply.find('\n') == std::string::npos && reply.size() < 256) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 1000) <= 0) break;
      char buf[128];
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n <= 0) break;
      reply.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    return ok && reply.rfind("ok", 0) == 0;
  }

 private:
  std::unique_ptr<SerialLine> inner_;
  std::string path_;
};

}  // namespace

std::unique_ptr<SerialLine> with_control_socket(std::unique_ptr<SerialLine> inner,
                                                const std::string& socket_path) {
  return std::make_unique<ControlSocketLine>(std::move(inner), socket_path);
}

}  // namespace mos::espflash

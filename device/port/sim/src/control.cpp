#include "mos/sim/control.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "mos/log.h"

namespace mos::sim {

ControlServer::~ControlServer() { close(); }

Status ControlServer::open(const char* path) {
  close();
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (std::strlen(path) >= sizeof(addr.sun_path)) return Status::kInvalidArg;
  std::strcpy(addr.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::kIoError;
  ::unlink(path);  // a socket left by a board that was killed
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(fd, 8) != 0) {
    ::close(fd);
    return Status::kIoError;
  }
  fd_ = fd;
  path_ = path;
  return Status::kOk;
}

Status ControlServer::adopt(int fd, const char* path) {
  close();
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0) return Status::kInvalidArg;
  (void)fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
  fd_ = fd;
  path_ = path;
  return Status::kOk;
}

int ControlServer::detach_for_reset() {
  int fd = fd_;
  if (fd >= 0) (void)fcntl(fd, F_SETFD, 0);
  fd_ = -1;
  return fd;
}

void ControlServer::close() {
  for (Press& p : presses_) {
    loop_.cancel_timer(p.timer);
    p = Press{};
  }
  if (fd_ >= 0) {
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  fd_ = -1;
}

void ControlServer::poll(uint64_t /*now_ms*/) {
  if (fd_ < 0) return;
  for (;;) {
    int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) return;
    // Tools send one short line right after connecting; wait for it briefly
    // rather than keep per-client state.
    std::string line;
    char buf[256];
    for (int waited = 0; waited < 500 && line.find('\n') == std::string::npos;) {
      pollfd p{c, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) {
        waited += 50;
        continue;
      }
      ssize_t n = ::read(c, buf, sizeof(buf));
      if (n <= 0) break;
      line.append(buf, static_cast<size_t>(n));
      if (line.size() > 1024) break;
    }
    size_t nl = line.find('\n');
    if (nl != std::string::npos) line.resize(nl);
    std::string reply = handle(line) + "\n";
    (void)!::write(c, reply.data(), reply.size());
    ::close(c);
    run_pending();
  }
}

std::string ControlServer::handle(const std::string& line) {
  std::istringstream in(line);
  std::string cmd;
  in >> cmd;
  auto pin_arg = [&](int* pin) {
    std::string s;
    if (!(in >> s)) return false;
    char* end = nullptr;
    long v = std::strtol(s.c_str(), &end, 10);
    if (end == s.c_str() || *end != '\0' || v < 0 || v >= SimGpio::kPins) return false;
    *pin = static_cast<int>(v);
    return true;
  };
  if (cmd == "ping") return "pong";
  if (cmd == "lines") {
    std::string d, r, extra;
    if (!(in >> d >> r) || (in >> extra) || (d != "0" && d != "1") || (r != "0" && r != "1")) {
      return "error: lines takes DTR and RTS as 0 or 1, e.g. lines 1 0";
    }
    if (hooks_.lines == nullptr) return "error: this board has no modem lines";
    pending_ = Pending::kLines;
    pending_a_ = d == "1";
    pending_b_ = r == "1";
    return "ok";
  }
  if (cmd == "reset") {
    std::string mode, extra;
    in >> mode;
    if ((!mode.empty() && mode != "download") || (in >> extra)) {
      return "error: reset takes nothing or \"download\"";
    }
    if (hooks_.reset == nullptr) return "error: this board cannot be reset";
    pending_ = Pending::kReset;
    pending_a_ = mode == "download";
    return "ok";
  }
  if (cmd == "gpio") return gpio_.to_json();
  int pin = -1;
  if (cmd == "press" || cmd == "hold" || cmd == "release") {
    if (!pin_arg(&pin)) return "error: give a pin number 0..16";
    if (cmd == "release") {
      for (Press& p : presses_) {
        if (p.pin == pin) {
          loop_.cancel_timer(p.timer);
          p = Press{};
        }
      }
      if (gpio_.release(pin) != Status::kOk) return "error: no such pin";
      return "ok";
    }
    long ms = 200;
    std::string s;
    if (cmd == "press" && (in >> s)) {
      char* end = nullptr;
      ms = std::strtol(s.c_str(), &end, 10);
      if (end == s.c_str() || *end != '\0' || ms < 1 || ms > 600000) {
        return "error: press time is 1..600000 ms";
      }
    }
    if (gpio_.drive(pin, false) != Status::kOk) {
      return "error: GPIO" + std::to_string(pin) + " cannot be used (GPIO6..11 wire the flash)";
    }
    MOS_LOGI("button on GPIO%d pressed%s", pin, cmd == "hold" ? " (held)" : "");
    if (cmd == "hold") return "ok";
    Press* slot = nullptr;
    for (Press& p : presses_) {
      if (p.pin == pin) {  // pressed again while held: restart the time
        loop_.cancel_timer(p.timer);
        slot = &p;
      }
    }
    for (Press& p : presses_) {
      if (slot == nullptr && p.pin < 0) slot = &p;
    }
    if (slot == nullptr) {
      (void)gpio_.release(pin);
      return "error: too many buttons held at once";
    }
    *slot = Press{this, pin, kNoTimer};
    slot->timer = loop_.add_timer(static_cast<uint32_t>(ms), false, &ControlServer::on_release, slot);
    if (slot->timer == kNoTimer) {
      (void)gpio_.release(pin);
      *slot = Press{};
      return "error: no timer free";
    }
    return "ok";
  }
  return "error: unknown command '" + cmd +
         "' (press PIN [MS], hold PIN, release PIN, gpio, lines DTR RTS, reset [download], ping)";
}

void ControlServer::run_pending() {
  Pending p = pending_;
  pending_ = Pending::kNone;
  if (p == Pending::kLines && hooks_.lines != nullptr) hooks_.lines(pending_a_, pending_b_, hooks_.ctx);
  if (p == Pending::kReset && hooks_.reset != nullptr) hooks_.reset(pending_a_, hooks_.ctx);
}

void ControlServer::on_release(void* ctx) {
  auto* p = static_cast<Press*>(ctx);
  ControlServer* self = p->self;
  int pin = p->pin;
  *p = Press{};
  (void)self->gpio_.release(pin);
  MOS_LOGI("button on GPIO%d released", pin);
}

}  // namespace mos::sim

// A serial port on the developer's computer: a USB-UART (/dev/ttyUSB0) or a
// virtual board's pseudo-terminal (/dev/pts/N), opened raw with termios so
// the line discipline neither echoes our frames back to the board nor
// rewrites CR/LF. Host-only code: failures throw std::runtime_error with the
// path and the OS reason.
#pragma once
#include <chrono>
#include <string>
#include <string_view>

namespace mos::rpcclient {

class SerialPort {
 public:
  // Opens `path` raw, 8N1, no flow control. baud is ignored by a pty.
  explicit SerialPort(const std::string& path, int baud = 115200);
  ~SerialPort();
  SerialPort(const SerialPort&) = delete;
  SerialPort& operator=(const SerialPort&) = delete;

  const std::string& path() const { return path_; }
  // For poll() next to other inputs (mos console); reads stay with read_some.
  int fd() const { return fd_; }
  // Writes all of `data` (waits while the OS buffer is full, up to 5 s).
  void write(std::string_view data);
  // Appends what arrives within `timeout` to *out; returns bytes read (0 on
  // timeout). Returns as soon as some bytes are there.
  size_t read_some(std::string* out, std::chrono::milliseconds timeout);

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace mos::rpcclient

// A serial line as the flasher needs it: bytes, a baud rate and the two
// modem-control lines that NodeMCU-style boards wire to EN (RTS) and GPIO0
// (DTR) for esptool's auto-reset. Host code: failures throw.
#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

namespace mos::espflash {

class SerialLine {
 public:
  virtual ~SerialLine() = default;
  virtual void write(const uint8_t* data, size_t n) = 0;
  // Up to max bytes; waits at most `timeout` for the first one. 0 = timeout.
  virtual size_t read(uint8_t* out, size_t max, std::chrono::milliseconds timeout) = 0;
  virtual void set_baud(uint32_t baud) = 0;
  // Both lines at once (true = asserted). False when the line cannot drive
  // them (a pseudo-terminal has no modem lines): the caller must reset the
  // board another way.
  virtual bool set_dtr_rts(bool dtr, bool rts) = 0;
  virtual void flush_input() = 0;
  virtual std::string name() const = 0;
};

// A real port (or a pty) through termios: raw 8N1, no flow control.
// Throws std::runtime_error when the port cannot be opened or configured.
std::unique_ptr<SerialLine> open_termios_line(const std::string& path, uint32_t baud);

// Decorates a line whose DTR/RTS live elsewhere: a virtual board takes
// them as the line `lines DTR RTS` (e.g. `lines 1 0`, reply `ok`) on its
// control socket (a Unix stream socket, one request per connection).
std::unique_ptr<SerialLine> with_control_socket(std::unique_ptr<SerialLine> inner,
                                                const std::string& socket_path);

}  // namespace mos::espflash

// UART0 of the virtual board on a pseudo-terminal. Terminal programs
// (picocom, tio, `mos console`) open the slave path; the board keeps the
// master. The line is raw (no echo, no line editing, 8 bits).
#pragma once
#include <cstdint>

#include "mos/hal.h"

namespace mos::sim {

class PtyUart : public Uart {
 public:
  PtyUart() = default;
  ~PtyUart() override;
  PtyUart(const PtyUart&) = delete;
  PtyUart& operator=(const PtyUart&) = delete;

  // Allocates a new pseudo-terminal, or adopts an inherited master fd (a
  // rebooting board keeps its port, so a connected tool does not lose it).
  Status open();
  Status adopt(int master_fd);
  void close();
  // The path to give picocom, e.g. /dev/pts/7. Valid while open.
  const char* path() const { return path_; }
  int fd() const { return fd_; }
  const char* error() const { return error_; }

  // True while some program has the slave open. When the last one closes,
  // what it left unread is discarded, so the next one starts with fresh
  // output instead of an old backlog.
  bool listener_present();

  // Like a UART with nobody on the wire, output is dropped (and counted)
  // when no program has the port open. A listener that does not read stalls
  // a write for at most kStallMs, then the rest is dropped: the board never
  // hangs on its console.
  int32_t write(ConstByteSpan data) override;
  int32_t read(ByteSpan out) override;

  uint64_t dropped_bytes() const { return dropped_; }
  static constexpr int kStallMs = 50;

 private:
  Status finish_open();

  int fd_ = -1;
  bool listener_ = false;
  uint64_t dropped_ = 0;
  char path_[64] = {};
  char error_[160] = {};
};

}  // namespace mos::sim

// The board process's command line. `mos sim start` gives the first ones; a
// reset re-executes the process with the state that survives it (the port,
// the control socket, the boot count, the modem lines).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "mos/sim/file_flash.h"
#include "mos/sim/wifi.h"

namespace mos::sim {

struct Options {
  std::string name = "board";
  std::string dir = ".";
  std::vector<AccessPoint> aps;
  std::vector<std::string> ap_specs;
  uint32_t flash_size = FileFlash::kDefaultSize;
  FileFlash::Sync flash_sync = FileFlash::Sync::kOnFlush;
  // Inherited across a reset (exec): the pty master and the control socket.
  int uart_fd = -1;
  int ctl_fd = -1;
  unsigned boot = 0;
  std::string reset_reason = "power on";
  // The USB-serial bridge's modem lines, which drive EN and GPIO0 through
  // NodeMCU's auto-reset transistors.
  bool dtr = false;
  bool rts = false;
  bool in_reset = false;   // EN held low: wait for its release, then boot
  bool download = false;   // GPIO0 was low at reset: the ROM serial loader
};

// Parses argv; false (after printing why and the usage) on a bad option.
bool parse_options(int argc, char** argv, Options* o);
// The argument vector a reset re-executes with.
std::vector<std::string> reexec_args(const char* argv0, const Options& o);

}  // namespace mos::sim

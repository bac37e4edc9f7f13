// The virtual boards under the sim directory, for `mos sim` and for
// `--port auto` (their pseudo-terminals are serial ports too).
#pragma once
#include <string>
#include <vector>

namespace mos::cli {

struct SimBoard {
  std::string name;
  std::string dir;  // absolute
  int pid = 0;
  std::string pty;  // "/dev/pts/7"
  std::string device_id;
  std::string firmware;
  unsigned flash_size = 0;
  std::vector<std::string> aps;
  bool running = false;
};

// root_dir "" = $MOS_SIM_DIR, else .mos/sim.
std::string sim_root(const std::string& root_dir = "");
// Boards sorted by name, running or not.
std::vector<SimBoard> sim_boards(const std::string& root_dir = "");

}  // namespace mos::cli

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
  std::string mac;     // "5e:12:34:56:78:9a"
  std::string status;  // the chip's: running, download, in reset, resetting, stopped
  std::string firmware;
  unsigned flash_size = 0;
  std::vector<std::string> aps;
  bool running = false;
};

// root_dir "" = $MOS_SIM_DIR, else .mos/sim (relative to the current directory).
std::string sim_root(const std::string& root_dir = "");
// "ROOT and the boards recorded in REGISTRY": where sim_boards() looks, for
// messages that say where nothing was found.
std::string sim_where_looked(const std::string& root_dir = "");
// Whether boards are recorded in and found through the per-user registry
// (user_state.h): not with $MOS_SIM_DIR set (tests keep their boards apart).
bool sim_uses_registry();
// Boards sorted by name, running or not: those under the root, plus (see
// sim_uses_registry) those recorded in the registry.
std::vector<SimBoard> sim_boards(const std::string& root_dir = "");

}  // namespace mos::cli

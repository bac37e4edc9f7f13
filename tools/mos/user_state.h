// Where mos keeps per-user state, so that boards and local clouds started in
// one directory are found from any other (`mos ports`, `--port auto`,
// `mos sim list`, `mos cloud status`):
//
//   $XDG_STATE_HOME/mos/registry.json  (default ~/.local/state/mos; XDG Base
//                                       Directory spec, "state" data)
//   {"boards": {"NAME": "/abs/board/dir"}, "clouds": ["/abs/data/dir", ...]}
//
// The state directory is created 0700: the boards and clouds it points to
// hold private keys. Entries whose directory is gone are dropped on the next
// write. Writes replace the file atomically (rename).
#pragma once
#include <map>
#include <string>
#include <vector>

namespace mos::cli {

// $XDG_STATE_HOME/mos or $HOME/.local/state/mos ("" when neither is set).
std::string user_state_dir();
// user_state_dir() + "/registry.json".
std::string registry_path();

struct Registry {
  std::map<std::string, std::string> boards;  // name -> board directory
  std::vector<std::string> clouds;            // data directories, oldest first
};

Registry load_registry();
// Creates the state directory (0700) if needed. Failures are ignored with a
// warning: the registry is a convenience, never a reason to fail a command.
void save_registry(const Registry& r);

void record_board(const std::string& name, const std::string& dir);
void record_cloud(const std::string& data_dir);  // moves it to the end (newest)

// Creates `dir` and its missing parents; the last component gets mode 0700
// (it holds secrets). Returns "" or the reason it failed.
std::string make_private_dir(const std::string& dir);

}  // namespace mos::cli

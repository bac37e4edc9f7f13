// Which local cloud a `mos cloud ...` command acts on (implemented in
// cmd_cloud.cpp, next to `mos cloud up` which records clouds).
#pragma once
#include <string>

namespace mos::cli {

struct CloudDir {
  std::string dir;       // the data dir, absolute
  std::string hint_arg;  // " --data-dir D" that reaches it again in a printed command, or ""
  bool no_plugin = false;  // its cloud.json says the broker runs without the policy plugin
};

// --data-dir when given, else .mos/cloud here, else the newest cloud recorded
// in the user's registry (a running one first). Throws UserError (with
// `mos cloud up`) when there is none.
CloudDir find_cloud(const std::string& data_dir);

}  // namespace mos::cli

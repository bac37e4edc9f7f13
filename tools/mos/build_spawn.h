// `mos build`: runs a tool (cmake) from an argument vector, never a shell, so
// paths with spaces or quotes reach it unchanged.
#pragma once
#include <string>
#include <vector>

namespace mos::cli::build {

// Runs argv[0] (looked up in PATH) with argv, stdin from /dev/null. Output goes
// to the terminal when log_path is empty, else is appended to log_path.
// Returns the exit code (128 + signal if killed). Throws UserError when the
// program cannot be started (not installed).
int run_tool(const std::vector<std::string>& argv, const std::string& log_path);

// True when `program` is an executable found in PATH.
bool in_path(const std::string& program);

}  // namespace mos::cli::build

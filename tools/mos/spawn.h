// The one way mos starts other programs (boards, mos-cloud, Mosquitto): an
// argument vector handed to execv, never a shell, so paths and names reach
// the program as they are ("a b; rm -rf x" is one argument, not a command).
#pragma once
#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace mos::cli {

struct SpawnOptions {
  // Files for the child's stdout / stderr ("" = /dev/null). Opened 0644,
  // appended to unless truncate_stdout. The same path for both shares one
  // file description (lines stay in order).
  std::string stdout_path;
  std::string stderr_path;
  bool truncate_stdout = false;
  // Its own session, no terminal, stdin /dev/null, no descriptors of ours
  // beyond stdio: it outlives mos and never holds a caller's pipe open.
  bool detach = false;
  // Working directory of the child ("" = ours).
  std::string cwd;
};

// Starts argv[0] (a path; not searched in $PATH) with argv. Throws UserError
// when it cannot be started (the exec failure is reported back from the
// child), so a returned pid is a running program.
pid_t spawn(const std::vector<std::string>& argv, const SpawnOptions& options = {});

// Waits for `pid` (our child) up to `timeout`. Returns its exit status
// (128 + signal when killed), or -1 if it still runs at the timeout.
int wait_exit(pid_t pid, std::chrono::milliseconds timeout);

// spawn() + wait_exit(); a program still running at the timeout is killed
// (SIGKILL) and -1 returned.
int run_program(const std::vector<std::string>& argv, const SpawnOptions& options,
                std::chrono::milliseconds timeout);

}  // namespace mos::cli

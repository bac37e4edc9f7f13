#include "build_spawn.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "cli.h"

namespace mos::cli::build {

bool in_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    std::string p = (dir.empty() ? "." : dir) + "/" + program;
    if (::access(p.c_str(), X_OK) == 0) return true;
  }
  return false;
}

// fork + execvp (not posix_spawn: <spawn.h> would resolve to tools/mos/spawn.h,
// the CLI's shared helper, which runs programs by path only and never on the
// terminal, as --verbose needs). The child only calls dup2/execvp/_exit.
int run_tool(const std::vector<std::string>& argv, const std::string& log_path) {
  if (argv.empty()) throw UserError("run_tool: no program", "");
  if (argv[0].find('/') == std::string::npos && !in_path(argv[0])) {
    throw UserError("cannot run " + argv[0] + ": not found in PATH",
                    "install it (Debian: apt-get install cmake ninja-build g++) and run mos build again");
  }
  std::vector<char*> av;
  for (const std::string& a : argv) av.push_back(const_cast<char*>(a.c_str()));
  av.push_back(nullptr);
  int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  int log_fd = -1;
  if (!log_path.empty()) {
    log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) {
      std::string e = std::strerror(errno);
      if (null_fd >= 0) ::close(null_fd);
      throw UserError("cannot write " + log_path + ": " + e, "check that the build directory is writable");
    }
  }
  pid_t pid = ::fork();
  if (pid == 0) {
    if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
    if (log_fd >= 0) {
      ::dup2(log_fd, STDOUT_FILENO);
      ::dup2(log_fd, STDERR_FILENO);
    }
    ::execvp(av[0], av.data());
    _exit(127);
  }
  int fork_errno = errno;
  if (null_fd >= 0) ::close(null_fd);
  if (log_fd >= 0) ::close(log_fd);
  if (pid < 0) throw UserError(std::string("cannot start ") + argv[0] + ": " + std::strerror(fork_errno), "");
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw UserError(std::string("waiting for ") + argv[0] + ": " + std::strerror(errno), "");
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

}  // namespace mos::cli::build

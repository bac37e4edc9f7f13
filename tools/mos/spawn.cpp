#include "spawn.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "cli.h"

namespace mos::cli {
namespace {

// In the child between fork and exec only async-signal-safe calls: report
// errno through the close-on-exec pipe and leave.
[[noreturn]] void child_fail(int report_fd, int err) {
  (void)!::write(report_fd, &err, sizeof err);
  ::_exit(127);
}

int open_out(const std::string& path, bool truncate) {
  const char* p = path.empty() ? "/dev/null" : path.c_str();
  return ::open(p, O_WRONLY | O_CREAT | O_CLOEXEC | (truncate ? O_TRUNC : O_APPEND), 0644);
}

}  // namespace

pid_t spawn(const std::vector<std::string>& argv, const SpawnOptions& o) {
  if (argv.empty()) throw UserError("spawn: no program given", "");
  // Everything the child needs is prepared before fork().
  std::vector<char*> av;
  for (const auto& a : argv) av.push_back(const_cast<char*>(a.c_str()));
  av.push_back(nullptr);
  int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  int out = open_out(o.stdout_path, o.truncate_stdout);
  int err = o.stderr_path == o.stdout_path ? ::dup(out) : open_out(o.stderr_path, false);
  int report[2];
  if (in < 0 || out < 0 || err < 0 || ::pipe2(report, O_CLOEXEC) != 0) {
    int e = errno;
    for (int fd : {in, out, err}) {
      if (fd >= 0) ::close(fd);
    }
    throw UserError("cannot start " + argv[0] + ": " + std::strerror(e) + " (opening " +
                        (out < 0 ? o.stdout_path : o.stderr_path) + ")",
                    "check that the directory exists and is writable");
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    int e = errno;
    for (int fd : {in, out, err, report[0], report[1]}) ::close(fd);
    throw UserError(std::string("fork: ") + std::strerror(e), "");
  }
  if (pid == 0) {
    if (o.detach) ::setsid();
    if (o.detach) ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    if (o.detach) {
      // Only stdio and the report pipe go along (the pipe closes on exec).
      int keep = report[1];
      if (keep > 3) ::close_range(3, static_cast<unsigned>(keep - 1), 0);
      ::close_range(static_cast<unsigned>(keep + 1), ~0u, 0);
    }
    if (!o.cwd.empty() && ::chdir(o.cwd.c_str()) != 0) child_fail(report[1], errno);
    ::execv(av[0], av.data());
    child_fail(report[1], errno);
  }
  for (int fd : {in, out, err, report[1]}) ::close(fd);
  int child_errno = 0;
  ssize_t n;
  do {
    n = ::read(report[0], &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  ::close(report[0]);
  if (n == sizeof child_errno) {
    ::waitpid(pid, nullptr, 0);
    throw UserError("cannot run " + argv[0] + ": " + std::strerror(child_errno),
                    "check that it exists and is executable");
  }
  return pid;
}

int wait_exit(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (w < 0 && errno != EINTR) return -1;
    if (std::chrono::steady_clock::now() >= deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

int run_program(const std::vector<std::string>& argv, const SpawnOptions& options,
                std::chrono::milliseconds timeout) {
  pid_t pid = spawn(argv, options);
  int rc = wait_exit(pid, timeout);
  if (rc == -1) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
  return rc;
}

}  // namespace mos::cli

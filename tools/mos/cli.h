// Command registration for the `mos` tool. Each cmd_*.cpp file adds its
// subcommands to the CLI11 app from a static Registration, e.g.
//
//   static mos::cli::Registration reg{"cloud", [](CLI::App& app) { ... }};
//
// Host tools may throw; main() (via run()) turns any exception into
//   Error: what failed
//     -> what to do next
// on stderr and one of the exit codes below.
#pragma once
#include <CLI/CLI.hpp>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace mos::cli {

// Exit codes of every mos command (also printed in `mos --help`'s footer and
// tools/mos/README.md). Scripts may rely on them.
enum ExitCode : int {
  kExitOk = 0,
  kExitFailed = 1,  // the command ran and failed: board, cloud, file or network error
  kExitUsage = 2,   // the command line was wrong: unknown command, bad or missing argument
};
extern const char* const kExitCodesHelp;

using RegisterFn = std::function<void(CLI::App&)>;

struct Registration {
  Registration(const char* name, RegisterFn fn);
};

// Runs every registered command's setup, in name order (stable help output).
void register_all(CLI::App& app);

// A failure the user can act on: what failed, then what to do next.
struct UserError : std::runtime_error {
  UserError(const std::string& what_failed, const std::string& what_next)
      : std::runtime_error(what_failed + (what_next.empty() ? "" : "\n  -> " + what_next)) {}
};

// The command line itself is wrong (exit kExitUsage): a malformed argument
// that CLI11 cannot check, e.g. `config-set foo` without "=".
struct UsageError : UserError {
  using UserError::UserError;
};

// The version `mos --version` and `mos version` print.
extern const char* const kVersion;

// A command that finished with a non-zero status it has already explained
// (e.g. `console --until` that saw no match).
struct ExitStatus {
  int code;
};

// Parses argv into `app` (already registered) and runs the chosen command;
// returns the exit code after printing any error. The whole CLI goes through
// here so errors look alike.
int run(CLI::App& app, int argc, char** argv);

// The nearest of `candidates` to `word` by edit distance, or "" when none is
// close enough to be a plausible typo.
std::string nearest(const std::string& word, const std::vector<std::string>& candidates);

// `word` quoted for a POSIX shell when it needs it, so printed hints can be
// pasted as they are ("/tmp/a b" -> '/tmp/a b').
std::string shell_quote(const std::string& word);

}  // namespace mos::cli

// Command registration for the `mos` tool. Each cmd_*.cpp file adds its
// subcommands to the CLI11 app from a static Registration, e.g.
//
//   static mos::cli::Registration reg{"cloud", [](CLI::App& app) { ... }};
//
// Host tools may throw; main() turns any exception into one clear line.
#pragma once
#include <CLI/CLI.hpp>
#include <functional>
#include <stdexcept>
#include <string>

namespace mos::cli {

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

}  // namespace mos::cli

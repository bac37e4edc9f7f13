// `mos version`: the same line as `mos --version` (Mongoose OS's mos has both).
#include <cstdio>

#include "cli.h"

namespace mos::cli {
namespace {

Registration reg{"version", [](CLI::App& app) {
  app.add_subcommand("version", "print the version of mos")->callback([] { std::printf("%s\n", kVersion); });
}};

}  // namespace
}  // namespace mos::cli

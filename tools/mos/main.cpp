// mos: build, flash and provision devices; run virtual boards and the local cloud.
#include <cstdio>
#include <exception>

#include "cli.h"

int main(int argc, char** argv) {
  CLI::App app{"mos: take a device from nothing to AWS IoT (or the local cloud)", "mos"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "mos 0.1.0");
  mos::cli::register_all(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "Error: %s\n", e.what());
    return 1;
  }
  return 0;
}

// mos: build, flash and provision devices; run virtual boards and the local cloud.
#include "cli.h"

int main(int argc, char** argv) {
  CLI::App app{"mos: take a device from nothing to AWS IoT (or the local cloud)", "mos"};
  app.set_version_flag("--version", mos::cli::kVersion);
  mos::cli::register_all(app);
  return mos::cli::run(app, argc, argv);
}

// mos-sim-board: one process is one virtual NodeMCU (see chip.h).
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "chip.h"

namespace {
void on_signal(int) { mos::sim::g_power_off = 1; }
}  // namespace

int main(int argc, char** argv) {
  mos::sim::Options o;
  if (!mos::sim::parse_options(argc, argv, &o)) return 2;
  if (o.dir != "." && chdir(o.dir.c_str()) != 0) {
    std::fprintf(stderr, "cannot enter board directory %s: %s\n", o.dir.c_str(), std::strerror(errno));
    return 1;
  }
  struct sigaction sa{};
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
  static mos::sim::Chip chip(std::move(o), argv);
  return chip.run();
}

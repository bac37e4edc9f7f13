#include "mos/rpcclient/ports.h"

#include <glob.h>

#include <cstdio>
#include <stdexcept>

namespace mos::rpcclient {
namespace {

void add_glob(const char* pattern, const char* what, std::vector<PortInfo>* out) {
  glob_t g{};
  if (::glob(pattern, 0, nullptr, &g) == 0) {
    for (size_t i = 0; i < g.gl_pathc; ++i) out->push_back({g.gl_pathv[i], what});
  }
  ::globfree(&g);
}

}  // namespace

std::vector<PortInfo> candidate_ports() {
  std::vector<PortInfo> out;
  add_glob("/dev/ttyUSB*", "USB serial", &out);
  add_glob("/dev/ttyACM*", "USB CDC-ACM", &out);
  return out;
}

std::string resolve_port(const std::string& port) {
  if (port != "auto" && !port.empty()) return port;
  auto ports = candidate_ports();
  if (ports.empty()) {
    throw std::runtime_error(
        "no serial port found (no /dev/ttyUSB*, /dev/ttyACM* or running virtual board)\n"
        "  -> plug a board in, or start a virtual one with `mos sim start`, then pass --port");
  }
  std::fprintf(stderr, "Using port %s\n", ports.front().path.c_str());
  return ports.front().path;
}

}  // namespace mos::rpcclient

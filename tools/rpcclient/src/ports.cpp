#include "mos/rpcclient/ports.h"

#include <glob.h>


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

}  // namespace mos::rpcclient

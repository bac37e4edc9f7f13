// libFuzzer: the AWS config/credentials INI parser never crashes, and a
// document it accepts re-parses to the same settings when printed back; the
// endpoint URL parser never crashes and gives a port in range.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "mos/aws/ini.h"
#include "mos/aws/iot_client.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  mos::aws::Ini ini;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto ep = mos::aws::parse_endpoint(std::string(text))) {
    if (ep->port <= 0 || ep->port > 65535 || ep->host.empty()) std::abort();
  }
  if (!mos::aws::parse_ini(text, &ini).ok) return 0;
  std::string out;
  for (const auto& [name, keys] : ini) {
    out += "[" + name + "]\n";
    for (const auto& [k, v] : keys) out += k + " = " + v + "\n";
  }
  mos::aws::Ini again;
  if (!mos::aws::parse_ini(out, &again).ok || again != ini) std::abort();
  return 0;
}

// libFuzzer target for the manifest.json parser. Property: anything it accepts
// is written back (build_manifest) into a manifest it accepts again with the
// same fields; anything it refuses is refused with UserError, never another
// exception or a crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "cli.h"
#include "mos/fwbundle/bundle.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  mos::fwbundle::Bundle b;
  try {
    b = mos::fwbundle::parse_manifest(text);
  } catch (const mos::cli::UserError&) {
    return 0;
  }
  // Sizes are rewritten from the (empty) data, so overlaps cannot appear.
  mos::fwbundle::Bundle again = mos::fwbundle::parse_manifest(mos::fwbundle::build_manifest(b).dump());
  if (again.name != b.name || again.version != b.version || again.platform != b.platform ||
      again.build_id != b.build_id || again.parts.size() != b.parts.size()) {
    std::abort();
  }
  for (size_t i = 0; i < b.parts.size(); ++i) {
    if (again.parts[i].name != b.parts[i].name || again.parts[i].addr != b.parts[i].addr ||
        again.parts[i].src != b.parts[i].src || again.parts[i].type != b.parts[i].type) {
      std::abort();
    }
  }
  return 0;
}

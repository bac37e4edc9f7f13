// libFuzzer target for relaxed_to_strict (mos call's argument reader).
// Checked beyond memory safety: whatever it accepts, nlohmann reads as strict
// JSON (RFC 8259) -- unless nested deeper than nlohmann allows, which it
// never is for inputs of fuzzing size.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "mos/rpcclient/relaxed_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string strict, why;
  if (mos::rpcclient::relaxed_to_strict(text, &strict, &why)) {
    if (nlohmann::json::parse(strict, nullptr, false).is_discarded()) std::abort();
  } else if (why.empty()) {
    std::abort();
  }
  return 0;
}

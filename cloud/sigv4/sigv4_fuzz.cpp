// Fuzzes the raw request parser, the canonicaliser and the verifier with
// hostile requests (STYLE.md §8): none may crash or read out of bounds.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mos/sigv4/sigv4.h"

namespace {
std::optional<std::string> lookup(void*, std::string_view id) {
  if (id == "AKIDEXAMPLE") return std::string("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
  return std::nullopt;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto req = mos::sigv4::parse_raw_request(text);
  if (!req) return 0;
  mos::sigv4::VerifyPolicy p;
  p.lookup = &lookup;
  p.now = 1440938160;  // 20150830T123600Z
  (void)mos::sigv4::verify(*req, p);
  auto copy = *req;
  (void)mos::sigv4::sign_headers(copy, {"AKIDEXAMPLE", "secret", ""}, "us-east-1", "iot", p.now);
  auto q = *req;
  (void)mos::sigv4::sign_query(q, {"AKIDEXAMPLE", "secret", "tok"}, "us-east-1", "iot", p.now, 60);
  return 0;
}

// libFuzzer target: validate() and evaluate() on arbitrary documents.
// Input layout: <document> [0x00 <action> 0x00 <resource>]; without the
// separators a fixed action/resource pair is checked.
#include "mos/policy/policy.h"

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string_view document = in, action = "iot:Publish",
                   resource = "arn:aws:iot:us-east-1:123456789012:topic/dev/c1/x";
  if (size_t a = in.find('\0'); a != std::string_view::npos) {
    document = in.substr(0, a);
    std::string_view rest = in.substr(a + 1);
    size_t b = rest.find('\0');
    action = rest.substr(0, b);
    resource = b == std::string_view::npos ? std::string_view() : rest.substr(b + 1);
  }
  mos::policy::ParseResult r = mos::policy::validate(document);
  std::string error;
  auto doc = mos::policy::PolicyDoc::parse("F", document, &error);
  // validate() and parse() must agree.
  if (r.ok != doc.has_value()) __builtin_trap();
  if (doc) {
    mos::policy::Variables v;
    v.set("iot:ClientId", "c1");
    v.set("iot:Connection.Thing.ThingName", "c1");
    v.set("iot:Connection.Thing.IsAttached", "true");
    v.set("iot:Connection.Thing.Attributes[room]", "*?${iot:ClientId}");
    std::vector<mos::policy::PolicyDoc> docs{*doc, *doc};
    auto d = mos::policy::evaluate(docs, action, resource, v);
    if (d.reason.empty()) __builtin_trap();
  }
  return 0;
}

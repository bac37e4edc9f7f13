// Fuzzes the verification mos-cloud runs on every request (cloud/server
// api.cpp: sigv4::verify with the server's policy) with hostile requests
// (STYLE.md §8). The request is built directly from the input, as the HTTP
// front hands it over (method, target, headers, body); the AWS test-suite
// parser (parse_raw_request) is not on the server's path and is not used.
//
// Input: "[sign-headers |sign-query ]METHOD TARGET[ anything]\n", then
// "name:value" lines up to an empty line, then the body (any bytes).
// Without a prefix the request is verified as given (forged or malformed
// signatures). With one, it is first signed with the server's key, region
// and an accepted service, which lets the fuzzer reach the canonicaliser
// and the signature comparison, and the verdict must be "ok": a request
// signed by our own signer must pass our own verifier.
//
// Reproducible per input: no state outlives one call.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mos/sigv4/sigv4.h"

namespace {

// The server's settings (cloud/server Settings defaults) and the AWS test
// suite's key, so the suite's requests (the seeds) parse as real ones.
constexpr std::string_view kKeyId = "AKIDEXAMPLE";
constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr std::string_view kRegion = "us-east-1";
constexpr int64_t kNow = 1440938160;  // 20150830T123600Z, the suite's date

std::optional<std::string> lookup(void*, std::string_view id) {
  if (id == kKeyId) return std::string(kSecret);
  return std::nullopt;
}

std::string_view next_line(std::string_view& in) {
  size_t nl = in.find('\n');
  std::string_view line = in.substr(0, nl);
  in.remove_prefix(nl == std::string_view::npos ? in.size() : nl + 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

bool contains_ci(std::string_view s, std::string_view needle) {
  for (size_t i = 0; i + needle.size() <= s.size(); ++i) {
    if (starts_with_ci(s.substr(i), needle)) return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  enum class Mode { kAsGiven, kSignHeaders, kSignQuery } mode = Mode::kAsGiven;
  std::string_view first = next_line(in);
  if (first.substr(0, 13) == "sign-headers ") {
    mode = Mode::kSignHeaders;
    first.remove_prefix(13);
  } else if (first.substr(0, 11) == "sign-query ") {
    mode = Mode::kSignQuery;
    first.remove_prefix(11);
  }
  size_t sp = first.find(' ');
  if (sp == std::string_view::npos) return 0;
  mos::sigv4::Request req;
  req.method = std::string(first.substr(0, sp));
  std::string_view rest = first.substr(sp + 1);
  req.target = std::string(rest.substr(0, rest.find(' ')));
  // Anything that looks like a credential already in the request would make
  // a signed request fail for a reason other than a bug: note it.
  // The verifier also insists that Host is signed (as AWS does).
  bool has_amz = contains_ci(req.target, "x-amz-");
  bool has_host = false;
  while (!in.empty()) {
    std::string_view line = next_line(in);
    if (line.empty()) break;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view name = line.substr(0, colon);
    has_amz = has_amz || starts_with_ci(name, "x-amz-") || starts_with_ci(name, "authorization");
    has_host = has_host || (name.size() == 4 && starts_with_ci(name, "host"));
    req.headers.push_back({std::string(name), std::string(line.substr(colon + 1))});
  }
  req.body = std::string(in);

  // The server's policy (api.cpp): its region, and the services of the data
  // plane (/topics/...) or the control plane.
  std::string_view target = req.target;
  std::string_view path = target.substr(0, target.find('?'));
  bool data_plane = path.substr(0, 8) == "/topics/";
  mos::sigv4::VerifyPolicy policy;
  policy.lookup = &lookup;
  policy.regions = {std::string(kRegion)};
  policy.services = data_plane ? std::vector<std::string>{"iotdata", "iotdevicegateway"}
                               : std::vector<std::string>{"execute-api", "iot"};
  policy.now = kNow;

  bool must_pass = false;
  if (mode != Mode::kAsGiven) {
    mos::sigv4::Credentials cred{std::string(kKeyId), std::string(kSecret), ""};
    const std::string& service = policy.services[req.body.size() % 2];
    auto signed_req = mode == Mode::kSignHeaders
                          ? mos::sigv4::sign_headers(req, cred, kRegion, service, kNow)
                          : mos::sigv4::sign_query(req, cred, kRegion, service, kNow, 300);
    must_pass = signed_req.has_value() && !has_amz && has_host;
  }
  mos::sigv4::Verdict v = mos::sigv4::verify(req, policy);
  if (must_pass && !v.ok()) {
    std::fprintf(stderr, "a request signed by sigv4::sign_%s fails sigv4::verify: %s\n",
                 mode == Mode::kSignHeaders ? "headers" : "query", v.message.c_str());
    std::abort();
  }
  if (!v.ok() && v.message.empty()) {
    std::fprintf(stderr, "sigv4::verify refused a request without saying why\n");
    std::abort();
  }
  return 0;
}

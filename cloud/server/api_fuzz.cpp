// Fuzzes the API behind a valid signature: the input is split into method,
// target and body, signed like the AWS CLI would, and handled. Nothing may
// crash, whatever the path, query, JSON or CSR.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

#include <unistd.h>

#include "api.h"

namespace {
struct World {
  std::unique_ptr<mos::registry::Registry> reg;
  std::unique_ptr<mos::ca::Authority> ca;
  std::unique_ptr<mos::cloud::Api> api;
  World() {
    auto dir = std::filesystem::temp_directory_path() / ("mos-api-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    std::string err;
    reg = mos::registry::Registry::open((dir / "registry.db").string(), err);
    ca = mos::ca::Authority::open_or_create(dir.string(), err);
    api = std::make_unique<mos::cloud::Api>(mos::cloud::Settings{}, *reg, *ca,
                                            [](const std::string&, const std::string&, int, bool) { return std::string(); });
  }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static World w;
  std::string in(reinterpret_cast<const char*>(data), size);
  // "METHOD TARGET\nBODY"
  size_t sp = in.find(' '), nl = in.find('\n');
  if (sp == std::string::npos || nl == std::string::npos || nl < sp) return 0;
  mos::sigv4::Request r{in.substr(0, sp), in.substr(sp + 1, nl - sp - 1), {{"Host", "h"}}, in.substr(nl + 1)};
  if (r.target.empty() || r.target[0] != '/') return 0;
  bool data_plane = r.target.rfind("/topics/", 0) == 0;
  int64_t now = 1700000000;
  mos::sigv4::sign_headers(r, {"AKIDMOSLOCAL", "mos-local-secret", ""}, "us-east-1",
                           data_plane ? "iotdata" : "execute-api", now);
  (void)w.api->handle(r, now);
  return 0;
}

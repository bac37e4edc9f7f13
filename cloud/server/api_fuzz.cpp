// Fuzzes the API behind a valid signature: the input is split into method,
// target and body, signed like the AWS CLI would, and handled. Nothing may
// crash, whatever the path, query, JSON or CSR. Each input starts from a
// fresh, empty registry so a crash reproduces from that one input; the CA
// (files, created once) is shared since its state does not change per call.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

#include <unistd.h>

#include "api.h"

namespace {
namespace fs = std::filesystem;

struct World {
  fs::path dir;
  std::unique_ptr<mos::ca::Authority> ca;
  World() {
    // tmpfs when there is one: SQLite's syncs cost nothing there, which keeps
    // a fresh database per input cheap.
    std::error_code ec;
    fs::path base = fs::is_directory("/dev/shm", ec) ? fs::path("/dev/shm") : fs::temp_directory_path();
    dir = base / ("mos-api-fuzz-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    std::string err;
    ca = mos::ca::Authority::open_or_create(dir.string(), err);
  }
  // An empty registry: the database files of the previous input are removed.
  std::unique_ptr<mos::registry::Registry> fresh_registry() {
    std::error_code ec;
    for (const char* f : {"registry.db", "registry.db-wal", "registry.db-shm"}) fs::remove(dir / f, ec);
    std::string err;
    return mos::registry::Registry::open((dir / "registry.db").string(), err);
  }
};

// One request: "METHOD TARGET\nBODY", signed and handled.
void one_request(mos::cloud::Api& api, const std::string& in) {
  size_t sp = in.find(' '), nl = in.find('\n');
  if (sp == std::string::npos || nl == std::string::npos || nl < sp) return;
  mos::sigv4::Request r{in.substr(0, sp), in.substr(sp + 1, nl - sp - 1), {{"Host", "h"}}, in.substr(nl + 1)};
  if (r.target.empty() || r.target[0] != '/') return;
  bool data_plane = r.target.rfind("/topics/", 0) == 0;
  int64_t now = 1700000000;
  mos::sigv4::sign_headers(r, {"AKIDMOSLOCAL", "mos-local-secret", ""}, "us-east-1",
                           data_plane ? "iotdata" : "execute-api", now);
  (void)api.handle(r, now);
}

}  // namespace

// The input is up to 8 requests separated by NUL bytes, run in order against
// a fresh registry (so sequences like create + attach + delete are reachable).
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static World w;
  auto reg = w.fresh_registry();
  if (!reg || !w.ca) return 0;
  mos::cloud::Api api(mos::cloud::Settings{}, *reg, *w.ca,
                      [](const std::string&, const std::string&, int, bool) { return std::string(); });
  std::string in(reinterpret_cast<const char*>(data), size);
  size_t start = 0;
  for (int i = 0; i < 8 && start <= in.size(); ++i) {
    size_t end = in.find('\0', start);
    one_request(api, in.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return 0;
}

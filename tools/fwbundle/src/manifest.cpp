// manifest.json <-> Bundle, with the checks a flasher needs before it writes
// anything: required fields, a file and a checksum per part, no overlaps.
#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "cli.h"
#include "internal.h"
#include "mos/fwbundle/bundle.h"

namespace mos::fwbundle {
namespace {

using nlohmann::json;
using mos::cli::UserError;

const char kHint[] = "rebuild the bundle with `mos build --arch sim` (or fetch it again)";

[[noreturn]] void bad(const std::string& origin, const std::string& what) {
  throw UserError(origin + ": " + what, kHint);
}

// A top-level string field; `required` ones must be present and non-empty.
std::string get_string(const json& m, const char* key, bool required, const std::string& origin) {
  auto it = m.find(key);
  if (it == m.end()) {
    if (required) bad(origin, std::string("missing \"") + key + "\"");
    return "";
  }
  if (!it->is_string()) bad(origin, std::string("\"") + key + "\" is not a string");
  std::string v = it->get<std::string>();
  if (required && v.empty()) bad(origin, std::string("\"") + key + "\" is empty");
  return v;
}

// addr: a number, or a string in C notation ("0x300000") as fw_meta.py's
// key=value part specs produce.
uint32_t get_addr(const json& v, const std::string& where) {
  if (v.is_number_unsigned()) {
    uint64_t a = v.get<uint64_t>();
    if (a <= UINT32_MAX) return static_cast<uint32_t>(a);
  } else if (v.is_string()) {
    const std::string s = v.get<std::string>();
    if (!s.empty() && s.size() < 16 && std::isdigit(static_cast<unsigned char>(s[0]))) {
      char* end = nullptr;
      unsigned long long a = std::strtoull(s.c_str(), &end, 0);
      if (end != nullptr && *end == '\0' && a <= UINT32_MAX) return static_cast<uint32_t>(a);
    }
  }
  throw UserError(where + ": \"addr\" is not a flash address (give a number such as 3145728 or \"0x300000\")",
                  kHint);
}

bool is_hex(const std::string& s, size_t len) {
  return s.size() == len && std::all_of(s.begin(), s.end(), [](char c) {
           return std::isxdigit(static_cast<unsigned char>(c)) != 0;
         });
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Two parts must not claim the same flash bytes: the flasher would write one
// over the other. Sizes come from the manifest (data is not loaded yet).
void check_overlaps(const json& parts, const std::string& origin) {
  struct Range {
    uint64_t lo, hi;
    std::string name;
  };
  std::vector<Range> r;
  for (auto& [name, p] : parts.items()) {
    auto s = p.find("size");
    uint64_t size = (s != p.end() && s->is_number_unsigned()) ? s->get<uint64_t>() : 0;
    uint64_t lo = get_addr(p.at("addr"), origin + ": part \"" + name + "\"");
    if (lo + size > (1ull << 32)) {
      bad(origin, "part \"" + name + "\" ends past the 4 GB address space");
    }
    if (size > 0) r.push_back({lo, lo + size, name});
  }
  std::sort(r.begin(), r.end(), [](const Range& a, const Range& b) { return a.lo < b.lo; });
  for (size_t i = 1; i < r.size(); ++i) {
    if (r[i].lo < r[i - 1].hi) {
      char buf[160];
      std::snprintf(buf, sizeof(buf), "parts \"%s\" (0x%llx..0x%llx) and \"%s\" (0x%llx..0x%llx) overlap",
                    r[i - 1].name.c_str(), static_cast<unsigned long long>(r[i - 1].lo),
                    static_cast<unsigned long long>(r[i - 1].hi), r[i].name.c_str(),
                    static_cast<unsigned long long>(r[i].lo), static_cast<unsigned long long>(r[i].hi));
      bad(origin, buf);
    }
  }
}

}  // namespace

namespace internal {

bool safe_src(const std::string& src) {
  if (src.empty() || src == "." || src == ".." || src.size() > 255) return false;
  return std::none_of(src.begin(), src.end(), [](char c) {
    return c == '/' || c == '\\' || static_cast<unsigned char>(c) < 0x20;
  });
}

void verify_part_data(const Bundle& b, const Part& p, const std::string& origin) {
  const json& pj = b.manifest.at("parts").at(p.name);
  const std::string where = origin + ": part \"" + p.name + "\" (" + p.src + ")";
  auto s = pj.find("size");
  if (s != pj.end() && s->get<uint64_t>() != p.data.size()) {
    throw UserError(where + ": size is " + std::to_string(p.data.size()) + " bytes, manifest says " +
                        std::to_string(s->get<uint64_t>()),
                    kHint);
  }
  bool checked = false;
  for (const char* algo : {"cs_sha1", "cs_sha256"}) {
    auto it = pj.find(algo);
    if (it == pj.end()) continue;
    std::string want = lower(it->get<std::string>());
    std::string got = std::string(algo) == "cs_sha1" ? sha1_hex(p.data) : sha256_hex(p.data);
    if (want != got) {
      throw UserError(where + ": " + (algo + 3) + " mismatch: expected " + want + ", got " + got +
                          " (damaged or altered)",
                      kHint);
    }
    checked = true;
  }
  if (!checked) bad(origin, "part \"" + p.name + "\" has neither cs_sha1 nor cs_sha256");
}

}  // namespace internal

Bundle parse_manifest(std::string_view text, const std::string& origin) {
  Bundle b;
  try {
    b.manifest = json::parse(text.begin(), text.end());
  } catch (const json::exception& e) {  // parse_error, and out_of_range for 1E999 (found by the fuzzer)
    bad(origin, std::string("not valid JSON (") + e.what() + ")");
  }
  const json& m = b.manifest;
  if (!m.is_object()) bad(origin, "is not a JSON object");
  b.name = get_string(m, "name", true, origin);
  b.platform = get_string(m, "platform", true, origin);
  b.version = get_string(m, "version", true, origin);
  b.description = get_string(m, "description", false, origin);
  b.build_id = get_string(m, "build_id", false, origin);
  b.build_timestamp = get_string(m, "build_timestamp", false, origin);

  auto parts = m.find("parts");
  if (parts == m.end()) bad(origin, "missing \"parts\"");
  if (!parts->is_object() || parts->empty()) bad(origin, "\"parts\" is not an object of parts");
  for (auto& item : parts->items()) {
    const std::string name = item.key();
    const json& pj = item.value();  // (not a structured binding: the lambda below captures it)
    const std::string where = origin + ": part \"" + name + "\"";
    if (!pj.is_object()) throw UserError(where + " is not an object", kHint);
    Part p;
    p.name = name;
    auto field = [&](const char* key) -> std::string {
      auto it = pj.find(key);
      if (it == pj.end()) throw UserError(where + " has no \"" + key + "\"", kHint);
      if (!it->is_string() || it->get<std::string>().empty()) {
        throw UserError(where + ": \"" + key + "\" is not a non-empty string", kHint);
      }
      return it->get<std::string>();
    };
    p.type = field("type");
    p.src = field("src");
    if (!internal::safe_src(p.src)) {
      throw UserError(where + ": \"src\" must be a plain file name, not \"" + p.src + "\"", kHint);
    }
    auto addr = pj.find("addr");
    if (addr == pj.end()) throw UserError(where + " has no \"addr\"", kHint);
    p.addr = get_addr(*addr, where);
    auto size = pj.find("size");
    if (size != pj.end() && !(size->is_number_unsigned() && size->get<uint64_t>() <= internal::kMaxPartSize)) {
      throw UserError(where + ": \"size\" is not a byte count up to 64 MB", kHint);
    }
    bool has_cs = false;
    for (auto [key, len] : {std::pair<const char*, size_t>{"cs_sha1", 40}, {"cs_sha256", 64}}) {
      auto it = pj.find(key);
      if (it == pj.end()) continue;
      if (!it->is_string() || !is_hex(it->get<std::string>(), len)) {
        throw UserError(where + ": \"" + key + "\" is not " + std::to_string(len) + " hex digits", kHint);
      }
      has_cs = true;
    }
    if (!has_cs) throw UserError(where + " has neither \"cs_sha1\" nor \"cs_sha256\"", kHint);
    b.parts.push_back(std::move(p));
  }
  check_overlaps(*parts, origin);
  return b;
}

json build_manifest(const Bundle& b) {
  json m = b.manifest.is_object() ? b.manifest : json::object();
  m["name"] = b.name;
  m["platform"] = b.platform;
  m["version"] = b.version;
  auto opt = [&](const char* key, const std::string& v) {
    if (!v.empty() || m.contains(key)) m[key] = v;
  };
  opt("description", b.description);
  opt("build_id", b.build_id);
  opt("build_timestamp", b.build_timestamp);
  json old_parts = m.contains("parts") && m["parts"].is_object() ? m["parts"] : json::object();
  json parts = json::object();
  for (const Part& p : b.parts) {
    json pj = old_parts.contains(p.name) && old_parts[p.name].is_object() ? old_parts[p.name] : json::object();
    pj["type"] = p.type;
    pj["src"] = p.src;
    pj["addr"] = p.addr;
    pj["size"] = p.data.size();
    pj["cs_sha1"] = sha1_hex(p.data);
    pj["cs_sha256"] = sha256_hex(p.data);
    parts[p.name] = std::move(pj);
  }
  m["parts"] = std::move(parts);
  return m;
}

}  // namespace mos::fwbundle

// Arbitrary bytes as conf9.json (and, split at the first 0xFF, as conf1.json)
// -> load, get everything, save, load again. Must never crash, and a config
// that loaded must save and reload to the same values.
#include <cstdint>
#include <cstring>
#include <vector>

#include "mos/config.h"
#include "mos_config.h"
#include "../../fs/test/ram_flash.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static mos::test::RamFlash flash(16 * 4096, 4096);
  static mos::FsSector sec[16];
  static mos::Fs fs;
  static mos::MosConfig cur, base, cur2;
  static char work[2048];
  static char out[8192];
  static const uint8_t kMac[6] = {1, 2, 3, 4, 5, 6};
  if (fs.init(flash, 0, flash.size(), mos::Span<mos::FsSector>(sec, 16)) != mos::Status::kOk) __builtin_trap();
  if (fs.format() != mos::Status::kOk) __builtin_trap();
  const uint8_t* split = static_cast<const uint8_t*>(std::memchr(data, 0xFF, size));
  if (split != nullptr) {
    size_t n1 = static_cast<size_t>(split - data);
    (void)fs.write("conf1.json", mos::ConstByteSpan(data, n1));
    (void)fs.write("conf9.json", mos::ConstByteSpan(split + 1, size - n1 - 1));
  } else {
    (void)fs.write("conf9.json", mos::ConstByteSpan(data, size));
  }
  mos::Config cfg;
  if (cfg.init(mos::kMosConfigSchema, &cur, &base, mos::Span<char>(work, sizeof(work)), &fs,
               mos::ConstByteSpan(kMac, 6)) != mos::Status::kOk) {
    __builtin_trap();
  }
  if (cfg.load() != mos::Status::kOk) __builtin_trap();
  mos::json::Writer w(out);
  if (cfg.get("", w) != mos::Status::kOk) __builtin_trap();
  // What Config.Get returns is strict JSON and a valid patch.
  if (mos::json::parse(w.view()) != mos::json::Result::kOk) __builtin_trap();
  // A patch straight from the fuzz input too (kept out of the work buffer).
  (void)cfg.set(std::string_view(reinterpret_cast<const char*>(data), size));
  if (cfg.save() == mos::Status::kOk) {
    mos::Config again;
    if (again.init(mos::kMosConfigSchema, &cur2, &base, mos::Span<char>(work, sizeof(work)), &fs,
                   mos::ConstByteSpan(kMac, 6)) != mos::Status::kOk ||
        again.load() != mos::Status::kOk) {
      __builtin_trap();
    }
    if (std::memcmp(&cur, &cur2, sizeof(cur)) != 0) __builtin_trap();
  }
  return 0;
}

// mos_fwbundle: the firmware bundle (fw.zip) that `mos build` writes and
// `mos flash` reads, in Mongoose OS's shape: a zip holding a directory
// NAME-VERSION/ with manifest.json and one file per part (mgos_fw_meta.py's
// create_fw layout; readers find manifest.json by its base name).
//
// manifest.json: name, platform, description, version, build_id,
// build_timestamp, parts{NAME:{type, src, addr, size, cs_sha1, cs_sha256, ...}}.
// Keys this code does not know (top level and per part) are kept on read and
// written back unchanged.
//
// Host-only: failures throw mos::cli::UserError ("what failed" + "what next").
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace mos::fwbundle {

struct Part {
  std::string name, type, src;
  uint32_t addr = 0;
  std::string data;  // the part's bytes
};

struct Bundle {
  std::string name, platform, description, version, build_id, build_timestamp;
  std::vector<Part> parts;
  nlohmann::json manifest;  // the whole manifest, unknown keys kept
};

// Opens fw.zip and verifies everything: the archive, manifest.json (valid JSON,
// required fields), every part's file, size and checksums (cs_sha1 and/or
// cs_sha256; at least one), and that no two parts overlap in flash.
Bundle read_bundle(const std::string& path);

// Writes fw.zip (NAME-VERSION/manifest.json + NAME-VERSION/<src>), filling
// size, cs_sha1 and cs_sha256 of every part from its data. The archive is
// byte-for-byte the same for the same Bundle (entry times come from
// build_timestamp, not the clock), so an unchanged build rewrites the same file.
void write_bundle(const std::string& path, const Bundle& b);

// --- Lower level, for tests, the fuzzer and tools -------------------------

// Parses manifest.json text: the fields above and each part's name, type, src
// and addr (data stays empty). Checks the shape and the address overlaps, not
// the checksums (there is no data yet). Throws UserError naming `origin`.
Bundle parse_manifest(std::string_view text, const std::string& origin = "manifest.json");

// The manifest b would be written with: b.manifest with b's fields and each
// part's type/src/addr/size/cs_sha1/cs_sha256 set from the structs.
nlohmann::json build_manifest(const Bundle& b);

// Lower-case hex digests (OpenSSL EVP).
std::string sha1_hex(std::string_view data);
std::string sha256_hex(std::string_view data);

}  // namespace mos::fwbundle

// `mos build`: the app's mos.yml (Mongoose OS's app manifest), the fields the
// command itself needs. The firmware build project reads mos.yml too (sources,
// config_schema); this side only names, versions and packs the result.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

namespace mos::cli::build {

struct AppManifest {
  std::filesystem::path dir;   // absolute app directory
  std::filesystem::path file;  // dir / "mos.yml"
  std::string name;            // default: the directory's name (as mos does)
  std::string version;         // default: "1.0"
  std::string description;
  std::string platform;        // may be empty: then --arch is required
  // `filesystem:` entries, relative to dir: directories whose files go to the
  // device's file store, or single files.
  std::vector<std::string> filesystem;
};

// Reads DIR/mos.yml. Throws UserError: no mos.yml, a YAML syntax error
// (file:line:column), or a field of the wrong type (file:line).
AppManifest load_app_manifest(const std::filesystem::path& dir);

}  // namespace mos::cli::build

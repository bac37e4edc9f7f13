// mos.yml for `mos build` (yaml-cpp). Errors point at file:line as a compiler
// does, so an editor can jump there.
#include "build_app.h"

#include <yaml-cpp/yaml.h>

#include <cctype>

#include "cli.h"

namespace fs = std::filesystem;

namespace mos::cli::build {
namespace {

std::string at(const fs::path& file, const YAML::Mark& m) {
  if (m.is_null()) return file.string();
  return file.string() + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
}

// A scalar field as a string; a list or map there is an error at its line.
std::string scalar(const YAML::Node& root, const char* key, const fs::path& file) {
  YAML::Node n = root[key];
  if (!n || n.IsNull()) return "";
  if (!n.IsScalar()) {
    throw UserError(at(file, n.Mark()) + ": \"" + key + "\" must be a single value, not a list or map",
                    std::string("fix ") + key + ": in " + file.string());
  }
  return n.Scalar();
}

// Names and versions become the bundle's directory (NAME-VERSION/) and a
// file name: keep them to characters that are safe everywhere.
void check_token(const std::string& v, const char* key, const YAML::Node& node, const fs::path& file) {
  bool ok = !v.empty() && v.size() <= 64 && v != "." && v != "..";
  for (char c : v) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-' && c != '+') ok = false;
  }
  if (!ok) {
    throw UserError(at(file, node ? node.Mark() : YAML::Mark::null_mark()) + ": " + key + " \"" + v +
                        "\" must be 1-64 letters, digits, '.', '_', '-' or '+'",
                    std::string("fix ") + key + ": in " + file.string());
  }
}

}  // namespace

AppManifest load_app_manifest(const fs::path& dir_in) {
  AppManifest app;
  app.dir = fs::absolute(dir_in).lexically_normal();
  if (app.dir.has_filename() == false) app.dir = app.dir.parent_path();  // drop a trailing '/'
  app.file = app.dir / "mos.yml";
  std::error_code ec;
  if (!fs::is_regular_file(app.file, ec)) {
    throw UserError("No mos.yml file in " + app.dir.string(),
                    "run mos build in an app directory (one with mos.yml), e.g. mos build --app-dir apps/c_mqtt");
  }
  YAML::Node root;
  try {
    root = YAML::LoadFile(app.file.string());
  } catch (const YAML::ParserException& e) {
    throw UserError(at(app.file, e.mark) + ": YAML syntax error: " + e.msg, "fix " + app.file.string() + " at that line");
  } catch (const YAML::BadFile&) {
    throw UserError("cannot read " + app.file.string(), "check its permissions");
  }
  if (!root.IsMap()) {
    throw UserError(at(app.file, root.Mark()) + ": mos.yml must be a map of keys (name:, version:, sources:, ...)",
                    "see apps/c_mqtt/mos.yml for the shape");
  }
  app.name = scalar(root, "name", app.file);
  if (app.name.empty()) app.name = app.dir.filename().string();
  check_token(app.name, "name", root["name"], app.file);
  app.version = scalar(root, "version", app.file);
  if (app.version.empty()) app.version = "1.0";
  check_token(app.version, "version", root["version"], app.file);
  app.description = scalar(root, "description", app.file);
  app.platform = scalar(root, "platform", app.file);

  YAML::Node fsn = root["filesystem"];
  if (fsn && !fsn.IsNull()) {
    if (!fsn.IsSequence()) {
      throw UserError(at(app.file, fsn.Mark()) + ": \"filesystem\" must be a list of directories",
                      "list directories of the app, e.g. filesystem: [fs]");
    }
    for (const YAML::Node& e : fsn) {
      if (!e.IsScalar() || e.Scalar().empty()) {
        throw UserError(at(app.file, e.Mark()) + ": a \"filesystem\" entry must be a directory name",
                        "list directories of the app, e.g. filesystem: [fs]");
      }
      app.filesystem.push_back(e.Scalar());
    }
  }
  return app;
}

}  // namespace mos::cli::build

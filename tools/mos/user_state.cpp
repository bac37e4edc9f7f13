#include "user_state.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace fs = std::filesystem;

namespace mos::cli {

std::string user_state_dir() {
  const char* xdg = std::getenv("XDG_STATE_HOME");
  // XDG Base Directory spec: a relative $XDG_STATE_HOME is invalid, ignore it.
  if (xdg != nullptr && xdg[0] == '/') return std::string(xdg) + "/mos";
  const char* home = std::getenv("HOME");
  if (home != nullptr && *home != '\0') return std::string(home) + "/.local/state/mos";
  return "";
}

std::string registry_path() {
  std::string d = user_state_dir();
  return d.empty() ? "" : d + "/registry.json";
}

std::string make_private_dir(const std::string& dir) {
  std::error_code ec;
  fs::path p(dir);
  if (p.has_parent_path() && !p.parent_path().empty()) fs::create_directories(p.parent_path(), ec);
  if (ec) return ec.message();
  if (::mkdir(p.c_str(), 0700) != 0 && errno != EEXIST) return std::strerror(errno);
  if (!fs::is_directory(p, ec)) return "not a directory";
  return "";
}

Registry load_registry() {
  Registry r;
  std::string path = registry_path();
  if (path.empty()) return r;
  std::ifstream in(path);
  if (!in) return r;
  std::stringstream ss;
  ss << in.rdbuf();
  nlohmann::json j = nlohmann::json::parse(ss.str(), nullptr, false);
  if (!j.is_object()) return r;
  if (j.contains("boards") && j["boards"].is_object()) {
    for (auto it = j["boards"].begin(); it != j["boards"].end(); ++it) {
      if (it.value().is_string()) r.boards[it.key()] = it.value().get<std::string>();
    }
  }
  if (j.contains("clouds") && j["clouds"].is_array()) {
    for (const auto& c : j["clouds"]) {
      if (c.is_string()) r.clouds.push_back(c.get<std::string>());
    }
  }
  return r;
}

void save_registry(const Registry& r) {
  std::string dir = user_state_dir();
  if (dir.empty()) return;
  if (std::string why = make_private_dir(dir); !why.empty()) {
    std::fprintf(stderr, "warning: cannot create %s (%s): boards and clouds will only be found from here\n",
                 dir.c_str(), why.c_str());
    return;
  }
  nlohmann::json j = {{"boards", nlohmann::json::object()}, {"clouds", nlohmann::json::array()}};
  std::error_code ec;
  for (const auto& [name, d] : r.boards) {
    if (fs::exists(fs::path(d) / "board.json", ec)) j["boards"][name] = d;
  }
  for (const auto& d : r.clouds) {
    if (fs::is_directory(d, ec)) j["clouds"].push_back(d);
  }
  std::string tmp = registry_path() + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(tmp);
    out << j.dump(2) << "\n";
    if (!out) {
      std::fprintf(stderr, "warning: cannot write %s\n", tmp.c_str());
      return;
    }
  }
  fs::rename(tmp, registry_path(), ec);
  if (ec) fs::remove(tmp, ec);
}

void record_board(const std::string& name, const std::string& dir) {
  Registry r = load_registry();
  r.boards[name] = fs::absolute(dir).lexically_normal().string();
  save_registry(r);
}

void record_cloud(const std::string& data_dir) {
  Registry r = load_registry();
  std::string d = fs::absolute(data_dir).lexically_normal().string();
  r.clouds.erase(std::remove(r.clouds.begin(), r.clouds.end(), d), r.clouds.end());
  r.clouds.push_back(d);
  save_registry(r);
}

}  // namespace mos::cli

// mos build [--arch sim] [--app-dir DIR] [--build-dir DIR] [--verbose]
//
// As Mongoose OS's `mos build`: reads the app's mos.yml, builds the firmware
// and writes build/fw.zip (manifest.json + parts, tools/fwbundle), ending with
//   Success, built NAME/PLATFORM version V (BUILD_ID).
//   Firmware saved to build/fw.zip
//
// For the virtual board (sim) the firmware is built locally by the build
// project in MOS_ROOT/device/port/sim/app_build, whose contract is
//   cmake -S <root>/device/port/sim/app_build -B <build>/objs -G Ninja
//         -DMOS_APP_DIR=<abs app dir> -DMOS_APP_BUILD_ID=<id>
//   cmake --build <build>/objs   ->  objs/fw.bin (image for flash 0x0)
//                                    objs/conf0.json (config defaults)
// then this command makes the file store image (conf0.json + the app's
// `filesystem:` files, build_fsimage.cpp) and packs both parts.
//
// Incremental: the configure step runs once per build id; the build id stays
// the same while the app's files (mos.yml, sources, filesystem files) do, so a
// second build of unchanged sources runs no compiler and rewrites no file.
// The build id is Mongoose OS's shape, TIMESTAMP/SUFFIX, with the first 8 hex
// digits of the SHA-1 of the app's files as suffix where Mongoose OS put the
// app's git revision: it is compiled into the firmware, so it is fixed before
// the image exists.
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "build_app.h"
#include "build_fsimage.h"
#include "build_spawn.h"
#include "cli.h"
#include "mos/fwbundle/bundle.h"
#include "mos/sim/flash_layout.h"

#ifndef MOS_SOURCE_DIR
#define MOS_SOURCE_DIR ""
#endif

namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace mos::cli {
namespace {

using build::AppManifest;
using build::FsFile;

struct BuildOptions {
  std::string arch, app_dir, build_dir;
  bool verbose = false;
};

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw UserError("cannot read " + p.string(), "check that it exists and is readable");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Real hardware needs its cross toolchain; say which one instead of pretending.
[[noreturn]] void refuse_arch(const std::string& arch) {
  struct Known {
    const char *arch, *tool, *get;
  };
  static const Known kKnown[] = {
      {"esp8266", "xtensa-lx106-elf",
       "install the ESP8266 toolchain (Debian: apt-get install gcc-xtensa-lx106) and an esp8266 port; "
       "until then build for the virtual board: mos build --arch sim"},
      {"esp32", "xtensa-esp32-elf",
       "install Espressif's ESP-IDF toolchain (xtensa-esp32-elf-gcc in PATH) and an esp32 port; "
       "until then build for the virtual board: mos build --arch sim"},
  };
  for (const Known& k : kKnown) {
    if (arch != k.arch) continue;
    if (build::in_path(std::string(k.tool) + "-gcc")) {
      throw UserError("cannot build for " + arch + ": " + k.tool + "-gcc is installed, but mos has no " + arch +
                          " port yet",
                      "build for the virtual board: mos build --arch sim");
    }
    throw UserError("cannot build for " + arch + ": the " + k.tool + " toolchain (" + k.tool +
                        "-gcc) is not installed",
                    k.get);
  }
  throw UserError("unknown --arch \"" + arch + "\": mos builds sim (the virtual board); esp8266 and esp32 need their toolchains",
                  "mos build --arch sim");
}

fs::path mos_root() {
  const char* env = std::getenv("MOS_ROOT");
  fs::path root = env != nullptr && *env != '\0' ? fs::path(env) : fs::path(MOS_SOURCE_DIR);
  if (root.empty() || !fs::is_regular_file(root / "device/port/sim/app_build/CMakeLists.txt")) {
    throw UserError("no firmware build project at " + (root / "device/port/sim/app_build").string(),
                    "point MOS_ROOT at the mos source tree: export MOS_ROOT=/path/to/mos");
  }
  return fs::absolute(root).lexically_normal();
}

// The app's `filesystem:` entries: a directory gives its files (sorted; dot
// files such as .gitkeep skipped; the store is flat, so no subdirectories), a
// file gives itself.
std::vector<FsFile> collect_fs_files(const AppManifest& app) {
  std::vector<FsFile> out;
  const std::string hint = "fix filesystem: in " + app.file.string();
  for (const std::string& entry : app.filesystem) {
    fs::path p = app.dir / entry;
    std::error_code ec;
    if (fs::is_regular_file(p, ec)) {
      out.push_back({p.filename().string(), read_file(p), entry});
      continue;
    }
    if (!fs::is_directory(p, ec)) {
      throw UserError(app.file.string() + ": filesystem entry \"" + entry + "\" is neither a directory nor a file",
                      hint);
    }
    std::vector<fs::path> names;
    for (const auto& de : fs::directory_iterator(p)) {
      std::string n = de.path().filename().string();
      if (n.empty() || n[0] == '.') continue;
      if (de.is_directory()) {
        throw UserError((fs::path(entry) / n).string() + " is a directory: the device's file store is flat",
                        "move its files up into " + entry + "/");
      }
      if (de.is_regular_file()) names.push_back(de.path());
    }
    std::sort(names.begin(), names.end());
    for (const fs::path& f : names) {
      out.push_back({f.filename().string(), read_file(f), (fs::path(entry) / f.filename()).string()});
    }
  }
  return out;
}

// SHA-1 of everything that goes into the firmware from the app's side: every
// file under the app directory (but the build directory and dot directories)
// plus the filesystem files, and what else changes the build.
std::string app_fingerprint(const AppManifest& app, const std::vector<FsFile>& files, const fs::path& build_dir,
                            const fs::path& root, const std::string& arch) {
  std::string acc = std::string("mos-build-1") + '\0' + arch + '\0' + root.string() + '\0';
  std::vector<fs::path> paths;
  auto it = fs::recursive_directory_iterator(app.dir, fs::directory_options::skip_permission_denied);
  for (; it != fs::recursive_directory_iterator(); ++it) {
    const fs::path& p = it->path();
    std::string n = p.filename().string();
    if (it->is_directory() && (p == build_dir || (!n.empty() && n[0] == '.'))) {
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file()) paths.push_back(p);
  }
  std::sort(paths.begin(), paths.end());
  for (const fs::path& p : paths) {
    std::string data = read_file(p);
    acc += p.lexically_relative(app.dir).string() + '\0' + std::to_string(data.size()) + '\0' + data;
    if (acc.size() > (512u << 20)) {
      throw UserError("the app directory " + app.dir.string() + " holds more than 512 MB",
                      "run mos build in the app's own directory (the one with mos.yml)");
    }
  }
  for (const FsFile& f : files) acc += f.name + '\0' + std::to_string(f.data.size()) + '\0' + f.data;
  return fwbundle::sha1_hex(acc);
}

// build/mos_build.json: the fingerprint of the last configured build and the
// id and timestamp given to it.
struct BuildState {
  std::string fingerprint, build_id, build_timestamp, root;
};

BuildState load_state(const fs::path& p) {
  BuildState s;
  std::ifstream in(p);
  if (!in) return s;
  Json j = Json::parse(in, nullptr, false);
  if (!j.is_object()) return s;
  s.fingerprint = j.value("fingerprint", "");
  s.build_id = j.value("build_id", "");
  s.build_timestamp = j.value("build_timestamp", "");
  s.root = j.value("mos_root", "");
  return s;
}

void save_state(const fs::path& p, const BuildState& s) {
  Json j = {{"fingerprint", s.fingerprint},
            {"build_id", s.build_id},
            {"build_timestamp", s.build_timestamp},
            {"mos_root", s.root}};
  std::ofstream(p) << j.dump(2) << "\n";
}

std::string utc(std::time_t t, const char* fmt) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), fmt, &tm);
  return buf;
}

// A path as the user would type it: relative to the current directory when
// inside it ("build/fw.zip", as Mongoose OS prints it), else absolute.
std::string shown(const fs::path& p) {
  std::error_code ec;
  fs::path rel = fs::relative(p, fs::current_path(ec), ec);
  if (ec || rel.empty() || *rel.begin() == "..") return p.string();
  return rel.string();
}

// The last lines of the build log, so a failure shows the compiler's error.
void print_log_tail(const fs::path& log, size_t lines) {
  std::ifstream in(log);
  std::vector<std::string> all;
  for (std::string l; std::getline(in, l);) all.push_back(l);
  size_t from = all.size() > lines ? all.size() - lines : 0;
  for (size_t i = from; i < all.size(); ++i) std::cerr << all[i] << "\n";
}

void run_step(const std::vector<std::string>& argv, const fs::path& log, bool verbose, const char* what) {
  if (verbose) {
    std::cout << "$";
    for (const std::string& a : argv) std::cout << " " << a;
    std::cout << std::endl;
  }
  int rc = build::run_tool(argv, verbose ? "" : log.string());
  if (rc != 0) {
    if (!verbose) print_log_tail(log, 30);
    throw UserError(std::string(what) + " failed (" + argv[0] + " exited with " + std::to_string(rc) + ")" +
                        (verbose ? "" : "; full log: " + shown(log)),
                    "fix the error above, or see every step with: mos build --arch sim --verbose");
  }
}

void build_sim(const AppManifest& app, const BuildOptions& o) {
  using namespace mos::sim;
  const fs::path root = mos_root();
  const fs::path build_dir = o.build_dir.empty() ? app.dir / "build" : fs::absolute(o.build_dir).lexically_normal();
  const fs::path objs = build_dir / "objs";
  const fs::path log = build_dir / "build.log";
  if (!build::in_path("cmake") || !build::in_path("ninja")) {
    throw UserError("mos build --arch sim needs cmake and ninja in PATH",
                    "apt-get install cmake ninja-build g++");
  }
  std::vector<FsFile> files = collect_fs_files(app);
  fs::create_directories(objs);
  { std::ofstream truncate(log, std::ios::trunc); }

  // One build id per set of app files (see the top of this file).
  const fs::path state_file = build_dir / "mos_build.json";
  BuildState st = load_state(state_file);
  const std::string fp = app_fingerprint(app, files, build_dir, root, "sim");
  const bool configured = fs::exists(objs / "CMakeCache.txt") && fs::exists(objs / "build.ninja");
  if (st.fingerprint != fp || st.root != root.string() || st.build_id.empty()) {
    std::time_t now = std::time(nullptr);
    st = {fp, utc(now, "%Y%m%d-%H%M%S") + "/" + fp.substr(0, 8), utc(now, "%Y-%m-%dT%H:%M:%SZ"), root.string()};
    fs::remove(state_file);
  }
  std::cout << "Building " << app.name << "/sim version " << app.version << " in " << shown(objs) << "..."
            << std::endl;
  if (!configured || !fs::exists(state_file)) {
    run_step({"cmake", "-S", (root / "device/port/sim/app_build").string(), "-B", objs.string(), "-G", "Ninja",
              "-DMOS_APP_DIR=" + app.dir.string(), "-DMOS_APP_BUILD_ID=" + st.build_id},
             log, o.verbose, "configuring the firmware build");
    save_state(state_file, st);
  }
  run_step({"cmake", "--build", objs.string()}, log, o.verbose, "building the firmware");

  // The firmware image and the config defaults the build made.
  const fs::path fw_bin = objs / "fw.bin", conf0 = objs / "conf0.json";
  for (const fs::path& p : {fw_bin, conf0}) {
    if (!fs::is_regular_file(p)) {
      throw UserError("the firmware build made no " + p.filename().string() + " (" + p.string() + ")",
                      "check the build project in " + (root / "device/port/sim/app_build").string());
    }
  }
  std::string fw = read_file(fw_bin);
  if (fw.empty() || fw.size() > kFwMaxSize) {
    throw UserError("firmware image " + fw_bin.string() + " is " + std::to_string(fw.size()) + " bytes; the flash slot holds 1 to " +
                        std::to_string(kFwMaxSize),
                    "make the firmware smaller (fewer libraries, -Os)");
  }
  std::string conf = read_file(conf0);
  if (!Json::accept(conf)) {
    throw UserError(conf0.string() + " is not valid JSON", "check the config schema in " + app.file.string());
  }
  for (const FsFile& f : files) {
    if (f.name == "conf0.json") {
      throw UserError(f.origin + ": conf0.json is made from the config schema", "use config_schema: in mos.yml instead");
    }
  }
  files.insert(files.begin(), FsFile{"conf0.json", conf, "conf0.json"});
  std::string fs_image = build::make_fs_image(files);

  fwbundle::Bundle b;
  b.name = app.name;
  b.platform = "sim";
  b.description = app.description;
  b.version = app.version;
  b.build_id = st.build_id;
  b.build_timestamp = st.build_timestamp;
  b.parts.push_back({"fw", "fw", "fw.bin", kFwAddr, std::move(fw)});
  b.parts.push_back({"fs", "fs", "fs.bin", kFsAddr, std::move(fs_image)});

  // Rewrite fw.zip only when its bytes change, so an unchanged build leaves it
  // (and its mtime) alone; then read it back as `mos flash` will.
  const fs::path zip = build_dir / "fw.zip", fresh = build_dir / "fw.zip.new";
  fwbundle::write_bundle(fresh.string(), b);
  std::error_code ec;
  if (fs::exists(zip) && read_file(zip) == read_file(fresh)) {
    fs::remove(fresh, ec);
  } else {
    fs::rename(fresh, zip);
  }
  fwbundle::read_bundle(zip.string());
  std::cout << "Success, built " << b.name << "/" << b.platform << " version " << b.version << " (" << b.build_id
            << ")." << std::endl;
  std::cout << "Firmware saved to " << shown(zip) << std::endl;
}

void run_build(const BuildOptions& o) {
  AppManifest app = build::load_app_manifest(o.app_dir.empty() ? fs::current_path() : fs::path(o.app_dir));
  std::string arch = o.arch.empty() ? app.platform : o.arch;
  for (char& c : arch) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (arch.empty()) {
    throw UserError("no --arch given and no platform: in " + app.file.string(), "mos build --arch sim");
  }
  if (arch != "sim") refuse_arch(arch);
  build_sim(app, o);
}

}  // namespace

static Registration reg{"build", [](CLI::App& app) {
  auto opts = std::make_shared<BuildOptions>();
  CLI::App* cmd = app.add_subcommand("build", "Build the app in this directory into build/fw.zip");
  cmd->add_option("--arch", opts->arch, "Target: sim (the virtual board); default: platform: in mos.yml");
  cmd->add_option("--app-dir", opts->app_dir, "App directory (with mos.yml); default: the current directory");
  cmd->add_option("--build-dir", opts->build_dir, "Build directory; default: APP_DIR/build");
  cmd->add_flag("--verbose", opts->verbose, "Show the build commands and their output");
  cmd->callback([opts] { run_build(*opts); });
}};

}  // namespace mos::cli

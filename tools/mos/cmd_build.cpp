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
//         -DMOS_APP_DIR=<abs app dir>
//   cmake --build <build>/objs   ->  objs/fw.bin (image for flash 0x0, fw_image.h)
//                                    objs/conf0.json (config defaults)
// then this command checks the image, makes the file store image (conf0.json +
// the app's `filesystem:` files, build_fsimage.cpp) and packs both parts.
//
// Incremental: configure runs once per build directory (the project re-runs
// it itself when mos.yml changes); a build of unchanged sources runs no
// compiler and leaves fw.zip byte for byte (and its mtime) as it was.
// The build id has Mongoose OS's shape, TIMESTAMP/SUFFIX. The suffix is the
// first 8 hex digits of the SHA-256 of the image payload, i.e. the start of
// the fw_id the chip reports in Sys.GetInfo (chip/firmware_loader.cpp), where
// Mongoose OS put the app's git revision; the timestamp is kept while the
// bundle's contents stay the same, so an unchanged build has the same id.
#include <algorithm>
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
#include "mos/crc32.h"
#include "mos/sim/flash_layout.h"
#include "mos/sim/fw_image.h"

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

// build/mos_build.json: what the build directory was configured for, and the
// digest and timestamp of the last bundle (to keep the id of an unchanged one).
struct BuildState {
  std::string root, app_dir, digest, build_timestamp;
};

BuildState load_state(const fs::path& p) {
  BuildState s;
  std::ifstream in(p);
  if (!in) return s;
  Json j = Json::parse(in, nullptr, false);
  if (!j.is_object()) return s;
  s.root = j.value("mos_root", "");
  s.app_dir = j.value("app_dir", "");
  s.digest = j.value("digest", "");
  s.build_timestamp = j.value("build_timestamp", "");
  return s;
}

void save_state(const fs::path& p, const BuildState& s) {
  Json j = {{"mos_root", s.root}, {"app_dir", s.app_dir}, {"digest", s.digest},
            {"build_timestamp", s.build_timestamp}};
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

// The image must be one the chip's ROM boots (fw_image.h: header, sizes,
// payload CRC) and be this app's. Returns the payload's SHA-256 (hex), from
// which the chip derives fw_id.
std::string check_image(const std::string& fw, const fs::path& path, const AppManifest& app) {
  using namespace mos::sim;
  const std::string fix = "rebuild from scratch: rm -r " + shown(path.parent_path()) + " && mos build --arch sim";
  if (fw.empty() || fw.size() > kFwMaxSize) {
    throw UserError("firmware image " + shown(path) + " is " + std::to_string(fw.size()) +
                        " bytes; the flash slot holds 1 to " + std::to_string(kFwMaxSize),
                    "make the firmware smaller (fewer libraries, -Os)");
  }
  const auto* bytes = reinterpret_cast<const uint8_t*>(fw.data());
  FwImageInfo info;
  const char* why = "";
  if (fw_image_parse_header(ConstByteSpan(bytes, fw.size()), &info, &why) != Status::kOk) {
    throw UserError(shown(path) + " is not a firmware image the board boots: " + why, fix);
  }
  ConstByteSpan payload(bytes + kFwHeaderSize, fw.size() - kFwHeaderSize);
  if (info.payload_size != payload.size() || crc32(payload) != info.payload_crc) {
    throw UserError(shown(path) + ": payload size or checksum does not match its header", fix);
  }
  if (app.name != info.app || (info.version[0] != '\0' && app.version != info.version)) {
    throw UserError(shown(path) + " is " + info.app + " " + info.version + ", not " + app.name + " " + app.version,
                    fix);
  }
  return fwbundle::sha256_hex(std::string_view(fw).substr(kFwHeaderSize));
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

  // Configure once per build directory; again only when it was made for
  // another source tree or app (CMake refuses a cache of another source).
  const fs::path state_file = build_dir / "mos_build.json";
  BuildState st = load_state(state_file);
  const fs::path project = root / "device/port/sim/app_build";
  const bool configured = fs::exists(objs / "CMakeCache.txt") && fs::exists(objs / "build.ninja");
  std::cout << "Building " << app.name << "/sim version " << app.version << " in " << shown(objs) << "..."
            << std::endl;
  if (!configured || st.root != root.string() || st.app_dir != app.dir.string()) {
    if (st.root != root.string()) {
      fs::remove(objs / "CMakeCache.txt");
      fs::remove_all(objs / "CMakeFiles");
    }
    st.root = root.string();
    st.app_dir = app.dir.string();
    fs::remove(state_file);
    run_step({"cmake", "-S", project.string(), "-B", objs.string(), "-G", "Ninja", "-DMOS_APP_DIR=" + app.dir.string()},
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
  const std::string payload_sha256 = check_image(fw, fw_bin, app);
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

  // Same contents as last time: same timestamp, so the same build id.
  const std::string digest = fwbundle::sha1_hex(app.name + '\0' + app.version + '\0' + app.description + '\0' +
                                                fwbundle::sha1_hex(fw) + fwbundle::sha1_hex(fs_image));
  if (digest != st.digest || st.build_timestamp.empty()) {
    st.digest = digest;
    st.build_timestamp = utc(std::time(nullptr), "%Y-%m-%dT%H:%M:%SZ");
  }
  std::string compact = st.build_timestamp;  // 2026-12-01T20:11:42Z -> 20261201-201142
  compact.erase(std::remove_if(compact.begin(), compact.end(), [](char c) { return c == '-' || c == ':' || c == 'Z'; }),
                compact.end());
  std::replace(compact.begin(), compact.end(), 'T', '-');

  fwbundle::Bundle b;
  b.name = app.name;
  b.platform = "sim";
  b.description = app.description;
  b.version = app.version;
  b.build_id = compact + "/" + payload_sha256.substr(0, 8);
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
  save_state(state_file, st);
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

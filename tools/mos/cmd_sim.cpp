// Virtual boards (ARCHITECTURE.md "The virtual board"):
//   mos sim start [--name N] [--ap SSID:PASS]... [--flash-size S] [--firmware F]
//   mos sim list
//   mos sim stop N
//   mos sim gpio N [PIN]
//   mos sim press N PIN [--ms M]
// Boards live in $MOS_SIM_DIR (default .mos/sim), one directory per board:
//   flash.bin    the flash image (kept across stop/start)
//   board.json   name, pid, pty, status, mac, flash_size, firmware, fw_id, aps, boot
//   console.log  the console log (what UART0 printed)
//   gpio.json    pin levels, rewritten atomically on every change
//   ctl.sock     control socket (press a button, read pins live)
#include <fcntl.h>
#include <linux/close_range.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cli.h"
#include "mos/sim/wifi.h"
#include "sim_boards.h"
#include "sim_program.h"
#include "spawn.h"
#include "user_state.h"

namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace mos::cli {

std::string sim_root(const std::string& override_dir) {
  if (!override_dir.empty()) return override_dir;
  const char* env = std::getenv("MOS_SIM_DIR");
  return env != nullptr && *env != '\0' ? env : ".mos/sim";
}

bool sim_uses_registry() {
  const char* env = std::getenv("MOS_SIM_DIR");
  return env == nullptr || *env == '\0';
}

std::string sim_where_looked(const std::string& override_dir) {
  std::string where = fs::absolute(sim_root(override_dir)).lexically_normal().string();
  if (sim_uses_registry() && !registry_path().empty()) {
    where += " and the boards recorded in " + registry_path();
  }
  return where;
}

namespace {

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool valid_name(const std::string& n) {
  if (n.empty() || n.size() > 32) return false;
  for (char c : n) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  }
  return true;
}

// A pid is this board's process only if it runs in the board's directory
// (the board chdirs there), so a recycled pid is never taken for the board.
bool board_alive(int pid, const fs::path& dir) {
  if (pid <= 0 || kill(pid, 0) != 0) return false;
  std::error_code ec;
  fs::path cwd = fs::read_symlink("/proc/" + std::to_string(pid) + "/cwd", ec);
  if (ec) return true;  // cannot tell (another user): trust the pid
  return fs::equivalent(cwd, dir, ec);
}

bool read_board(const fs::path& dir, const std::string& fallback_name, SimBoard* out) {
  std::error_code ec;
  fs::path bj = dir / "board.json";
  if (!fs::exists(bj, ec)) return false;
  SimBoard b;
  b.dir = fs::absolute(dir).lexically_normal().string();
  b.name = fallback_name;
  try {
    Json j = Json::parse(read_text(bj));
    b.name = j.value("name", b.name);
    b.pid = j.value("pid", 0);
    b.pty = j.value("pty", "");
    b.mac = j.value("mac", "");
    b.status = j.value("status", "");
    b.firmware = j.value("firmware", "");
    b.flash_size = j.value("flash_size", 0u);
    for (const auto& a : j.value("aps", Json::array())) b.aps.push_back(a.get<std::string>());
    std::string status = j.value("status", "");
    b.running = status != "stopped" && board_alive(b.pid, dir);
  } catch (const std::exception&) {
    b.running = false;
  }
  *out = b;
  return true;
}

}  // namespace

std::vector<SimBoard> sim_boards(const std::string& root_dir) {
  std::vector<SimBoard> out;
  std::error_code ec;
  auto add = [&](const fs::path& dir, const std::string& name) {
    SimBoard b;
    if (!read_board(dir, name, &b)) return;
    for (const SimBoard& seen : out) {
      if (fs::equivalent(seen.dir, b.dir, ec)) return;
    }
    out.push_back(b);
  };
  for (const auto& entry : fs::directory_iterator(sim_root(root_dir), ec)) {
    add(entry.path(), entry.path().filename().string());
  }
  // Boards started from other directories (user_state.h).
  if (sim_uses_registry()) {
    for (const auto& [name, dir] : load_registry().boards) add(dir, name);
  }
  std::sort(out.begin(), out.end(), [](const SimBoard& a, const SimBoard& b) {
    return a.name != b.name ? a.name < b.name : a.dir < b.dir;
  });
  return out;
}

namespace {

struct SimOpts {
  std::string dir;  // --dir: where boards live (default $MOS_SIM_DIR or .mos/sim)
  std::string name = "board";
  std::vector<std::string> aps;
  std::string flash_size;
  std::string firmware;
  std::string flash_sync = "on-flush";
  int pin = -1;
  int ms = 200;
};
SimOpts o;

// `mos sim ...` with --dir passes it on, so printed hints run as they are.
std::string dir_arg() { return o.dir.empty() ? "" : " --dir " + shell_quote(o.dir); }

// The --dir that reaches board b (its parent directory) when not the default.
std::string board_dir_arg(const SimBoard& b) {
  std::error_code ec;
  fs::path parent = fs::path(b.dir).parent_path();
  if (fs::equivalent(parent, fs::absolute(sim_root(o.dir)), ec)) return dir_arg();
  return " --dir " + shell_quote(parent.string());
}

SimBoard find_board(const std::string& name) {
  // The same name in two places: the running one is meant.
  const SimBoard* found = nullptr;
  auto boards = sim_boards(o.dir);
  for (const SimBoard& b : boards) {
    if (b.name == name && (found == nullptr || (b.running && !found->running))) found = &b;
  }
  if (found != nullptr) return *found;
  throw UserError("no board named " + name + " (looked in " + sim_where_looked(o.dir) + ")",
                  "see `mos sim" + dir_arg() + " list`, or start it with `mos sim" + dir_arg() +
                      " start --name " + name + "`");
}

uint32_t parse_size(const std::string& s) {
  size_t pos = 0;
  unsigned long long n = 0;
  try {
    n = std::stoull(s, &pos);
  } catch (const std::exception&) {
    pos = 0;
  }
  std::string unit = s.substr(pos);
  for (char& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (pos == 0) unit = "?";
  if (unit == "K" || unit == "KB") n <<= 10;
  else if (unit == "M" || unit == "MB") n <<= 20;
  else if (!unit.empty()) n = 0;
  if (n == 0 || n % 4096 != 0 || n > (64ull << 20)) {
    throw UserError("bad flash size " + s,
                    "give a multiple of 4 KB up to 64M, e.g. --flash-size 4M (the NodeMCU's)");
  }
  return static_cast<uint32_t>(n);
}

// The chip: mos-sim-board next to mos (or $MOS_SIM_BOARD). What it runs is
// in its flash (--firmware, mos flash).
std::string board_binary() {
  const char* env = std::getenv("MOS_SIM_BOARD");
  if (env != nullptr && *env != '\0') return env;
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  fs::path next = self.parent_path() / "mos-sim-board";
  if (!ec && access(next.c_str(), X_OK) == 0) return next.string();
  throw UserError("the virtual board mos-sim-board is not next to mos (" + next.string() + ")",
                  "build it: cmake --build --preset default --target mos_sim_chip");
}

void start() {
  if (!valid_name(o.name)) {
    throw UserError("bad board name '" + o.name + "'", "use 1-32 letters, digits, '-' or '_'");
  }
  // 0700: the board keeps its private key and config (with passwords) here.
  fs::path dir = fs::absolute(fs::path(sim_root(o.dir)) / o.name).lexically_normal();
  std::error_code ec;
  if (std::string why = make_private_dir(dir.string()); !why.empty()) {
    throw UserError("cannot create " + dir.string() + ": " + why, "pick another place with --dir DIR");
  }

  std::vector<std::string> aps = o.aps;
  uint32_t flash_size = 0;
  for (const SimBoard& b : sim_boards(o.dir)) {
    if (b.name != o.name) continue;
    // Names are per user (the registry): `mos sim stop NAME` must know which.
    if (b.running) {
      throw UserError("board " + o.name + " is already running (pid " + std::to_string(b.pid) +
                          ", UART0 " + b.pty + ", state in " + b.dir + ")",
                      "use it, or stop it first with `mos sim" + dir_arg() + " stop " + o.name + "`");
    }
    if (aps.empty() && fs::equivalent(b.dir, dir, ec)) aps = b.aps;  // a restarted board keeps its surroundings
  }
  for (const std::string& a : aps) {
    mos::sim::AccessPoint ap;
    std::string why;
    if (mos::sim::parse_access_point(a, &ap, &why) != Status::kOk) {
      throw UserError("bad access point '" + a + "': " + why, "give --ap SSID:PASS, e.g. --ap HomeNet:secret123");
    }
  }
  const bool have_image = fs::exists(dir / "flash.bin", ec);
  const uint32_t image_size = have_image ? static_cast<uint32_t>(fs::file_size(dir / "flash.bin", ec)) : 0;
  if (!o.flash_size.empty()) {
    flash_size = parse_size(o.flash_size);
    if (have_image && image_size != flash_size) {
      throw UserError("board " + o.name + " has a " + std::to_string(image_size >> 10) + " KB flash image, not " +
                          std::to_string(flash_size >> 10) + " KB",
                      "leave out --flash-size to keep its flash, or delete " + (dir / "flash.bin").string() +
                          " to start blank");
    }
  } else {
    flash_size = have_image ? image_size : 4u << 20;
  }
  const std::string bin = board_binary();
  if (!o.firmware.empty()) {
    // A programmer on the flash chip before power-on; without --firmware the
    // board keeps what its flash holds (blank: the ROM waits for mos flash).
    std::string what = program_sim_flash((dir / "flash.bin").string(), flash_size, o.firmware, false);
    std::printf("flash programmed with %s\n", what.c_str());
  }

  std::vector<std::string> args = {bin, "--name", o.name, "--dir", dir.string(), "--flash-size",
                                   std::to_string(flash_size), "--flash-sync", o.flash_sync};
  for (const std::string& a : aps) {
    args.push_back("--ap");
    args.push_back(a);
  }
  const fs::path log = dir / "console.log";
  const size_t log_start = fs::exists(log, ec) ? static_cast<size_t>(fs::file_size(log, ec)) : 0;
  auto log_since_start = [&] {
    std::string text = read_text(log);
    return log_start < text.size() ? text.substr(log_start) : std::string("(nothing: is it a board executable?)\n");
  };

  // The board outlives this command (detached), its output appended to
  // console.log.
  SpawnOptions spawn_opts;
  spawn_opts.stdout_path = log.string();
  spawn_opts.stderr_path = log.string();
  spawn_opts.detach = true;
  const pid_t pid = spawn(args, spawn_opts);

  // Ready when it has written board.json (its UART0 exists then).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    if (wait_exit(pid, std::chrono::milliseconds(0)) != -1) {  // it exited
      throw UserError("board " + o.name + " failed to start; its log says:\n" + log_since_start(),
                      "fix what the log says, then run `mos sim" + dir_arg() + " start --name " + o.name + "` again");
    }
    SimBoard b;
    if (read_board(dir, o.name, &b) && b.pid == pid && !b.pty.empty()) {
      // Found later from any directory ($MOS_SIM_DIR keeps tests apart).
      if (sim_uses_registry()) record_board(o.name, dir.string());
      std::printf("board %s running (pid %d): UART0 on %s\n", b.name.c_str(), pid, b.pty.c_str());
      std::printf("  MAC %s, flash %u KB, firmware %s, state in %s\n", b.mac.c_str(),
                  static_cast<unsigned>(b.flash_size / 1024),
                  b.firmware == "-" ? "none (the ROM waits for mos flash)" : b.firmware.c_str(),
                  dir.c_str());
      std::printf("  talk to it: mos --port %s console   (or picocom %s)\n", b.pty.c_str(), b.pty.c_str());
      return;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      throw UserError("board " + o.name + " did not come up within 10 s; its log says:\n" + log_since_start(),
                      "see " + log.string());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void list() {
  auto boards = sim_boards(o.dir);
  if (boards.empty()) {
    std::printf("no boards (looked in %s): start one with `mos sim%s start --name NAME --ap SSID:PASS`\n",
                sim_where_looked(o.dir).c_str(), dir_arg().c_str());
    return;
  }
  std::printf("%-16s %-9s %-8s %-14s %-18s %s\n", "NAME", "STATUS", "PID", "PORT", "MAC",
              "FIRMWARE");
  for (const SimBoard& b : boards) {
    // A running chip is "running" (firmware), "download" (ROM loader) or "in reset".
    std::string status = b.running ? (b.status.empty() ? "running" : b.status) : "stopped";
    std::printf("%-16s %-9s %-8s %-14s %-18s %s\n", b.name.c_str(), status.c_str(),
                b.running ? std::to_string(b.pid).c_str() : "-", b.running ? b.pty.c_str() : "-",
                b.mac.c_str(), b.firmware.c_str());
  }
}

void stop() {
  SimBoard b = find_board(o.name);
  if (!b.running) {
    std::printf("board %s is not running\n", b.name.c_str());
    return;
  }
  kill(b.pid, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (kill(b.pid, 0) == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (kill(b.pid, 0) == 0) {
    kill(b.pid, SIGKILL);  // power cut: the flash image keeps what was written
    std::printf("board %s did not stop in 5 s: killed\n", b.name.c_str());
  } else {
    std::printf("board %s stopped (flash kept in %s/flash.bin)\n", b.name.c_str(), b.dir.c_str());
  }
}

// One request line to the board's control socket, one reply line back.
std::string control(const SimBoard& b, const std::string& request) {
  if (!b.running) {
    throw UserError("board " + b.name + " is not running", "start it with `mos sim" + board_dir_arg(b) + " start --name " + b.name + "`");
  }
  std::string path = b.dir + "/ctl.sock";
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  int dirfd = -1;
  if (path.size() >= sizeof(addr.sun_path)) {
    // sun_path holds 108 bytes: reach a deep directory through /proc.
    dirfd = open(b.dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    path = "/proc/self/fd/" + std::to_string(dirfd) + "/ctl.sock";
  }
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  bool ok = fd >= 0 && connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  if (dirfd >= 0) close(dirfd);
  if (!ok) {
    if (fd >= 0) close(fd);
    throw UserError("cannot reach board " + b.name + " at " + b.dir + "/ctl.sock: " + std::strerror(errno),
                    "check `mos sim list`; restart it with `mos sim stop " + b.name + "` and `mos sim" + board_dir_arg(b) +
                        " start --name " + b.name + "`");
  }
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  std::string line = request + "\n";
  (void)!write(fd, line.data(), line.size());
  std::string reply;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) reply.append(buf, static_cast<size_t>(n));
  close(fd);
  while (!reply.empty() && (reply.back() == '\n' || reply.back() == '\r')) reply.pop_back();
  if (reply.rfind("error: ", 0) == 0) throw UserError("board " + b.name + ": " + reply.substr(7), "");
  if (reply.empty()) throw UserError("board " + b.name + " did not answer on its control socket", "");
  return reply;
}

const char* pin_role(int pin) {
  if (pin == 2) return ", blue LED, active low";
  if (pin == 0) return ", FLASH button";
  return "";
}

void gpio() {
  SimBoard b = find_board(o.name);
  std::string text;
  if (b.running) {
    text = control(b, "gpio");
  } else {
    text = read_text(fs::path(b.dir) / "gpio.json");
    std::fprintf(stderr, "board %s is stopped: pin levels as it left them\n", b.name.c_str());
  }
  Json j;
  try {
    j = Json::parse(text);
  } catch (const std::exception&) {
    throw UserError("board " + b.name + " has no readable pin state", "start it: `mos sim" + board_dir_arg(b) + " start --name " + b.name + "`");
  }
  const Json& pins = j.at("pins");
  auto print_pin = [&](const std::string& key) {
    const Json& p = pins.at(key);
    int pin = std::stoi(key);
    int level = p.value("level", 0);
    std::string extra = pin == 2 ? (level ? ", LED off" : ", LED on") : "";
    if (p.value("driven", false)) extra += ", held low from outside";
    std::printf("GPIO%d (%s%s%s): %d\n", pin, p.value("mode", "?").c_str(), pin_role(pin), extra.c_str(),
                level);
  };
  if (o.pin >= 0) {
    std::string key = std::to_string(o.pin);
    if (!pins.contains(key)) {
      throw UserError("GPIO" + key + " does not exist on the board",
                      "pins are 0..16 except 6..11 (wired to the flash chip)");
    }
    print_pin(key);
    return;
  }
  std::vector<int> order;
  for (auto it = pins.begin(); it != pins.end(); ++it) order.push_back(std::stoi(it.key()));
  std::sort(order.begin(), order.end());
  for (int pin : order) print_pin(std::to_string(pin));
}

bool g_download = false;

// The RST button (with --download, as if FLASH were held: the ROM loader).
void reset() {
  SimBoard b = find_board(o.name);
  control(b, g_download ? "reset download" : "reset");
  std::printf("reset %s%s\n", b.name.c_str(), g_download ? " into its ROM loader (download mode)" : "");
}

void press() {
  SimBoard b = find_board(o.name);
  control(b, "press " + std::to_string(o.pin) + " " + std::to_string(o.ms));
  std::printf("pressed GPIO%d on %s for %d ms\n", o.pin, b.name.c_str(), o.ms);
}

Registration reg{"sim", [](CLI::App& app) {
  CLI::App* sim = app.add_subcommand("sim", "Virtual NodeMCU boards: start, list, stop, read pins, press buttons");
  sim->require_subcommand(1);
  // --dir on `sim` and on each subcommand (`mos sim start --dir D` too). Not
  // through CLI11's fallthrough: that would take a board named like a
  // command ("list") for the command.
  auto add_dir = [](CLI::App* a) {
    a->add_option("--dir", o.dir,
                  "Where boards keep their state (default $MOS_SIM_DIR, else .mos/sim here; boards started "
                  "elsewhere are found through the registry in $XDG_STATE_HOME/mos)");
  };
  add_dir(sim);

  CLI::App* s = sim->add_subcommand("start", "Start a board in the background and print its serial port");
  s->add_option("--name", o.name, "Board name (its MAC and device.id derive from it)")->capture_default_str();
  s->add_option("--ap", o.aps, "An access point around the board, SSID:PASS (repeatable; SSID alone = open)");
  s->add_option("--flash-size", o.flash_size, "Flash size, e.g. 4M (default: the existing image's, else 4M)");
  s->add_option("--flash-sync", o.flash_sync,
                "When flash writes reach the disk: on-flush (the process dying loses nothing; a host "
                "crash may) or every-write (msync each write: slow)")
      ->check(CLI::IsMember({"on-flush", "every-write"}))
      ->capture_default_str();
  s->add_option("--firmware", o.firmware,
                "fw.zip (or a fw.bin image) to program into the flash first; without it the board "
                "boots what its flash holds (a new board: the ROM loader, waiting for mos flash)");
  s->callback(start);

  sim->add_subcommand("list", "List boards with their status and serial port")->callback(list);

  CLI::App* st = sim->add_subcommand("stop", "Stop a board (its flash is kept)");
  st->add_option("name", o.name, "Board name")->required();
  st->callback(stop);

  CLI::App* g = sim->add_subcommand("gpio", "Print pin levels (1 = HIGH)");
  g->add_option("name", o.name, "Board name")->required();
  g->add_option("pin", o.pin, "Only this pin");
  g->callback(gpio);

  CLI::App* p = sim->add_subcommand("press", "Press a button: hold a pin LOW for a while");
  p->add_option("name", o.name, "Board name")->required();
  p->add_option("pin", o.pin, "Pin (the FLASH button is 0)")->required();
  p->add_option("--ms", o.ms, "How long to hold it, ms")->capture_default_str()->check(CLI::Range(1, 600000));
  p->callback(press);

  CLI::App* r = sim->add_subcommand("reset", "Reset a board (its RST button): the ROM boots the flash again");
  r->add_option("name", o.name, "Board name")->required();
  r->add_flag("--download", g_download, "Hold GPIO0 low through the reset: the ROM serial loader");
  r->callback(reset);
  for (CLI::App* sub : {s, st, g, p, r, sim->get_subcommand("list")}) add_dir(sub);
}};

}  // namespace
}  // namespace mos::cli

// Talking to a board over its serial port, as Mongoose OS's `mos` does:
//   mos [--port P] call METHOD [ARGS]     any RPC, result printed as JSON
//   mos config-get [KEY]                  Config.Get
//   mos config-set K=V... [--no-reboot]   Config.Get (types), Config.Set, Config.Save
//   mos ls [-l] | get FILE | put LOCAL [REMOTE] | rm FILE    the board's flash store
//   mos console [--timeout S] [--until RE]   the serial log; typed lines go to the board
//   mos wifi SSID PASS                    join an access point (Config.Set + Save, reboot)
//   mos ports                             candidate serial ports
// The port comes from --port, then $MOS_PORT, else `auto`.
#include <poll.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>
#include <thread>
#include <string>
#include <vector>

#include "cli.h"
#include "device_session.h"
#if __has_include("sim_boards.h")
#include "sim_boards.h"  // running virtual boards are serial ports too
#define MOS_CLI_HAVE_SIM 1
#endif
#include "mos/rpcclient/relaxed_json.h"

namespace mos::cli {
namespace {

using rpcclient::Json;
using rpcclient::RpcClient;
using rpcclient::SerialPort;
using rpcclient::PortInfo;
using namespace std::chrono_literals;

// --port/--timeout/--verbose, port resolution and Session: device_session.h
// (shared with cmd_aws_iot_setup.cpp).
DeviceGlobals& g = device_globals();

std::string pretty(const Json& j) { return j.dump(2); }

// ---- config-set: typed values from the board's own config tree ----

Json typed_value(const std::string& key, const std::string& text, const Json& current) {
  auto bad = [&](const char* type, const char* example) {
    return UserError("config-set: " + key + " is " + type + ", not \"" + text + "\"",
                     "give " + std::string(type) + ", e.g. " + key + "=" + example);
  };
  auto parse_double = [&](double* out) {
    try {
      size_t used = 0;
      *out = std::stod(text, &used);
      return used == text.size();
    } catch (const std::logic_error&) {
      return false;
    }
  };
  switch (current.type()) {
    case Json::value_t::boolean:
      if (text == "true" || text == "1") return true;
      if (text == "false" || text == "0") return false;
      throw bad("a boolean", "true");
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned: {
      try {
        size_t used = 0;
        long long v = std::stoll(text, &used, 10);
        if (used == text.size()) return v;
      } catch (const std::logic_error&) {
      }
      // A whole-looking default ("2") may belong to a number key: let the
      // board's schema decide on "1.5".
      double d = 0;
      if (parse_double(&d)) return d;
      throw bad("an integer", "1");
    }
    case Json::value_t::number_float: {
      double d = 0;
      if (parse_double(&d)) return d;
      throw bad("a number", "1.5");
    }
    case Json::value_t::object:
      throw UserError("config-set: " + key + " is a section, not a value",
                      "set its keys one by one, see `mos config-get " + key + "`");
    default:
      return text;  // strings (and null: the schema left the type open)
  }
}

// ---- commands ----

// Strict JSON, or the relaxed JSON the device reads ({pin:2,value:0}).
Json parse_args(const std::string& args_text) {
  Json args = Json::parse(args_text, nullptr, false);
  if (!args.is_discarded()) return args;
  std::string strict, why;
  if (rpcclient::relaxed_to_strict(args_text, &strict, &why)) {
    args = Json::parse(strict, nullptr, false);
    if (!args.is_discarded()) return args;
    why = "not JSON";
  }
  throw UsageError("call: the arguments are not JSON (" + why + "): " + args_text,
                   "quote them for the shell, e.g. mos call GPIO.Write '{pin: 2, value: 0}'");
}

void cmd_call(const std::string& method, const std::string& args_text) {
  Json args;
  if (!args_text.empty()) args = parse_args(args_text);
  Session s;
  Json r = s.client.call(method, args);
  std::printf("%s\n", pretty(r).c_str());
}

void cmd_config_get(const std::string& key) {
  Session s;
  Json r = s.client.call("Config.Get", key.empty() ? Json() : Json{{"key", key}});
  std::printf("%s\n", pretty(r).c_str());
}

void cmd_config_set(const std::vector<std::string>& pairs, bool no_reboot, bool no_save) {
  Session s;
  std::fprintf(stderr, "Getting configuration...\n");
  Json tree = s.client.call("Config.Get");
  Json patch = Json::object();
  for (const auto& kv : pairs) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw UsageError("config-set: \"" + kv + "\" is not KEY=VALUE", "e.g. mos config-set mqtt.enable=true");
    }
    std::string key = kv.substr(0, eq), value = kv.substr(eq + 1);
    const Json* cur = find_key(tree, key);
    if (cur == nullptr) {
      throw UserError("config-set: the board has no config key " + key,
                      "list the keys with `mos config-get` (names as in Mongoose OS, e.g. mqtt.server)");
    }
    set_path(&patch, key, typed_value(key, value, *cur));
  }
  std::fprintf(stderr, "Setting new configuration...\n");
  s.client.call("Config.Set", {{"config", patch}});
  if (no_save) return;
  std::fprintf(stderr, no_reboot ? "Saving configuration...\n" : "Saving and rebooting...\n");
  s.client.call("Config.Save", {{"reboot", !no_reboot}});
}

void cmd_ls(bool long_format) {
  Session s;
  // FS.ListExt adds sizes; boards without it answer 404, then plain FS.List.
  Json r;
  bool have = false;
  if (long_format) {
    try {
      r = s.client.call("FS.ListExt");
      have = true;
    } catch (const rpcclient::RpcError& e) {
      if (e.code != 404) throw;
    }
  }
  if (!have) r = s.client.call("FS.List");
  if (!r.is_array()) throw UserError("the board's file list is not a list: " + r.dump(), "");
  // "name size" per line, sorted by name, as Mongoose OS's `mos ls -l`.
  std::vector<std::pair<std::string, std::string>> files;
  for (const auto& e : r) {
    if (e.is_string()) {
      files.emplace_back(e.get<std::string>(), "");
    } else if (e.is_object() && e.contains("name") && e["name"].is_string()) {
      files.emplace_back(e["name"].get<std::string>(), e.contains("size") ? e["size"].dump() : "");
    }
  }
  std::sort(files.begin(), files.end());
  for (const auto& [name, size] : files) {
    if (long_format && !size.empty()) {
      std::printf("%s %s\n", name.c_str(), size.c_str());
    } else {
      std::printf("%s\n", name.c_str());
    }
  }
}

constexpr size_t kChunk = 1024;  // raw bytes per FS.Get/FS.Put frame: ~1.4 KB of base64

void cmd_get(const std::string& file, const std::string& out_path) {
  Session s;
  std::string data;
  for (;;) {
    Json r = s.client.call("FS.Get", {{"filename", file}, {"offset", data.size()}, {"len", kChunk}});
    std::string chunk = rpcclient::base64_decode(r.value("data", std::string()));
    data += chunk;
    int64_t left = r.value("left", int64_t{0});
    if (left <= 0 || chunk.empty()) break;
  }
  if (out_path.empty()) {
    std::fwrite(data.data(), 1, data.size(), stdout);
  } else {
    std::ofstream f(out_path, std::ios::binary);
    f.write(data.data(), static_cast<std::streamsize>(data.size()));
    if (!f) throw UserError("get: cannot write " + out_path, "check the directory exists and is writable");
  }
}

void cmd_put(const std::string& local, std::string remote) {
  std::ifstream f(local, std::ios::binary);
  if (!f) throw UserError("put: cannot read " + local, "check the path (ls -l " + shell_quote(local) + ")");
  std::string data((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (remote.empty()) {
    auto slash = local.find_last_of('/');
    remote = slash == std::string::npos ? local : local.substr(slash + 1);
  }
  Session s;
  const bool tty = ::isatty(STDERR_FILENO) != 0;
  put_data(s.client, remote, data, [&](size_t off, size_t total) {
    if (tty || off >= total) {
      std::fprintf(stderr, "%sWriting %s: %zu of %zu bytes (%d%%)%s", tty ? "\r" : "", remote.c_str(), off,
                   total, total == 0 ? 100 : int(off * 100 / total), off >= total ? "\n" : "");
    }
  });
}

void cmd_rm(const std::string& file) {
  Session s;
  s.client.call("FS.Remove", {{"filename", file}});
}

// Mongoose OS's `mos wifi SSID PASS`: station on, access point off, saved,
// rebooted (the board joins after the reboot).
void cmd_wifi(const std::string& ssid, const std::string& pass) {
  Session s;
  std::fprintf(stderr, "Getting configuration...\n");
  Json tree = s.client.call("Config.Get");
  Json wifi = {{"sta", {{"enable", true}, {"ssid", ssid}, {"pass", pass}}}};
  // A board whose schema has no access point part has nothing to turn off.
  if (find_key(tree, "wifi.ap.enable") != nullptr) wifi["ap"] = {{"enable", false}};
  std::fprintf(stderr, "Setting new configuration...\n");
  s.client.call("Config.Set", {{"config", {{"wifi", wifi}}}});
  std::fprintf(stderr, "Saving and rebooting...\n");
  s.client.call("Config.Save", {{"reboot", true}});
}

volatile std::sig_atomic_t g_console_stop = 0;
void on_console_signal(int) { g_console_stop = 1; }

// Puts the terminal back as it was, however the console ends.
struct TerminalGuard {
  TerminalGuard() {
    if (::isatty(STDIN_FILENO) == 0 || ::tcgetattr(STDIN_FILENO, &saved) != 0) return;
    active = true;
    // Canonical mode with echo: the person edits a line, Enter sends it.
    termios t = saved;
    t.c_lflag |= ICANON | ECHO | ECHOE | ISIG;
    ::tcsetattr(STDIN_FILENO, TCSANOW, &t);
  }
  ~TerminalGuard() {
    if (active) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved);
  }
  termios saved{};
  bool active = false;
};

// Both ways, as a terminal program: what the board prints goes to stdout
// (frames too, as the raw lines they are), what the person types goes to the
// board line by line, so a hand-typed """{...}""" frame gets its reply.
int cmd_console(const std::string& until) {
  const std::string path = resolve_port(g.port);
  SerialPort port = Session::open_port(path);
  std::regex re;
  if (!until.empty()) re = std::regex(until);
  TerminalGuard terminal;
  struct sigaction sa {};
  sa.sa_handler = on_console_signal;  // no SA_RESTART: poll() returns EINTR
  sigemptyset(&sa.sa_mask);
  struct sigaction old_int {}, old_term {};
  ::sigaction(SIGINT, &sa, &old_int);
  ::sigaction(SIGTERM, &sa, &old_term);
  g_console_stop = 0;

  bool matched = false, stdin_open = true;
  std::string from_board, typed;
  auto show_lines = [&](bool all) {
    size_t start = 0, nl;
    while ((nl = from_board.find('\n', start)) != std::string::npos || (all && start < from_board.size())) {
      if (nl == std::string::npos) nl = from_board.size();
      std::string line = from_board.substr(start, nl - start);
      start = std::min(nl + 1, from_board.size());
      if (!line.empty() && line.back() == '\r') line.pop_back();
      std::fwrite(line.data(), 1, line.size(), stdout);
      std::fputc('\n', stdout);
      if (!until.empty() && std::regex_search(line, re)) matched = true;
    }
    from_board.erase(0, start);
    std::fflush(stdout);
  };
  const auto start = std::chrono::steady_clock::now();
  while (!matched && g_console_stop == 0) {
    if (g.timeout_s > 0 &&
        std::chrono::steady_clock::now() - start >= std::chrono::duration<double>(g.timeout_s)) {
      break;
    }
    pollfd fds[2] = {{port.fd(), POLLIN, 0}, {STDIN_FILENO, static_cast<short>(stdin_open ? POLLIN : 0), 0}};
    if (::poll(fds, 2, 100) < 0) continue;  // EINTR: the loop checks the flag
    if (fds[0].revents != 0) {
      if (port.read_some(&from_board, 0ms) == 0 && (fds[0].revents & (POLLHUP | POLLERR)) != 0) {
        std::this_thread::sleep_for(50ms);  // the board is rebooting / gone: keep waiting
      }
      show_lines(false);
    }
    if (stdin_open && fds[1].revents != 0) {
      char buf[1024];
      ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
      if (n > 0) {
        typed.append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        stdin_open = false;  // end of a pipe (or Ctrl-D): keep showing the board
        if (!typed.empty()) typed += '\n';
      }
      size_t nl;
      while ((nl = typed.find('\n')) != std::string::npos) {
        port.write(typed.substr(0, nl + 1));
        typed.erase(0, nl + 1);
      }
    }
  }
  show_lines(true);
  ::sigaction(SIGINT, &old_int, nullptr);
  ::sigaction(SIGTERM, &old_term, nullptr);
  if (matched || g_console_stop != 0) return kExitOk;
  if (!until.empty()) {
    std::fprintf(stderr, "Error: console: no line matching /%s/ from %s in %g s\n  -> raise --timeout, or check the pattern\n",
                 until.c_str(), path.c_str(), g.timeout_s);
    return kExitFailed;
  }
  return kExitOk;
}

// The options every board command takes, before or after its name
// (`mos --port P ls` and `mos ls --port P`). Added to each subcommand rather
// than through CLI11's fallthrough, which would also take an argument that
// names a command (`mos config-get wifi`) for that command.
void add_board_options(CLI::App* a) {
  a->add_option("--port", g.port, "serial port of the board: a tty or a virtual board's pty, or `auto`")
      ->envname("MOS_PORT");
  a->add_option("--timeout", g.timeout_s,
                "seconds to wait for an RPC answer (default 5) or to run `console` (default: forever)");
  a->add_flag("--verbose,-v", g.verbose, "print the board's log lines seen during RPC calls");
}

Registration reg{"device", [](CLI::App& app) {
  add_board_options(&app);

  auto* call = app.add_subcommand("call", "call an RPC method on the board and print its result");
  static std::string method, args;
  call->add_option("method", method, "e.g. Sys.GetInfo, RPC.List, GPIO.Write")->required();
  call->add_option("args", args, "JSON arguments; keys may be bare as the device reads them, e.g. '{pin:2,value:0}'");
  call->callback([] { cmd_call(method, args); });

  auto* cget = app.add_subcommand("config-get", "print the board's configuration (or one key)");
  static std::string key;
  cget->add_option("key", key, "a key or section, e.g. mqtt or wifi.sta.ssid");
  cget->callback([] { cmd_config_get(key); });

  auto* cset = app.add_subcommand("config-set", "set config keys, save and reboot the board");
  static std::vector<std::string> pairs;
  static bool no_reboot = false, no_save = false;
  cset->add_option("pairs", pairs, "KEY=VALUE, e.g. mqtt.server=localhost:8883")->required();
  cset->add_flag("--no-reboot", no_reboot, "save without rebooting");
  cset->add_flag("--no-save", no_save, "change only the running configuration");
  cset->callback([] { cmd_config_set(pairs, no_reboot, no_save); });

  auto* ls = app.add_subcommand("ls", "list the files on the board");
  static bool long_format = false;
  ls->add_flag("-l", long_format, "show sizes");
  ls->callback([] { cmd_ls(long_format); });

  auto* get = app.add_subcommand("get", "print a file from the board (or save it with -o)");
  static std::string get_file, get_out;
  get->add_option("file", get_file, "file name on the board")->required();
  get->add_option("-o,--output", get_out, "local file to write instead of stdout");
  get->callback([] { cmd_get(get_file, get_out); });

  auto* put = app.add_subcommand("put", "copy a local file to the board");
  static std::string local, remote;
  put->add_option("local", local, "local file")->required();
  put->add_option("remote", remote, "name on the board (default: the local base name)");
  put->callback([] { cmd_put(local, remote); });

  auto* rm = app.add_subcommand("rm", "remove a file from the board");
  static std::string rm_file;
  rm->add_option("file", rm_file, "file name on the board")->required();
  rm->callback([] { cmd_rm(rm_file); });

  auto* console = app.add_subcommand(
      "console", "show the board's serial output and send it what you type, line by line (Ctrl-C quits)");
  static std::string until;
  console->add_option("--until", until,
                      "exit 0 at the first line matching this regex (1 at --timeout)");
  console->callback([] {
    if (int rc = cmd_console(until); rc != 0) throw ExitStatus{rc};
  });

  auto* wifi = app.add_subcommand("wifi", "join a Wi-Fi network: set wifi.sta, turn the AP off, save, reboot");
  static std::string ssid, pass;
  wifi->add_option("ssid", ssid, "network name")->required();
  wifi->add_option("pass", pass, "password (\"\" for an open network)")->required();
  wifi->callback([] { cmd_wifi(ssid, pass); });

  auto* ports = app.add_subcommand("ports", "list serial ports and running virtual boards");
  for (auto* sub : {call, cget, cset, ls, get, put, rm, console, wifi}) add_board_options(sub);
  ports->callback([] {
    auto found = all_ports();
    if (found.empty()) {
      std::string looked = "/dev/ttyUSB*, /dev/ttyACM*";
#ifdef MOS_CLI_HAVE_SIM
      looked += " and the running virtual boards in " + sim_where_looked();
#endif
      std::printf("no serial ports (looked at %s); start a virtual board with `mos sim start`\n",
                  looked.c_str());
    }
    for (const auto& p : found) std::printf("%s\t%s\n", p.path.c_str(), p.what.c_str());
  });
}};

}  // namespace
}  // namespace mos::cli

// Talking to a board over its serial port, as Mongoose OS's `mos` does:
//   mos [--port P] call METHOD [ARGS]     any RPC, result printed as JSON
//   mos config-get [KEY]                  Config.Get
//   mos config-set K=V... [--no-reboot]   Config.Get (types), Config.Set, Config.Save
//   mos ls [-l] | get FILE | put LOCAL [REMOTE] | rm FILE    the board's flash store
//   mos console [--timeout S] [--until RE]                   the serial log
//   mos ports                             candidate serial ports
// The port comes from --port, then $MOS_PORT, else `auto`.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "cli.h"
#include "device_session.h"

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

const Json* find_key(const Json& tree, const std::string& key) {
  const Json* node = &tree;
  std::stringstream ss(key);
  std::string part;
  while (std::getline(ss, part, '.')) {
    if (!node->is_object() || !node->contains(part)) return nullptr;
    node = &(*node)[part];
  }
  return node;
}

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

void set_path(Json* tree, const std::string& key, Json value) {
  Json* node = tree;
  std::stringstream ss(key);
  std::string part;
  std::vector<std::string> parts;
  while (std::getline(ss, part, '.')) parts.push_back(part);
  for (size_t i = 0; i + 1 < parts.size(); ++i) node = &(*node)[parts[i]];
  (*node)[parts.back()] = std::move(value);
}

// ---- commands ----

void cmd_call(const std::string& method, const std::string& args_text) {
  Json args;
  if (!args_text.empty()) {
    args = Json::parse(args_text, nullptr, false);
    if (args.is_discarded()) {
      throw UserError("call: the arguments are not valid JSON: " + args_text,
                      "quote them for the shell, e.g. mos call FS.Get '{\"filename\":\"conf9.json\"}'");
    }
  }
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
  Json tree = s.client.call("Config.Get");
  Json patch = Json::object();
  for (const auto& kv : pairs) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw UserError("config-set: \"" + kv + "\" is not KEY=VALUE", "e.g. mos config-set mqtt.enable=true");
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
  if (!r.is_array()) throw UserError("FS.List: unexpected answer " + r.dump(), "");
  for (const auto& e : r) {
    if (e.is_string()) {
      std::printf("%s\n", e.get<std::string>().c_str());
    } else if (e.is_object() && e.contains("name")) {
      if (long_format && e.contains("size")) {
        std::printf("%8s %s\n", e["size"].dump().c_str(), e["name"].get<std::string>().c_str());
      } else {
        std::printf("%s\n", e["name"].get<std::string>().c_str());
      }
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
  if (!f) throw UserError("put: cannot read " + local, "check the path");
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

int cmd_console(const std::string& until) {
  const std::string path = resolve_port(g.port);
  SerialPort port = Session::open_port(path);
  std::regex re;
  if (!until.empty()) re = std::regex(until);
  bool matched = false;
  RpcClient client(port, {rpc_timeout(), true, [&](std::string_view line) {
                            std::fwrite(line.data(), 1, line.size(), stdout);
                            std::fputc('\n', stdout);
                            std::fflush(stdout);
                            if (!until.empty() && std::regex_search(line.begin(), line.end(), re)) {
                              matched = true;
                            }
                          }});
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    client.drain(100ms);
    if (matched) return 0;
    if (g.timeout_s > 0 &&
        std::chrono::steady_clock::now() - start >= std::chrono::duration<double>(g.timeout_s)) {
      break;
    }
  }
  if (!until.empty()) {
    std::fprintf(stderr, "console: no line matching /%s/ from %s in %g s\n", until.c_str(),
                 path.c_str(), g.timeout_s);
    return 1;
  }
  return 0;
}

Registration reg{"device", [](CLI::App& app) {
  app.add_option("--port", g.port,
                 "serial port of the board: a tty or a virtual board's pty, or `auto`")
      ->envname("MOS_PORT");
  app.add_option("--timeout", g.timeout_s,
                 "seconds to wait for an RPC answer (default 5) or to run `console` (default: forever)");
  app.add_flag("--verbose,-v", g.verbose, "print the board's log lines seen during RPC calls");

  auto* call = app.add_subcommand("call", "call an RPC method on the board and print its result");
  call->fallthrough();
  static std::string method, args;
  call->add_option("method", method, "e.g. Sys.GetInfo, RPC.List, GPIO.Write")->required();
  call->add_option("args", args, "JSON arguments, e.g. '{\"pin\":2,\"value\":0}'");
  call->callback([] { cmd_call(method, args); });

  auto* cget = app.add_subcommand("config-get", "print the board's configuration (or one key)");
  cget->fallthrough();
  static std::string key;
  cget->add_option("key", key, "a key or section, e.g. mqtt or wifi.sta.ssid");
  cget->callback([] { cmd_config_get(key); });

  auto* cset = app.add_subcommand("config-set", "set config keys, save and reboot the board");
  cset->fallthrough();
  static std::vector<std::string> pairs;
  static bool no_reboot = false, no_save = false;
  cset->add_option("pairs", pairs, "KEY=VALUE, e.g. mqtt.server=localhost:8883")->required();
  cset->add_flag("--no-reboot", no_reboot, "save without rebooting");
  cset->add_flag("--no-save", no_save, "change only the running configuration");
  cset->callback([] { cmd_config_set(pairs, no_reboot, no_save); });

  auto* ls = app.add_subcommand("ls", "list the files on the board");
  ls->fallthrough();
  static bool long_format = false;
  ls->add_flag("-l", long_format, "show sizes");
  ls->callback([] { cmd_ls(long_format); });

  auto* get = app.add_subcommand("get", "print a file from the board (or save it with -o)");
  get->fallthrough();
  static std::string get_file, get_out;
  get->add_option("file", get_file, "file name on the board")->required();
  get->add_option("-o,--output", get_out, "local file to write instead of stdout");
  get->callback([] { cmd_get(get_file, get_out); });

  auto* put = app.add_subcommand("put", "copy a local file to the board");
  put->fallthrough();
  static std::string local, remote;
  put->add_option("local", local, "local file")->required()->check(CLI::ExistingFile);
  put->add_option("remote", remote, "name on the board (default: the local base name)");
  put->callback([] { cmd_put(local, remote); });

  auto* rm = app.add_subcommand("rm", "remove a file from the board");
  rm->fallthrough();
  static std::string rm_file;
  rm->add_option("file", rm_file, "file name on the board")->required();
  rm->callback([] { cmd_rm(rm_file); });

  auto* console = app.add_subcommand("console", "print the board's serial log");
  console->fallthrough();
  static std::string until;
  console->add_option("--until", until,
                      "exit 0 at the first line matching this regex (1 at --timeout)");
  console->callback([] {
    if (int rc = cmd_console(until); rc != 0) throw CLI::RuntimeError(rc);
  });

  auto* ports = app.add_subcommand("ports", "list serial ports and running virtual boards");
  ports->callback([] {
    auto found = all_ports();
    if (found.empty()) std::printf("no serial ports; start a virtual board with `mos sim start`\n");
    for (const auto& p : found) std::printf("%s\t%s\n", p.path.c_str(), p.what.c_str());
  });
}};

}  // namespace
}  // namespace mos::cli

// `mos cloud up|status|down`: the local AWS IoT Core (mos-cloud + Mosquitto
// with the mos policy plugin) as two background processes of a data dir.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cli.h"
#include "cloud_dir.h"
#include "spawn.h"
#include "user_state.h"
#include "mos/cloud/service_clients.h"
#include "mos/registry/registry.h"

namespace fs = std::filesystem;
using mos::cli::UserError;
using mos::cli::shell_quote;

namespace {

struct CloudOptions {
  std::string data_dir;  // "" = .mos/cloud here, else the newest recorded one (resolve_data_dir)
  int http_port = 4567;
  int https_port = 4568;
  int mqtt_port = 8883;
  std::string plugin;
  bool no_plugin = false;
};

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

fs::path self_exe() {
  std::error_code ec;
  fs::path p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : p;
}

// A build product: next to the mos binary's build tree (build/<preset>/tools/
// mos/mos -> build/<preset>/<rel>), then the tree mos was configured in.
fs::path find_built(const std::string& rel) {
  std::vector<fs::path> candidates;
  fs::path exe = self_exe();
  if (!exe.empty()) candidates.push_back(exe.parent_path().parent_path().parent_path() / rel);
#ifdef MOS_BUILD_DIR
  candidates.push_back(fs::path(MOS_BUILD_DIR) / rel);
#endif
  for (const auto& c : candidates)
    if (fs::exists(c)) return fs::absolute(c);
  return {};
}

fs::path find_program(const std::string& name, const std::vector<std::string>& extra) {
  const char* path = std::getenv("PATH");
  std::stringstream ss(path ? path : "");
  std::string dir;
  while (std::getline(ss, dir, ':'))
    if (!dir.empty() && ::access((fs::path(dir) / name).c_str(), X_OK) == 0) return fs::path(dir) / name;
  for (const auto& e : extra)
    if (::access(e.c_str(), X_OK) == 0) return e;
  return {};
}

fs::path mos_cloud_binary() {
  if (const char* env = std::getenv("MOS_CLOUD_BIN")) return env;
  fs::path p = find_built("cloud/server/mos-cloud");
  if (p.empty()) p = find_program("mos-cloud", {});
  if (p.empty())
    throw UserError("cannot find the mos-cloud server binary",
                    "build it: cmake --build --preset default --target mos-cloud (or set MOS_CLOUD_BIN)");
  return p;
}

// Tries connect() (something listens) or bind() (nothing holds the port) on
// 127.0.0.1:port with a fresh socket.
bool loopback_try(int port, int (*op)(int, const sockaddr*, socklen_t)) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = op(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

bool port_open(int port) { return loopback_try(port, ::connect); }
bool port_free(int port) { return loopback_try(port, ::bind); }

// GET http://127.0.0.1:<port><path>, body or "" (tiny, no dependency).
std::string http_get(int port, const std::string& path) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return {};
  timeval tv{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string resp;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    std::string req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if (::write(fd, req.data(), req.size()) == static_cast<ssize_t>(req.size())) {
      char buf[4096];
      ssize_t n;
      while ((n = ::read(fd, buf, sizeof buf)) > 0) resp.append(buf, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  size_t body = resp.find("\r\n\r\n");
  return body == std::string::npos ? std::string() : resp.substr(body + 4);
}

// The value of "key": <number|true|false> in a flat JSON object (our own
// /mos/status and cloud.json); "" if absent.
std::string json_scalar(const std::string& json, const std::string& key) {
  size_t k = json.find("\"" + key + "\"");
  if (k == std::string::npos) return {};
  size_t colon = json.find(':', k);
  if (colon == std::string::npos) return {};
  size_t start = json.find_first_not_of(" \t\n", colon + 1);
  if (start == std::string::npos) return {};
  if (json[start] == '"') {
    size_t end = json.find('"', start + 1);
    return end == std::string::npos ? std::string() : json.substr(start + 1, end - start - 1);
  }
  size_t end = json.find_first_of(",}\n", start);
  return json.substr(start, end - start);
}

// A detached background server, its output appended to `log`.
pid_t start_server(const std::vector<std::string>& argv, const fs::path& log) {
  mos::cli::SpawnOptions o;
  o.stdout_path = o.stderr_path = log.string();
  o.detach = true;
  return mos::cli::spawn(argv, o);
}

pid_t read_pid(const fs::path& p) {
  std::string s = read_file(p);
  return s.empty() ? 0 : static_cast<pid_t>(std::atol(s.c_str()));
}

// Alive and still the program we started (pids get reused).
bool alive(pid_t pid, const std::string& name) {
  if (pid <= 0 || ::kill(pid, 0) != 0) return false;
  int status = 0;
  pid_t w = ::waitpid(pid, &status, WNOHANG);
  if (w == pid) return false;  // our own child, exited
  if (w == 0) return true;     // our own child, running (maybe not exec'd yet)
  std::string cmd = read_file("/proc/" + std::to_string(pid) + "/cmdline");
  return cmd.find(name) != std::string::npos;
}

std::string tail(const fs::path& p, size_t lines) {
  std::string s = read_file(p);
  size_t start = s.size();
  for (size_t i = 0; i <= lines && start > 0; ++i) {
    size_t nl = s.rfind('\n', start - 1);
    if (nl == std::string::npos) return s;
    start = nl;
  }
  return start + 1 < s.size() ? s.substr(start + 1) : s;
}

void stop_pid(const fs::path& pidfile, const std::string& name) {
  pid_t pid = read_pid(pidfile);
  if (alive(pid, name)) {
    ::kill(pid, SIGTERM);
    for (int i = 0; i < 100 && alive(pid, name); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (alive(pid, name)) ::kill(pid, SIGKILL);
  }
  std::error_code ec;
  fs::remove(pidfile, ec);
}

constexpr const char* kDefaultDataDir = ".mos/cloud";

// " --data-dir D" for hints when the user gave one, so they run as printed.
std::string data_dir_arg(const CloudOptions& o) {
  return o.data_dir.empty() ? "" : " --data-dir " + shell_quote(o.data_dir);
}

struct Paths {
  fs::path dir, cloud_pid, mosq_pid, state;
  explicit Paths(const std::string& d) : dir(fs::absolute(d)) {
    cloud_pid = dir / "mos-cloud.pid";
    mosq_pid = dir / "mosquitto.pid";
    state = dir / "cloud.json";
  }
};

std::string env_or(const char* name, const char* def) {
  const char* v = std::getenv(name);
  return std::string(v && *v ? v : def);
}

std::string credentials_line() {
  return "export AWS_ACCESS_KEY_ID=" + env_or("MOS_CLOUD_ACCESS_KEY_ID", "AKIDMOSLOCAL") +
         " AWS_SECRET_ACCESS_KEY=" + env_or("MOS_CLOUD_SECRET_ACCESS_KEY", "mos-local-secret") +
         " AWS_DEFAULT_REGION=" + env_or("MOS_CLOUD_REGION", "us-east-1");
}

// The web console (cloud/console) logs in with the same access key and secret.
std::string console_line(int http_port) {
  return "http://127.0.0.1:" + std::to_string(http_port) + "/console/   (log in with access key " +
         env_or("MOS_CLOUD_ACCESS_KEY_ID", "AKIDMOSLOCAL") + " and secret " +
         env_or("MOS_CLOUD_SECRET_ACCESS_KEY", "mos-local-secret") + ")";
}

void cloud_up(const CloudOptions& o) {
  Paths p(o.data_dir.empty() ? kDefaultDataDir : o.data_dir);
  const std::string dd = data_dir_arg(o);
  if (alive(read_pid(p.cloud_pid), "mos-cloud") || alive(read_pid(p.mosq_pid), "mosquitto"))
    throw UserError("the local cloud in " + p.dir.string() + " is already running",
                    "see `mos cloud status" + dd + "`, or stop it with `mos cloud down" + dd + "`");
  for (int port : {o.http_port, o.https_port, o.mqtt_port})
    if (port != 0 && !port_free(port))
      throw UserError("port " + std::to_string(port) + " on 127.0.0.1 is in use",
                      "pick free ports with --http-port, --https-port and --mqtt-port");
  fs::path server = mos_cloud_binary();
  fs::path mosquitto = find_program("mosquitto", {"/usr/sbin/mosquitto"});
  if (mosquitto.empty())
    throw UserError("mosquitto is not installed", "install it: scripts/setup.sh (or apt-get install mosquitto)");
  fs::path plugin;
  if (!o.no_plugin) {
    plugin = o.plugin.empty() ? find_built("cloud/plugin/mos_policy_plugin.so") : fs::absolute(o.plugin);
    if (!o.plugin.empty() && !fs::exists(plugin))
      throw UserError("the plugin " + plugin.string() + " does not exist", "build it or drop --plugin");
    if (plugin.empty())
      std::fprintf(stderr,
                   "warning: mos_policy_plugin.so is not built: the broker will admit any certificate "
                   "signed by the local CA and enforce no policies.\n  -> build it: cmake --build "
                   "--preset default --target mos_policy_plugin, then mos cloud down%s && mos cloud up%s\n",
                   dd.c_str(), dd.c_str());
  }
  // 0700: the CA's private key and the registry live here.
  if (std::string why = mos::cli::make_private_dir(p.dir.string()); !why.empty())
    throw UserError("cannot create " + p.dir.string() + ": " + why, "choose another --data-dir");

  // CA, broker and dataplane certificates, registry, mosquitto.conf.
  std::vector<std::string> init = {server.string(), "init", "--data-dir", p.dir.string(), "--mqtt-port",
                                   std::to_string(o.mqtt_port)};
  if (!plugin.empty()) {
    init.push_back("--plugin");
    init.push_back(plugin.string());
  }
  mos::cli::SpawnOptions init_out;
  init_out.stdout_path = (p.dir / "init.json").string();
  init_out.truncate_stdout = true;
  init_out.stderr_path = (p.dir / "mos-cloud.log").string();
  if (mos::cli::run_program(init, init_out, std::chrono::seconds(60)) != 0)
    throw UserError("mos-cloud init failed:\n" + tail(p.dir / "mos-cloud.log", 5), "fix the data dir and retry");

  pid_t mpid = start_server({mosquitto.string(), "-c", (p.dir / "mosquitto.conf").string()}, p.dir / "mosquitto.stderr.log");
  std::ofstream(p.mosq_pid) << mpid << "\n";
  pid_t cpid = start_server({server.string(), "serve", "--data-dir", p.dir.string(), "--http-port",
                             std::to_string(o.http_port), "--https-port", std::to_string(o.https_port),
                             "--mqtt-port", std::to_string(o.mqtt_port)},
                            p.dir / "mos-cloud.log");
  std::ofstream(p.cloud_pid) << cpid << "\n";
  std::ofstream(p.state) << "{\"http_port\": " << o.http_port << ", \"https_port\": " << o.https_port
                         << ", \"mqtt_port\": " << o.mqtt_port << ", \"plugin\": \"" << plugin.string() << "\"}\n";

  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  bool up = false;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!alive(mpid, "mosquitto") || !alive(cpid, "mos-cloud")) break;
    if (port_open(o.mqtt_port) && port_open(o.http_port) && (o.https_port == 0 || port_open(o.https_port))) {
      up = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (!up) {
    bool mosq_dead = !alive(mpid, "mosquitto");
    stop_pid(p.cloud_pid, "mos-cloud");
    stop_pid(p.mosq_pid, "mosquitto");
    throw UserError(std::string(mosq_dead ? "mosquitto" : "mos-cloud") + " did not start:\n" +
                        tail(mosq_dead ? p.dir / "mosquitto.log" : p.dir / "mos-cloud.log", 8) +
                        tail(p.dir / "mosquitto.stderr.log", 4),
                    "see the logs in " + p.dir.string());
  }
  std::printf("The local AWS IoT Core is up (data dir %s)\n", p.dir.c_str());
  std::printf("  AWS IoT API      http://127.0.0.1:%d   (aws --endpoint-url http://127.0.0.1:%d iot ...)\n",
              o.http_port, o.http_port);
  if (o.https_port != 0)
    std::printf("  ... over HTTPS   https://localhost:%d  (AWS_CA_BUNDLE=%s aws --endpoint-url "
                "https://localhost:%d iot ...)\n",
                o.https_port, shell_quote((p.dir / "ca.pem").string()).c_str(), o.https_port);
  std::printf("  MQTT over mTLS   localhost:%d          (DescribeEndpoint answers %s)\n", o.mqtt_port,
              o.mqtt_port == 8883 ? "localhost" : ("localhost:" + std::to_string(o.mqtt_port)).c_str());
  std::printf("  web console      %s\n", console_line(o.http_port).c_str());
  std::printf("  CA certificate   %s (also http://127.0.0.1:%d/ca.pem)\n", (p.dir / "ca.pem").c_str(), o.http_port);
  std::printf("  policy plugin    %s\n", plugin.empty() ? "NOT LOADED (no policy enforcement)" : plugin.c_str());
  std::printf("  logs             %s, %s\n", (p.dir / "mos-cloud.log").c_str(), (p.dir / "mosquitto.log").c_str());
  std::printf("Credentials for the AWS CLI and boto3 (the same log in to the web console):\n  %s\n",
              credentials_line().c_str());
  std::printf("Check it with `mos cloud status%s`, stop it with `mos cloud down%s`.\n", dd.c_str(), dd.c_str());
  mos::cli::record_cloud(p.dir.string());
}

// Client ids connected now, as the policy plugin recorded them from the
// broker's own connect/disconnect events (not parsed from mosquitto.log,
// where a client id can imitate a disconnect line).
std::vector<std::string> connected_clients(const fs::path& registry_db) {
  std::string err;
  std::vector<std::string> out;
  if (auto reg = mos::registry::Registry::open_read_only(registry_db.string(), err))
    for (const auto& c : reg->connected_clients()) out.push_back(c.client_id);
  return out;
}

bool cloud_running(const Paths& p) {
  return alive(read_pid(p.cloud_pid), "mos-cloud") || alive(read_pid(p.mosq_pid), "mosquitto");
}

// The data dir `status` and `down` act on: --data-dir, else .mos/cloud here,
// else the newest recorded cloud that runs, else the newest recorded one.
// *hint_arg gets the " --data-dir D" that reaches it again.
Paths resolve_data_dir(const CloudOptions& o, std::string* hint_arg) {
  *hint_arg = data_dir_arg(o);
  if (!o.data_dir.empty()) return Paths(o.data_dir);
  Paths here(kDefaultDataDir);
  std::error_code ec;
  if (fs::exists(here.state, ec)) return here;
  auto recorded = mos::cli::load_registry().clouds;
  const std::string* pick = nullptr;
  for (auto it = recorded.rbegin(); it != recorded.rend(); ++it) {
    if (!fs::exists(Paths(*it).state, ec)) continue;
    if (pick == nullptr) pick = &*it;
    if (cloud_running(Paths(*it))) {
      pick = &*it;
      break;
    }
  }
  if (pick == nullptr) {
    std::string where = here.dir.string();
    if (!mos::cli::registry_path().empty()) where += " nor recorded in " + mos::cli::registry_path();
    throw UserError("no local cloud found: none in " + where,
                    "start one with `mos cloud up` (or pass --data-dir DIR)");
  }
  *hint_arg = " --data-dir " + shell_quote(*pick);
  return Paths(*pick);
}

void cloud_status(const CloudOptions& o) {
  std::string dd;
  Paths p = resolve_data_dir(o, &dd);
  std::string state = read_file(p.state);
  if (state.empty())
    throw UserError("no local cloud in " + p.dir.string(), "start one with `mos cloud up" + dd + "`");
  int http = std::atoi(json_scalar(state, "http_port").c_str());
  int mqtt = std::atoi(json_scalar(state, "mqtt_port").c_str());
  std::string plugin = json_scalar(state, "plugin");
  pid_t cpid = read_pid(p.cloud_pid), mpid = read_pid(p.mosq_pid);
  bool c_up = alive(cpid, "mos-cloud"), m_up = alive(mpid, "mosquitto");
  std::printf("data dir         %s\n", p.dir.c_str());
  int https = std::atoi(json_scalar(state, "https_port").c_str());
  std::printf("mos-cloud        %s (pid %d)  http://127.0.0.1:%d", c_up ? "running" : "STOPPED", cpid, http);
  if (https > 0) std::printf("  https://localhost:%d", https);
  std::printf("\n");
  std::printf("mosquitto        %s (pid %d)  localhost:%d (mTLS)\n", m_up ? "running" : "STOPPED", mpid, mqtt);
  std::printf("policy plugin    %s\n", plugin.empty() ? "not loaded" : plugin.c_str());
  std::printf("CA certificate   %s\n", (p.dir / "ca.pem").c_str());
  if (c_up) std::printf("web console      %s\n", console_line(http).c_str());
  if (c_up) {
    std::string st = http_get(http, "/mos/status");
    std::printf("registry         %s certificates, %s things, %s policies (region %s, account %s)\n",
                json_scalar(st, "certificates").c_str(), json_scalar(st, "things").c_str(),
                json_scalar(st, "policies").c_str(), json_scalar(st, "region").c_str(),
                json_scalar(st, "account_id").c_str());
    std::printf("data plane       %s\n", json_scalar(st, "broker_connected") == "true" ? "connected to the broker" : "NOT connected to the broker");
  }
  auto clients = connected_clients(p.dir / "registry.db");
  std::vector<std::string> devices;
  for (const auto& c : clients)
    if (c != mos::cloud::kDataplaneClientId && c != mos::cloud::kConsoleClientId) devices.push_back(c);
  if (plugin.empty()) {
    std::printf("connected        unknown (the policy plugin records connections; it is not loaded)\n");
  } else {
    std::printf("connected        %zu client%s", devices.size(), devices.size() == 1 ? "" : "s");
    for (size_t i = 0; i < devices.size(); ++i) std::printf("%s%s", i ? ", " : ": ", devices[i].c_str());
    std::printf("\n");
  }
  std::printf("credentials      %s\n", credentials_line().c_str());
  if (!c_up || !m_up) throw UserError("the local cloud is not (fully) running", "restart it: mos cloud down" + dd + " && mos cloud up" + dd);
}

void cloud_down(const CloudOptions& o) {
  std::string dd;
  Paths p = resolve_data_dir(o, &dd);
  bool any = cloud_running(p);
  stop_pid(p.cloud_pid, "mos-cloud");
  stop_pid(p.mosq_pid, "mosquitto");
  std::printf(any ? "The local cloud in %s is stopped (its data is kept).\n" : "The local cloud in %s was not running.\n",
              p.dir.c_str());
}

}  // namespace

mos::cli::CloudDir mos::cli::find_cloud(const std::string& data_dir) {
  CloudOptions o;
  o.data_dir = data_dir;
  CloudDir out;
  Paths p = resolve_data_dir(o, &out.hint_arg);
  out.dir = p.dir.string();
  std::string state = read_file(p.state);
  out.no_plugin = !state.empty() && json_scalar(state, "plugin").empty();
  return out;
}

namespace {

mos::cli::Registration reg{"cloud", [](CLI::App& app) {
  auto opts = std::make_shared<CloudOptions>();
  auto* cloud = app.add_subcommand("cloud", "Run the local AWS IoT Core (mos-cloud + Mosquitto with the policy plugin)");
  cloud->require_subcommand(1);
  auto* up = cloud->add_subcommand("up", "Create the data dir if needed and start mos-cloud and Mosquitto");
  auto* status = cloud->add_subcommand("status", "Show endpoints, ports, running state and connected clients");
  auto* down = cloud->add_subcommand("down", "Stop mos-cloud and Mosquitto (the data dir is kept)");
  for (auto* sc : {up, status, down})
    sc->add_option("--data-dir", opts->data_dir,
                   "Data directory (CA, registry, logs); default .mos/cloud here, and for status/down "
                   "the newest cloud recorded in $XDG_STATE_HOME/mos/registry.json");
  up->add_option("--http-port", opts->http_port, "Port of the AWS IoT API (HTTP, 127.0.0.1)")->capture_default_str();
  up->add_option("--https-port", opts->https_port, "Port of the AWS IoT API over HTTPS (localhost; 0: none)")
      ->capture_default_str();
  up->add_option("--mqtt-port", opts->mqtt_port, "Port of the MQTT mTLS listener")->capture_default_str();
  up->add_option("--plugin", opts->plugin, "mos_policy_plugin.so to load (default: the one built next to mos)");
  up->add_flag("--no-plugin", opts->no_plugin, "Start the broker without the policy plugin");
  up->callback([opts] { cloud_up(*opts); });
  status->callback([opts] { cloud_status(*opts); });
  down->callback([opts] { cloud_down(*opts); });
}};

}  // namespace

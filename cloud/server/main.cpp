// mos-cloud: the local AWS IoT Core control plane (and HTTPS-style data-plane
// publish) on 127.0.0.1.
//   mos-cloud init  --data-dir D [--mqtt-port P] [--plugin SO]   CA, certs, registry, mosquitto.conf
//   mos-cloud serve --data-dir D [--http-port P] [--mqtt-port P]  the API server
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <thread>

#include "api.h"
#include "bridge.h"
#include "console.h"
#include "console_identity.h"
#include "http_server.h"
#include "mos/ca/ca.h"
#include "mos/cloud/broker_config.h"
#include "mos/cloud/service_clients.h"
#include "mos/registry/registry.h"
#include "publisher.h"

namespace fs = std::filesystem;
using mos::cloud::Api;

namespace {

std::string env_or(const char* name, const std::string& def) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : def;
}

bool write_text(const fs::path& p, const std::string& text, fs::perms perms) {
  fs::path tmp = p;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return false;
    out << text;
    if (!out) return false;
  }
  std::error_code ec;
  fs::permissions(tmp, perms, ec);
  fs::rename(tmp, p, ec);
  return !ec;
}

// A leaf certificate + key pair in the data dir, issued once by the CA.
bool ensure_leaf(mos::ca::Authority& ca, const fs::path& dir, const std::string& base,
                 const std::string& cn, bool server, std::string& error) {
  fs::path pem = dir / (base + ".pem"), key = dir / (base + ".key");
  if (fs::exists(pem) && fs::exists(key)) return true;
  auto r = ca.issue_with_key(cn, server ? std::vector<std::string>{"localhost"} : std::vector<std::string>{},
                             server ? std::vector<std::string>{"127.0.0.1"} : std::vector<std::string>{},
                             server, 3650);
  if (!r.ok() || !write_text(key, r.private_key_pem, fs::perms::owner_read | fs::perms::owner_write) ||
      !write_text(pem, r.cert.pem, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                                       fs::perms::others_read)) {
    error = "cannot create " + pem.string() + " (" + r.message + ")";
    return false;
  }
  return true;
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The web console's broker identity (cloud/console/README.md): console.pem
// and console.key issued once, registered ACTIVE with the policy
// mos-cloud-console the first time. Run by init and by serve, so a data dir
// from before the console gets it on either.
bool ensure_console_identity(mos::ca::Authority& ca, mos::registry::Registry& reg, const fs::path& dir,
                             std::string& error) {
  if (!ensure_leaf(ca, dir, "console", mos::cloud::kConsoleClientId, false, error)) return false;
  return mos::console::register_console_identity(reg, read_text(dir / "console.pem"), ca.ca_id(),
                                                 static_cast<int64_t>(std::time(nullptr)), error);
}

int cmd_init(const std::string& data_dir, int mqtt_port, const std::string& plugin) {
  std::error_code ec;
  fs::create_directories(fs::absolute(data_dir).parent_path(), ec);
  fs::path dir = fs::absolute(data_dir);
  std::string err;
  // 0700 before any secret is written into it (cloud/broker_config).
  if (!mos::cloud::secure_data_dir(dir, err)) {
    std::fprintf(stderr, "mos-cloud init: %s\n", err.c_str());
    return 1;
  }
  auto ca = mos::ca::Authority::open_or_create(dir.string(), err);
  if (!ca) {
    std::fprintf(stderr, "mos-cloud init: %s\n", err.c_str());
    return 1;
  }
  if (!ensure_leaf(*ca, dir, "server", "localhost", true, err) ||
      !ensure_leaf(*ca, dir, "dataplane", mos::cloud::kDataplaneClientId, false, err)) {
    std::fprintf(stderr, "mos-cloud init: %s\n", err.c_str());
    return 1;
  }
  auto reg = mos::registry::Registry::open((dir / "registry.db").string(), err);
  if (!reg || !ensure_console_identity(*ca, *reg, dir, err)) {
    std::fprintf(stderr, "mos-cloud init: %s\n", err.c_str());
    return 1;
  }
  std::string dataplane_id = mos::ca::certificate_id(read_text(dir / "dataplane.pem"));
  // mosquitto.conf (AWS IoT limits, TCP_NODELAY) and the data dir's modes: cloud/broker_config.
  if (!mos::cloud::write_broker_config({dir, mqtt_port, plugin, dataplane_id}, err)) {
    std::fprintf(stderr, "mos-cloud init: %s\n", err.c_str());
    return 1;
  }
  nlohmann::json out{{"data_dir", dir.string()},
                     {"ca", (dir / "ca.pem").string()},
                     {"ca_id", ca->ca_id()},
                     {"mosquitto_conf", (dir / "mosquitto.conf").string()},
                     {"dataplane_sha256", dataplane_id},
                     {"console_sha256", mos::ca::certificate_id(read_text(dir / "console.pem"))},
                     {"plugin", plugin}};
  std::printf("%s\n", out.dump(2).c_str());
  return 0;
}

mos::cloud::HttpServer* g_server = nullptr;

int cmd_serve(const std::string& data_dir, int http_port, int https_port, int mqtt_port,
              mos::cloud::Settings settings) {
  fs::path dir = fs::absolute(data_dir);
  std::string err;
  auto ca = mos::ca::Authority::open_or_create(dir.string(), err);
  if (!ca) {
    std::fprintf(stderr, "mos-cloud: %s (run `mos-cloud init --data-dir %s` first)\n", err.c_str(), dir.c_str());
    return 1;
  }
  auto reg = mos::registry::Registry::open((dir / "registry.db").string(), err, "123456789012", settings.region);
  if (!reg) {
    std::fprintf(stderr, "mos-cloud: %s\n", err.c_str());
    return 1;
  }
  settings.mqtt_port = mqtt_port;
  settings.region = reg->region();

  mos::cloud::PublisherConfig pc;
  pc.port = mqtt_port;
  pc.ca_file = (dir / "ca.pem").string();
  pc.cert_file = (dir / "dataplane.pem").string();
  pc.key_file = (dir / "dataplane.key").string();
  mos::cloud::Publisher publisher(pc);
  bool have_dataplane = fs::exists(pc.cert_file) && fs::exists(pc.key_file);
  if (have_dataplane && !publisher.start(err)) {
    std::fprintf(stderr, "mos-cloud: data plane disabled: %s\n", err.c_str());
    have_dataplane = false;
  }
  mos::cloud::PublishFn publish;
  if (have_dataplane)
    publish = [&](const std::string& t, const std::string& p, int q, bool r) { return publisher.publish(t, p, q, r); };
  Api api(settings, *reg, *ca, publish);

  // The web console (cloud/console): its own broker connection, checked by
  // the policy plugin like a device.
  if (!ensure_console_identity(*ca, *reg, dir, err))
    std::fprintf(stderr, "mos-cloud: the web console cannot reach the broker: %s\n", err.c_str());
  mos::cloud::MqttLinkConfig bc = pc;
  bc.cert_file = (dir / "console.pem").string();
  bc.key_file = (dir / "console.key").string();
  mos::console::ConsoleBridge bridge(bc);
  if (fs::exists(bc.cert_file) && !bridge.start(err))
    std::fprintf(stderr, "mos-cloud: the web console cannot reach the broker: %s\n", err.c_str());
  mos::console::ConsoleConfig cc;
  cc.access_key_id = settings.access_key_id;
  cc.secret_access_key = settings.secret_access_key;
  cc.ids = {mos::ca::certificate_id(read_text(dir / "dataplane.pem")),
            mos::ca::certificate_id(read_text(dir / "console.pem"))};
  // What the policy plugin refused (the registry's denials table).
  cc.denials = [&reg](const mos::console::DenialQuery& q) { return reg->denials(q); };
  mos::console::Console console(cc, *reg, bridge);
  console.start();

  mos::cloud::HttpLimits limits;
  limits.max_body = settings.max_body;
  // /console... goes to the web console; every other path to the API (which
  // answers unknown ones AWS-style), except the unsigned /mos/status probe of
  // `mos cloud status`.
  auto handler = [&](mos::sigv4::Request& req) {
    auto t0 = std::chrono::steady_clock::now();
    mos::cloud::Response r;
    bool to_console = mos::console::Console::owns(req.target);
    if (to_console) {
      r = console.handle(req);
    } else if (req.method == "GET" && req.target == "/mos/status") {
      r.body = nlohmann::json{{"http_port", http_port}, {"mqtt_port", mqtt_port},
                              {"region", reg->region()}, {"account_id", reg->account_id()},
                              {"broker_connected", have_dataplane && publisher.connected()},
                              {"clients_connected", have_dataplane ? publisher.clients_connected() : -1},
                              {"certificates", reg->certificates(true).size()},
                              {"things", reg->things().size()}, {"policies", reg->policies(true).size()}}.dump();
    } else {
      r = api.handle(req, static_cast<int64_t>(std::time(nullptr)));
    }
    if (!to_console)
      r.headers["x-amzn-RequestId"] = std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    auto et = r.headers.find("x-amzn-ErrorType");
    std::printf("%s %s -> %d %s(%.1f ms)\n", req.method.c_str(), req.target.substr(0, 200).c_str(), r.status,
                et == r.headers.end() ? "" : (et->second + " ").c_str(), ms);
    std::fflush(stdout);
    return r;
  };
  auto log = [](const std::string& line) {
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
  };
  // WebSocket upgrades: only the console's live channel (the console answers
  // 404 for any other path).
  auto upgrade = [&](const mos::sigv4::Request& req, std::shared_ptr<mos::cloud::LiveChannel> ch,
                     mos::cloud::Response& reject) {
    auto h = console.upgrade(req, std::move(ch), reject);
    std::printf("GET %s (WebSocket) -> %s\n", req.target.substr(0, 200).c_str(),
                h ? "101" : std::to_string(reject.status).c_str());
    std::fflush(stdout);
    return h;
  };
  mos::cloud::HttpServer srv(limits, handler, log, upgrade);
  g_server = &srv;

  // SIGTERM/SIGINT stop the server cleanly (mos cloud down sends SIGTERM).
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread waiter([set]() mutable {
    int sig = 0;
    sigwait(&set, &sig);
    if (g_server) g_server->stop();
  });
  waiter.detach();

  if (http_port < 1 || http_port > 65535 || !srv.listen("127.0.0.1", static_cast<uint16_t>(http_port), err)) {
    std::fprintf(stderr, "mos-cloud: cannot listen on 127.0.0.1:%d: %s (in use? pick another with --http-port)\n",
                 http_port, err.c_str());
    return 1;
  }
  // HTTPS like AWS's endpoints: the broker's server certificate (local CA,
  // names localhost and 127.0.0.1: what DescribeEndpoint answers), so the
  // AWS CLI verifies it with AWS_CA_BUNDLE=ca.pem as it verifies AWS.
  if (https_port != 0) {
    mos::cloud::TlsFiles tls{(dir / "server.pem").string(), (dir / "server.key").string()};
    if (https_port < 1 || https_port > 65535 || !srv.listen("127.0.0.1", static_cast<uint16_t>(https_port), err, &tls)) {
      std::fprintf(stderr, "mos-cloud: cannot serve HTTPS on 127.0.0.1:%d: %s (in use? pick another with --https-port, "
                   "or 0 for none)\n", https_port, err.c_str());
      return 1;
    }
  }
  std::printf("mos-cloud: AWS IoT API on http://127.0.0.1:%d", http_port);
  if (https_port != 0) std::printf(" and https://localhost:%d", https_port);
  std::printf(" (region %s, account %s), MQTT data plane localhost:%d\n", reg->region().c_str(),
              reg->account_id().c_str(), mqtt_port);
  std::printf("mos-cloud: web console on http://127.0.0.1:%d/console/", http_port);
  if (https_port != 0) std::printf(" and https://localhost:%d/console/", https_port);
  std::printf("\n");
  std::fflush(stdout);
  srv.run();
  console.stop();
  std::printf("mos-cloud: stopped\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"mos-cloud: a local AWS IoT Core (control plane API, CA, registry)", "mos-cloud"};
  app.require_subcommand(1);
  std::string data_dir = ".mos/cloud", plugin;
  int http_port = 4567, https_port = 0, mqtt_port = 8883;
  mos::cloud::Settings settings;
  settings.access_key_id = env_or("MOS_CLOUD_ACCESS_KEY_ID", settings.access_key_id);
  settings.secret_access_key = env_or("MOS_CLOUD_SECRET_ACCESS_KEY", settings.secret_access_key);
  settings.region = env_or("MOS_CLOUD_REGION", settings.region);

  auto* init = app.add_subcommand("init", "Create the data dir: CA, broker and dataplane certificates, registry, mosquitto.conf");
  init->add_option("--data-dir", data_dir, "Data directory")->capture_default_str();
  init->add_option("--mqtt-port", mqtt_port, "MQTT TLS port for mosquitto.conf")->capture_default_str();
  init->add_option("--plugin", plugin, "Path of mos_policy_plugin.so (omit: broker without policy enforcement)");

  auto* serve = app.add_subcommand("serve", "Serve the AWS IoT API on 127.0.0.1");
  serve->add_option("--data-dir", data_dir, "Data directory")->capture_default_str();
  serve->add_option("--http-port", http_port, "HTTP port of the API")->capture_default_str();
  serve->add_option("--https-port", https_port, "HTTPS port of the API (0: none)")->capture_default_str();
  serve->add_option("--mqtt-port", mqtt_port, "MQTT TLS port of the broker")->capture_default_str();
  serve->add_option("--access-key-id", settings.access_key_id, "Accepted access key id (env MOS_CLOUD_ACCESS_KEY_ID)")->capture_default_str();
  serve->add_option("--secret-access-key", settings.secret_access_key, "Its secret (env MOS_CLOUD_SECRET_ACCESS_KEY)");
  serve->add_option("--region", settings.region, "Region in ARNs and SigV4 scopes (env MOS_CLOUD_REGION)")->capture_default_str();
  serve->add_option("--max-body", settings.max_body, "Largest request body in bytes")->capture_default_str();

  CLI11_PARSE(app, argc, argv);
  if (*init) return cmd_init(data_dir, mqtt_port, plugin);
  return cmd_serve(data_dir, http_port, https_port, mqtt_port, settings);
}

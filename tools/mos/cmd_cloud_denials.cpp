// `mos cloud denials`: why the local cloud refused a client. The policy
// plugin records every refusal (CONNECT, PUBLISH, SUBSCRIBE, delivery) in the
// registry's denials table, the newest 1000 (cloud/registry/schema.sql); this
// reads them, read-only, and prints one line each, oldest first like a log.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli.h"
#include "cloud_dir.h"
#include "mos/registry/registry.h"
#include "terminal_text.h"

namespace fs = std::filesystem;
using mos::cli::UserError;
using mos::registry::Denial;
using mos::registry::DenialQuery;
using mos::registry::Registry;

namespace {

struct DenialsOptions {
  std::string data_dir, client_id, certificate_id;
  size_t limit = 20;
  bool json = false;
  bool follow = false;
};

// How often --follow looks for new rows (the plugin writes them at once).
constexpr auto kFollowInterval = std::chrono::milliseconds(500);
// Hex digits of a certificate id shown: enough to tell certificates apart
// and to paste into --certificate-id (which takes 6 or more).
constexpr size_t kShortCertificateId = 12;

std::string local_time(int64_t at_ms) {
  time_t secs = static_cast<time_t>(at_ms / 1000);
  struct tm tm {};
  localtime_r(&secs, &tm);
  char buf[40];
  size_t n = strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03d", static_cast<int>(at_ms % 1000));
  return buf;
}

std::string pad(std::string s, size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

// One denial per line; every field from the client is escaped (printable()),
// so a client id cannot start a new line or drive the terminal.
void print_line(const Denial& d) {
  std::string cert = d.certificate_id.empty() ? "-" : d.certificate_id.substr(0, kShortCertificateId);
  std::string line = local_time(d.at_ms) + "  DENY " + pad(mos::cli::printable(d.action), 13) + "  client=" +
                     pad(mos::cli::printable(d.client_id), 16) + "  cert=" +
                     pad(mos::cli::printable(cert), kShortCertificateId) +
                     "  resource=" + mos::cli::printable(d.resource) + "  reason: " + mos::cli::printable(d.reason);
  std::printf("%s\n", line.c_str());
}

// JSON Lines, the fields named as the web console's /console/api/denials
// names them. ASCII only (\u escapes) and bytes that are not UTF-8 replaced:
// valid JSON that is safe on a terminal too.
void print_json(const Denial& d) {
  nlohmann::json j = {{"id", d.id},
                      {"time", d.at_ms},
                      {"clientId", d.client_id},
                      {"certificateId", d.certificate_id},
                      {"action", d.action},
                      {"resource", d.resource},
                      {"reason", d.reason}};
  std::printf("%s\n", j.dump(-1, ' ', true, nlohmann::json::error_handler_t::replace).c_str());
}

std::vector<Denial> read_denials(Registry& reg, const DenialQuery& q, const mos::cli::CloudDir& cloud) {
  auto rows = reg.denials(q);
  std::string err = reg.last_error();
  if (err.find("no such table: denials") != std::string::npos)
    throw UserError("the registry in " + cloud.dir + " has no denials table yet (it was made by an older mos-cloud)",
                    "restart the cloud to add it: mos cloud down" + cloud.hint_arg + " && mos cloud up" +
                        cloud.hint_arg);
  if (!err.empty())
    throw UserError("cannot read the denials in " + (fs::path(cloud.dir) / "registry.db").string() + ": " + err,
                    "check the cloud with: mos cloud status" + cloud.hint_arg);
  return rows;
}

std::string filter_text(const DenialsOptions& o) {
  std::string f;
  if (!o.client_id.empty()) f += " for client id " + mos::cli::printable(o.client_id);
  if (!o.certificate_id.empty())
    f += std::string(f.empty() ? " for" : " and") + " certificate " + mos::cli::printable(o.certificate_id);
  return f;
}

void cloud_denials(const DenialsOptions& o) {
  const mos::cli::CloudDir cloud = mos::cli::find_cloud(o.data_dir);
  const fs::path db = fs::path(cloud.dir) / "registry.db";
  std::error_code ec;
  if (!fs::exists(db, ec))
    throw UserError("no local cloud in " + cloud.dir + " (it has no registry.db)",
                    "start one: mos cloud up" + cloud.hint_arg);
  std::string err;
  auto reg = Registry::open_read_only(db.string(), err);
  if (!reg) throw UserError("cannot read the cloud's registry: " + err, "check the cloud with: mos cloud status" + cloud.hint_arg);

  DenialQuery q;
  q.client_id = o.client_id;
  q.certificate_id = o.certificate_id;
  q.limit = o.limit;
  auto print = [&](const std::vector<Denial>& newest_first) {
    for (auto it = newest_first.rbegin(); it != newest_first.rend(); ++it) {
      o.json ? print_json(*it) : print_line(*it);
      q.after_id = std::max(q.after_id, it->id);
    }
    std::fflush(stdout);
  };
  auto rows = read_denials(*reg, q, cloud);
  if (rows.empty()) {
    // In --json mode stdout carries JSON only.
    FILE* out = o.json ? stderr : stdout;
    std::fprintf(out, "No denials recorded%s (the cloud records the last %zu).\n", filter_text(o).c_str(),
                 mos::registry::kDenialsKept);
    if (cloud.no_plugin)
      std::fprintf(out, "Its broker runs without the policy plugin, which decides and records them: mos cloud down%s "
                   "&& mos cloud up%s\n", cloud.hint_arg.c_str(), cloud.hint_arg.c_str());
    if (o.follow) std::fprintf(out, "Waiting for new ones (Ctrl-C to stop)...\n");
    std::fflush(out);
  }
  print(rows);
  if (!o.follow) return;
  q.limit = 0;  // every new one
  for (;;) {
    std::this_thread::sleep_for(kFollowInterval);
    print(read_denials(*reg, q, cloud));
  }
}

mos::cli::Registration reg{"cloud denials", [](CLI::App& app) {
  auto* cloud = app.get_subcommand("cloud");  // registered by cmd_cloud.cpp ("cloud" sorts first)
  auto opts = std::make_shared<DenialsOptions>();
  auto* sc = cloud->add_subcommand(
      "denials", "Show why the local cloud refused clients: the policy plugin's last 1000 denials, oldest first");
  sc->add_option("--client-id", opts->client_id, "Only this MQTT client id (exact)");
  sc->add_option("--certificate-id", opts->certificate_id,
                 "Only this certificate: its id, 6 or more of its first hex digits, or its ARN");
  sc->add_option("--limit", opts->limit, "Show the newest N")
      ->check(CLI::Range(size_t{1}, mos::registry::kDenialsKept))
      ->capture_default_str();
  sc->add_flag("--json", opts->json, "One JSON object per line (id, time in unix ms, clientId, certificateId, action, resource, reason)");
  sc->add_flag("--follow,-f", opts->follow, "Keep printing new denials as they happen, until Ctrl-C");
  sc->add_option("--data-dir", opts->data_dir,
                 "Data directory of the cloud; default .mos/cloud here, else the newest cloud recorded in "
                 "$XDG_STATE_HOME/mos/registry.json");
  sc->callback([opts] { cloud_denials(*opts); });
}};

}  // namespace

#include "console.h"

#include <ctime>

#include "assets.h"
#include "console_session.h"
#include "request_checks.h"
#include "routes.h"

namespace mos::console {
namespace {

using cloud::Response;

// Headers on every console response (README "Static"): the page may load
// and connect only to this server, never be framed, and the browser must not
// guess content types or leak URLs in Referer.
void secure(Response& r, bool api) {
  r.headers["Content-Security-Policy"] =
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
      "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
  r.headers["X-Content-Type-Options"] = "nosniff";
  r.headers["Referrer-Policy"] = "no-referrer";
  r.headers["Cache-Control"] = api ? "no-store" : "no-cache";
}

Response json_reply(int status, const nlohmann::json& body) {
  Response r;
  r.status = status;
  r.body = to_text(body);
  r.headers["Content-Type"] = "application/json";
  return r;
}

Response message(int status, const std::string& text) { return json_reply(status, {{"message", text}}); }

const char kLogInFirst[] = "Log in first.";
const char kNeedHeader[] =
    "This request needs the header X-Mos-Console: 1 (the console's page sends it; a form on another site "
    "cannot).";
const char kWrongOrigin[] = "This request came from a page of another site (its Origin is not this server); "
                            "open the console at /console/ on this server.";

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// Matches `route` against prefix + "{id}/" + suffix (e.g. "certificates/" +
// "{id}/" + "status") and sets `id` to the one non-empty segment between.
bool match_id_route(std::string_view route, std::string_view prefix, std::string& id, std::string_view suffix) {
  if (!starts_with(route, prefix)) return false;
  std::string_view rest = route.substr(prefix.size());
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos || slash == 0 || rest.substr(slash + 1) != suffix) return false;
  id = std::string(rest.substr(0, slash));
  return true;
}

}  // namespace

Console::Console(ConsoleConfig cfg, registry::Registry& reg, Broker& broker, std::function<int64_t()> now_s)
    : cfg_(std::move(cfg)),
      reg_(reg),
      broker_(broker),
      now_s_(now_s ? std::move(now_s) : [] { return static_cast<int64_t>(std::time(nullptr)); }),
      watcher_(LiveWatcher::Sources{&reg, cfg_.ids, cfg_.denials, [this](uint64_t id) { return logins_.alive(id); }},
               cfg_.poll_interval) {}

Console::~Console() { stop(); }

void Console::start() { watcher_.start(); }
void Console::stop() { watcher_.stop(); }

bool Console::owns(std::string_view target) {
  if (!starts_with(target, "/console")) return false;
  return target.size() == 8 || target[8] == '/' || target[8] == '?';
}

nlohmann::json Console::who() const {
  return {{"accessKeyId", cfg_.access_key_id}, {"region", reg_.region()}, {"accountId", reg_.account_id()}};
}

std::optional<uint64_t> Console::logged_in(const sigv4::Request& req) {
  for (std::string_view token : cookie_values(req, kCookieName))
    if (auto id = logins_.find(token)) return id;
  return std::nullopt;
}

Response Console::handle(const sigv4::Request& req) {
  std::string_view target = req.target;
  size_t q = target.find('?');
  std::string_view path = target.substr(0, q);
  std::string_view query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  bool is_api = starts_with(path, "/console/api/") || path == "/console/api";
  Response r;
  if (path == "/console") {
    r.status = 301;
    r.headers["Location"] = "/console/";
    r.headers["Content-Type"] = "text/plain; charset=utf-8";
    r.body = "The console is at /console/\n";
  } else if (is_api) {
    r = api(req, path.size() > 13 ? path.substr(13) : std::string_view(), query);
  } else if (req.method != "GET" && req.method != "HEAD") {
    r = message(405, "The console's pages are read with GET.");
    r.headers["Allow"] = "GET, HEAD";
  } else {
    std::string_view name = path.substr(9);  // after "/console/"
    if (name.empty()) name = "index.html";
    if (const Asset* a = find_asset(name)) {
      r.headers["Content-Type"] = a->content_type;
      if (req.method == "GET") r.body.assign(reinterpret_cast<const char*>(a->data), a->size);
    } else {
      r = message(404, "The console has no file " + std::string(path.substr(0, 200)) + "; it starts at /console/.");
    }
  }
  secure(r, is_api);
  return r;
}

Response Console::api(const sigv4::Request& req, std::string_view route, std::string_view query) {
  const bool post = req.method == "POST";
  // Before anything a POST could change: a forged cross-site request has
  // neither the header nor our Origin.
  auto forged = [&]() -> std::optional<Response> {
    if (!has_console_header(req)) return message(403, kNeedHeader);
    if (check_origin(req) == OriginCheck::kOther) return message(403, kWrongOrigin);
    return std::nullopt;
  };
  if (route == "login" || route == "logout") {
    if (!post) return message(405, "Use POST /console/api/" + std::string(route) + ".");
    if (auto f = forged()) return *f;
    return route == "login" ? login(req) : logout(req);
  }
  if (route == "session") return req.method == "GET" ? session(req) : message(405, "Use GET /console/api/session.");

  // Everything else needs a login first, and says nothing else before it.
  if (!logged_in(req)) return message(401, kLogInFirst);
  if (post)
    if (auto f = forged()) return *f;
  std::string id;
  if (route == "things" || route == "certificates" || route == "policies" || route == "connections" ||
      route == "denials" || route == "live") {
    if (req.method != "GET") {
      Response r = message(405, "/console/api/" + std::string(route) + " is read with GET.");
      r.headers["Allow"] = "GET";
      return r;
    }
    if (route == "things") {
      nlohmann::json a = nlohmann::json::array();
      for (const auto& t : reg_.things()) a.push_back(thing_view(reg_, t));
      return json_reply(200, {{"things", a}});
    }
    if (route == "certificates") {
      nlohmann::json a = nlohmann::json::array();
      for (const auto& c : reg_.certificates(true)) a.push_back(certificate_view(reg_, c));
      return json_reply(200, {{"certificates", a}});
    }
    if (route == "policies") {
      nlohmann::json a = nlohmann::json::array();
      for (const auto& p : reg_.policies(true)) a.push_back(policy_view(reg_, p));
      return json_reply(200, {{"policies", a}});
    }
    if (route == "connections") return json_reply(200, {{"connections", connections_view(reg_.connected_clients(), cfg_.ids)}});
    if (route == "denials") return denials(query);
    // A plain GET of the live channel (no Upgrade: websocket header).
    Response r = message(426, "The live channel is a WebSocket: connect with new WebSocket(\"ws://HOST/console/api/live\").");
    r.headers["Upgrade"] = "websocket";
    return r;
  }
  if (match_id_route(route, "certificates/", id, "status")) {
    if (!post) {
      Response r = message(405, "Change a certificate's status with POST /console/api/certificates/{id}/status.");
      r.headers["Allow"] = "POST";
      return r;
    }
    return set_status(id, req.body);
  }
  return message(404, "The console API has no /console/api/" + std::string(route.substr(0, 200)) + ".");
}

Response Console::login(const sigv4::Request& req) {
  // The two credentials are short; a larger body is not a login.
  constexpr size_t kMaxLoginBody = 4096;
  if (req.body.size() > kMaxLoginBody)
    return message(413, "The login request is " + std::to_string(req.body.size()) + " bytes; a login is at most " +
                            std::to_string(kMaxLoginBody) + " bytes of JSON {\"accessKeyId\",\"secretAccessKey\"}.");
  nlohmann::json body = nlohmann::json::parse(req.body, nullptr, false);
  auto field = [&](const char* name) -> const std::string* {
    if (!body.is_object()) return nullptr;
    auto it = body.find(name);
    return it != body.end() && it->is_string() ? &it->get_ref<const std::string&>() : nullptr;
  };
  const std::string* key = field("accessKeyId");
  const std::string* secret = field("secretAccessKey");
  if (!key || !secret)
    return message(400, "The login needs JSON {\"accessKeyId\": \"...\", \"secretAccessKey\": \"...\"}.");
  // No delay on a wrong login: it would hold one of the HTTP workers, and the
  // same secret can be tried just as fast through SigV4 on the AWS API.
  if (!credentials_match(*key, *secret, cfg_.access_key_id, cfg_.secret_access_key))
    return message(401, "Wrong access key ID or secret access key. Use the local cloud's credentials (mos cloud "
                        "status prints them).");
  // A new token every time; one the browser still carried is ended, so a
  // token is never reused across logins.
  for (std::string_view old : cookie_values(req, kCookieName)) logins_.drop(old);
  std::string token = logins_.create();
  Response r = json_reply(200, who());
  r.headers["Set-Cookie"] = session_cookie(token, req.over_tls);
  return r;
}

Response Console::logout(const sigv4::Request& req) {
  for (std::string_view token : cookie_values(req, kCookieName)) logins_.drop(token);
  Response r = json_reply(200, nlohmann::json::object());
  r.headers["Set-Cookie"] = cleared_cookie(req.over_tls);
  return r;
}

Response Console::session(const sigv4::Request& req) {
  if (!logged_in(req)) return message(401, kLogInFirst);
  return json_reply(200, who());
}

Response Console::set_status(const std::string& id, const std::string& body) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object() || !j.contains("status") || !j["status"].is_string())
    return message(400, "Send JSON {\"status\": \"ACTIVE\" | \"INACTIVE\" | \"REVOKED\"}.");
  // UpdateCertificate's rules and messages (cloud/server/routes_certificates.cpp).
  if (auto e = cloud::update_certificate_status(reg_, id, j["status"].get<std::string>(), now_s_())) return *e;
  auto cert = reg_.certificate(cloud::lower(id));
  if (!cert) return message(404, "The certificate " + id + " does not exist.");
  return json_reply(200, certificate_view(reg_, *cert));
}

Response Console::denials(std::string_view query) {
  if (!cfg_.denials)
    return message(501, "This console has no denials to read; the broker log (mosquitto.log in the data dir) has "
                        "them as `mos-policy: DENY` lines.");
  auto params = sigv4::parse_query(query);
  if (!params) return message(400, "The query string has a malformed percent-escape.");
  DenialQuery q;
  for (const auto& p : *params) {
    if (p.name == "clientId") {
      q.client_id = p.value;
    } else if (p.name == "certificateId") {
      q.certificate_id = p.value;
    } else if (p.name == "limit") {
      if (p.value.empty() || p.value.size() > 4 || p.value.find_first_not_of("0123456789") != std::string::npos ||
          std::stoul(p.value) < 1 || std::stoul(p.value) > 1000)
        return message(400, "limit must be a number from 1 to 1000.");
      q.limit = std::stoul(p.value);
    }
  }
  nlohmann::json a = nlohmann::json::array();
  for (const auto& d : cfg_.denials(q)) a.push_back(denial_view(d));
  return json_reply(200, {{"denials", a}});
}

std::shared_ptr<cloud::LiveHandler> Console::upgrade(const sigv4::Request& req,
                                                     std::shared_ptr<cloud::LiveChannel> channel,
                                                     cloud::Response& reject) {
  std::string_view target = req.target;
  std::string_view path = target.substr(0, target.find('?'));
  if (path != "/console/api/live") {
    reject = message(404, "No live channel at " + std::string(path.substr(0, 200)) + "; the console's is /console/api/live.");
  } else if (auto login = logged_in(req); !login) {
    reject = message(401, kLogInFirst);
  } else if (check_origin(req) != OriginCheck::kSame) {
    // Browsers always send Origin on a WebSocket handshake (RFC 6455 §4.1);
    // cookies go along cross-site too, so this is what keeps another site's
    // page out of the live channel.
    reject = message(403, kWrongOrigin);
  } else {
    auto tab = std::make_shared<ConsoleSession>(std::move(channel), broker_, *login);
    watcher_.add(tab);
    return tab;
  }
  secure(reject, true);
  return nullptr;
}

}  // namespace mos::console

// The console's HTTP side in-process (Console::handle and Console::upgrade
// over a real registry): static files and their headers, login, the cookie,
// CSRF and Origin rules on every route, session fixation, the REST objects,
// and a certificate status change under UpdateCertificate's rules.
#include "console.h"

#include <gtest/gtest.h>

#include "fake_broker.h"
#include "fake_live_channel.h"
#include "temp_registry.h"

using namespace mos::console;
using mos::cloud::Response;
using mos::sigv4::Request;

namespace {

constexpr char kHost[] = "127.0.0.1:4567";
constexpr char kOrigin[] = "http://127.0.0.1:4567";

class ConsoleHttpTest : public ::testing::Test {
 protected:
  test::TempRegistry tr;
  test::FakeBroker broker;
  std::vector<Denial> recorded{{7, 1700000000500, "dev1", std::string(64, 'a'), "iot:Connect", "client/dev1",
                                "no statement allows"}};
  DenialQuery last_query;
  Console console{ConsoleConfig{"AKIDMOSLOCAL", "mos-local-secret", {}, [this](const DenialQuery& q) {
                                  last_query = q;
                                  return recorded;
                                }},
                  *tr.reg, broker, [] { return int64_t{1700000200}; }};

  static Request make(const std::string& method, const std::string& target, const std::string& body = "",
                      std::vector<mos::sigv4::Header> headers = {}) {
    Request r;
    r.method = method;
    r.target = target;
    r.body = body;
    r.headers = {{"Host", kHost}};
    for (auto& h : headers) r.headers.push_back(h);
    return r;
  }
  // A POST as the console's page sends it.
  static Request page_post(const std::string& target, const std::string& body, const std::string& cookie = "") {
    std::vector<mos::sigv4::Header> h = {{"X-Mos-Console", "1"}, {"Origin", kOrigin},
                                         {"Content-Type", "application/json"}};
    if (!cookie.empty()) h.push_back({"Cookie", "mos_console=" + cookie});
    return make("POST", target, body, h);
  }
  std::string login() {
    Response r = console.handle(page_post("/console/api/login",
                                          R"({"accessKeyId":"AKIDMOSLOCAL","secretAccessKey":"mos-local-secret"})"));
    EXPECT_EQ(r.status, 200) << r.body;
    std::string c = r.headers["Set-Cookie"];
    std::string token = c.substr(std::string("mos_console=").size(), 64);
    return token;
  }
  Response get(const std::string& target, const std::string& cookie) {
    return console.handle(make("GET", target, "", {{"Cookie", "mos_console=" + cookie}}));
  }
  static std::string message(const Response& r) { return json::parse(r.body).value("message", ""); }
};

void expect_console_headers(Response& r, bool api) {
  EXPECT_EQ(r.headers["Content-Security-Policy"],
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
            "frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
  EXPECT_EQ(r.headers["X-Content-Type-Options"], "nosniff");
  EXPECT_EQ(r.headers["Referrer-Policy"], "no-referrer");
  if (api) {
    EXPECT_EQ(r.headers["Cache-Control"], "no-store");
  }
}

TEST_F(ConsoleHttpTest, OwnsOnlyTheConsolePaths) {
  EXPECT_TRUE(Console::owns("/console"));
  EXPECT_TRUE(Console::owns("/console/"));
  EXPECT_TRUE(Console::owns("/console?x=1"));
  EXPECT_TRUE(Console::owns("/console/api/things"));
  EXPECT_FALSE(Console::owns("/consoles"));
  EXPECT_FALSE(Console::owns("/things"));
  EXPECT_FALSE(Console::owns("/"));
}

TEST_F(ConsoleHttpTest, StaticPageWithoutLogin) {
  Response r = console.handle(make("GET", "/console"));
  EXPECT_EQ(r.status, 301);
  EXPECT_EQ(r.headers["Location"], "/console/");
  expect_console_headers(r, false);
  r = console.handle(make("GET", "/console/"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["Content-Type"], "text/html; charset=utf-8");
  EXPECT_NE(r.body.find("<html"), std::string::npos);
  expect_console_headers(r, false);
  Response same = console.handle(make("GET", "/console/index.html"));
  EXPECT_EQ(same.body, r.body);
  for (const char* bad : {"/console/nope.js", "/console/../registry.db", "/console//index.html", "/console/web/index.html"}) {
    r = console.handle(make("GET", bad));
    EXPECT_EQ(r.status, 404) << bad;
    expect_console_headers(r, false);
  }
  EXPECT_EQ(console.handle(make("POST", "/console/")).status, 405);
}

TEST_F(ConsoleHttpTest, EveryApiRouteNeedsTheCookie) {
  for (const char* path : {"/console/api/things", "/console/api/certificates", "/console/api/policies",
                           "/console/api/connections", "/console/api/denials", "/console/api/live",
                           "/console/api/unknown", "/console/api", "/console/api/"}) {
    for (const auto& cookie : std::vector<std::string>{"", "mos_console=" + std::string(64, 'a'), "mos_console=junk"}) {
      std::vector<mos::sigv4::Header> h;
      if (!cookie.empty()) h.push_back({"Cookie", cookie});
      Response r = console.handle(make("GET", path, "", h));
      EXPECT_EQ(r.status, 401) << path << " " << cookie;
      EXPECT_EQ(message(r), "Log in first.");
      expect_console_headers(r, true);
    }
  }
  Response r = console.handle(page_post("/console/api/certificates/" + std::string(64, 'a') + "/status",
                                        R"({"status":"REVOKED"})"));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(console.handle(make("GET", "/console/api/session")).status, 401);
}

TEST_F(ConsoleHttpTest, LoginSetsAStrictHttpOnlyCookie) {
  Response r = console.handle(
      page_post("/console/api/login", R"({"accessKeyId":"AKIDMOSLOCAL","secretAccessKey":"mos-local-secret"})"));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body), (json{{"accessKeyId", "AKIDMOSLOCAL"}, {"region", "us-east-1"}, {"accountId", "123456789012"}}));
  std::string c = r.headers["Set-Cookie"];
  ASSERT_EQ(c.rfind("mos_console=", 0), 0u);
  std::string token = c.substr(12, 64);
  EXPECT_EQ(token.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(c.substr(76), "; Path=/console; HttpOnly; SameSite=Strict");
  expect_console_headers(r, true);

  Request tls = page_post("/console/api/login", R"({"accessKeyId":"AKIDMOSLOCAL","secretAccessKey":"mos-local-secret"})");
  tls.over_tls = true;
  tls.headers[2] = {"Origin", "https://127.0.0.1:4567"};
  r = console.handle(tls);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.headers["Set-Cookie"].find("; Secure"), std::string::npos);

  r = get("/console/api/session", token);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body)["accessKeyId"], "AKIDMOSLOCAL");
}

TEST_F(ConsoleHttpTest, WrongLoginsAndJunk) {
  for (const char* body : {R"({"accessKeyId":"AKIDMOSLOCAL","secretAccessKey":"wrong"})",
                           R"({"accessKeyId":"AKIDOTHER","secretAccessKey":"mos-local-secret"})",
                           R"({"accessKeyId":"","secretAccessKey":""})"}) {
    Response r = console.handle(page_post("/console/api/login", body));
    EXPECT_EQ(r.status, 401) << body;
    EXPECT_EQ(message(r), "Wrong access key ID or secret access key. Use the local cloud's credentials (mos cloud "
                          "status prints them).");
    EXPECT_EQ(r.headers.count("Set-Cookie"), 0u);
  }
  for (const char* body : {"", "junk", "[]", R"({"accessKeyId":1,"secretAccessKey":"x"})", R"({"accessKeyId":"a"})"}) {
    Response r = console.handle(page_post("/console/api/login", body));
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_EQ(r.headers.count("Set-Cookie"), 0u);
  }
  std::string junk(64 * 1024, '\0');
  for (size_t i = 0; i < junk.size(); ++i) junk[i] = static_cast<char>((i * 131) & 0xff);
  Response r = console.handle(page_post("/console/api/login", junk));
  EXPECT_EQ(r.status, 413);
  EXPECT_NE(message(r).find("65536 bytes"), std::string::npos);
  EXPECT_EQ(console.logins().size(), 0u);
}

TEST_F(ConsoleHttpTest, PostsNeedTheHeaderAndOurOrigin) {
  std::string token = login();
  const std::string body = R"({"status":"INACTIVE"})";
  auto c1 = tr.add_cert(1);
  const std::string target = "/console/api/certificates/" + c1.id + "/status";
  // No X-Mos-Console (what a cross-site form sends): 403, nothing changed.
  Response r = console.handle(make("POST", target, body, {{"Cookie", "mos_console=" + token}, {"Origin", kOrigin}}));
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(message(r).find("X-Mos-Console: 1"), std::string::npos);
  // Another site's Origin: 403.
  r = console.handle(make("POST", target, body,
                          {{"Cookie", "mos_console=" + token}, {"X-Mos-Console", "1"}, {"Origin", "http://evil.example"}}));
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(tr.reg->certificate(c1.id)->status, "ACTIVE");
  // Login and logout too.
  r = console.handle(make("POST", "/console/api/login", R"({"accessKeyId":"AKIDMOSLOCAL","secretAccessKey":"mos-local-secret"})"));
  EXPECT_EQ(r.status, 403);
  r = console.handle(make("POST", "/console/api/logout", "", {{"Cookie", "mos_console=" + token}}));
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(get("/console/api/session", token).status, 200);  // still logged in
}

TEST_F(ConsoleHttpTest, NoSessionFixation) {
  // A token the client made up is never accepted, not even after a login
  // that carried it: the login makes its own.
  std::string planted(64, 'b');
  Response r = console.handle(page_post("/console/api/login",
                                        R"({"accessKeyId":"AKIDMOSLOCAL","secretAccessKey":"mos-local-secret"})",
                                        planted));
  ASSERT_EQ(r.status, 200);
  std::string issued = r.headers["Set-Cookie"].substr(12, 64);
  EXPECT_NE(issued, planted);
  EXPECT_EQ(get("/console/api/session", planted).status, 401);
  EXPECT_EQ(get("/console/api/things", planted).status, 401);
  EXPECT_EQ(get("/console/api/things", issued).status, 200);
  // Logging in again ends the token the browser still carried.
  r = console.handle(page_post("/console/api/login",
                               R"({"accessKeyId":"AKIDMOSLOCAL","secretAccessKey":"mos-local-secret"})", issued));
  std::string second = r.headers["Set-Cookie"].substr(12, 64);
  EXPECT_EQ(get("/console/api/things", issued).status, 401);
  EXPECT_EQ(get("/console/api/things", second).status, 200);
}

TEST_F(ConsoleHttpTest, LogoutEndsTheLoginAndClearsTheCookie) {
  std::string token = login();
  Response r = console.handle(page_post("/console/api/logout", "", token));
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.headers["Set-Cookie"].find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(get("/console/api/session", token).status, 401);
}

TEST_F(ConsoleHttpTest, RegistryObjects) {
  auto c1 = tr.add_cert(1);
  mos::registry::Thing t;
  t.name = "dev1";
  t.arn = tr.reg->arn("thing", "dev1");
  t.thing_id = "id1";
  t.attributes = R"({"room":"lab"})";
  t.created_at = 1;
  ASSERT_EQ(tr.reg->create_thing(t), mos::registry::Err::kOk);
  ASSERT_EQ(tr.reg->attach_thing_principal("dev1", c1.arn), mos::registry::Err::kOk);
  const std::string doc = R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:*","Resource":"*"}]})";
  ASSERT_EQ(tr.reg->create_policy("mos-default", doc, 1), mos::registry::Err::kOk);
  ASSERT_EQ(tr.reg->attach_policy(c1.arn, "mos-default"), mos::registry::Err::kOk);
  tr.connect("dev1", c1.id, "dev1", 1700000000);
  std::string token = login();

  Response r = get("/console/api/things", token);
  ASSERT_EQ(r.status, 200);
  expect_console_headers(r, true);
  EXPECT_EQ(json::parse(r.body), (json{{"things", {{{"name", "dev1"}, {"arn", t.arn}, {"attributes", {{"room", "lab"}}},
                                                    {"principals", {c1.arn}}}}}}));
  r = get("/console/api/certificates", token);
  EXPECT_EQ(json::parse(r.body), (json{{"certificates", {{{"id", c1.id}, {"arn", c1.arn}, {"status", "ACTIVE"},
                                                          {"subject", "CN=dev1"}, {"notBefore", 1700000000},
                                                          {"notAfter", 2524607999}, {"things", {"dev1"}},
                                                          {"policies", {"mos-default"}}}}}}));
  r = get("/console/api/policies", token);
  EXPECT_EQ(json::parse(r.body), (json{{"policies", {{{"name", "mos-default"}, {"arn", tr.reg->arn("policy", "mos-default")},
                                                      {"defaultVersionId", "1"}, {"document", json::parse(doc)},
                                                      {"targets", {c1.arn}}}}}}));
  r = get("/console/api/connections", token);
  EXPECT_EQ(json::parse(r.body), (json{{"connections", {{{"clientId", "dev1"}, {"certificateId", c1.id},
                                                         {"thingName", "dev1"}, {"connectedAt", 1700000000}}}}}));
  EXPECT_EQ(console.handle(make("POST", "/console/api/things", "",
                                {{"Cookie", "mos_console=" + token}, {"X-Mos-Console", "1"}}))
                .status,
            405);
  EXPECT_EQ(get("/console/api/nothing", token).status, 404);
}

TEST_F(ConsoleHttpTest, DenialsWithFilters) {
  std::string token = login();
  Response r = get("/console/api/denials?clientId=dev1&certificateId=" + std::string(64, 'a') + "&limit=5", token);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body), (json{{"denials", {{{"id", 7}, {"time", 1700000000500}, {"clientId", "dev1"},
                                                     {"certificateId", std::string(64, 'a')}, {"action", "iot:Connect"},
                                                     {"resource", "client/dev1"}, {"reason", "no statement allows"}}}}}));
  EXPECT_EQ(last_query.client_id, "dev1");
  EXPECT_EQ(last_query.certificate_id, std::string(64, 'a'));
  EXPECT_EQ(last_query.limit, 5u);
  EXPECT_EQ(get("/console/api/denials", token).status, 200);
  EXPECT_EQ(last_query.limit, 100u);
  for (const char* bad : {"limit=0", "limit=1001", "limit=x", "limit=", "clientId=%zz"})
    EXPECT_EQ(get(std::string("/console/api/denials?") + bad, token).status, 400) << bad;
}

TEST_F(ConsoleHttpTest, DenialsWithoutAReaderSayWhere) {
  Console bare{ConsoleConfig{"AKIDMOSLOCAL", "mos-local-secret", {}, nullptr}, *tr.reg, broker};
  Response r = bare.handle(page_post("/console/api/login",
                                     R"({"accessKeyId":"AKIDMOSLOCAL","secretAccessKey":"mos-local-secret"})"));
  std::string token = r.headers["Set-Cookie"].substr(12, 64);
  r = bare.handle(make("GET", "/console/api/denials", "", {{"Cookie", "mos_console=" + token}}));
  EXPECT_EQ(r.status, 501);
  EXPECT_NE(message(r).find("mos-policy: DENY"), std::string::npos);
}

TEST_F(ConsoleHttpTest, CertificateStatusFollowsUpdateCertificate) {
  auto c1 = tr.add_cert(1);
  std::string token = login();
  std::string target = "/console/api/certificates/" + c1.id + "/status";
  Response r = console.handle(page_post(target, R"({"status":"INACTIVE"})", token));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["status"], "INACTIVE");
  EXPECT_EQ(json::parse(r.body)["id"], c1.id);
  EXPECT_EQ(tr.reg->certificate(c1.id)->updated_at, 1700000200);
  r = console.handle(page_post(target, R"({"status":"REVOKED"})", token));
  ASSERT_EQ(r.status, 200);
  r = console.handle(page_post(target, R"({"status":"ACTIVE"})", token));
  EXPECT_EQ(r.status, 406);
  EXPECT_EQ(message(r), "The certificate " + c1.id + " is REVOKED; a revoked certificate cannot change status.");
  EXPECT_EQ(tr.reg->certificate(c1.id)->status, "REVOKED");
  r = console.handle(page_post(target, R"({"status":"PENDING_TRANSFER"})", token));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(message(r).find("[ACTIVE, INACTIVE, REVOKED]"), std::string::npos);
  r = console.handle(page_post(target, R"({"state":"ACTIVE"})", token));
  EXPECT_EQ(r.status, 400);
  r = console.handle(page_post("/console/api/certificates/" + std::string(64, 'e') + "/status", R"({"status":"ACTIVE"})", token));
  EXPECT_EQ(r.status, 404);
  r = console.handle(page_post("/console/api/certificates/xyz/status", R"({"status":"ACTIVE"})", token));
  EXPECT_EQ(r.status, 400);
  // The uppercase id AWS accepts.
  auto c2 = tr.add_cert(11);
  std::string upper = c2.id;
  for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  r = console.handle(page_post("/console/api/certificates/" + upper + "/status", R"({"status":"INACTIVE"})", token));
  EXPECT_EQ(r.status, 200) << r.body;
}

TEST_F(ConsoleHttpTest, LiveUpgradeNeedsPathCookieAndOrigin) {
  std::string token = login();
  auto ch = std::make_shared<test::FakeLiveChannel>();
  Response reject;
  auto ws = [&](const std::string& target, std::vector<mos::sigv4::Header> h) {
    reject = Response{};
    return console.upgrade(make("GET", target, "", std::move(h)), ch, reject);
  };
  const mos::sigv4::Header cookie{"Cookie", "mos_console=" + token}, origin{"Origin", kOrigin};
  EXPECT_FALSE(ws("/console/api/live", {origin}));
  EXPECT_EQ(reject.status, 401);
  EXPECT_EQ(message(reject), "Log in first.");
  EXPECT_FALSE(ws("/console/api/live", {{"Cookie", "mos_console=" + std::string(64, 'd')}, origin}));
  EXPECT_EQ(reject.status, 401);
  EXPECT_FALSE(ws("/console/api/live", {cookie, {"Origin", "http://evil.example"}}));
  EXPECT_EQ(reject.status, 403);
  expect_console_headers(reject, true);
  EXPECT_FALSE(ws("/console/api/live", {cookie}));  // no Origin: not a browser page of ours
  EXPECT_EQ(reject.status, 403);
  EXPECT_FALSE(ws("/things", {cookie, origin}));
  EXPECT_EQ(reject.status, 404);
  auto handler = ws("/console/api/live?x=1", {cookie, origin});
  ASSERT_TRUE(handler);
  EXPECT_EQ(console.watcher().tabs(), 1u);
  handler->on_text(R"({"op":"subscribe","filter":"/response","id":1})");
  auto frames = ch->take();
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0]["type"], "subscribed");
  // Logging out ends the tab's channel on the watcher's next round.
  console.handle(page_post("/console/api/logout", "", token));
  console.watcher().poll();
  EXPECT_TRUE(ch->closed());
}

}  // namespace

// The API's front door: body size, SigV4, request parsing, then the route
// table (routes.h; one file per resource: routes_*.cpp).
#include "api.h"

#include <nlohmann/json.hpp>

#include "call.h"
#include "routes.h"

namespace mos::cloud {
namespace {

const std::vector<Route>& table() {
  static const std::vector<Route> t = [] {
    std::vector<Route> all;
    for (auto part : {certificate_routes, policy_routes, thing_routes, endpoint_routes, dataplane_routes})
      for (auto& r : part()) all.push_back(r);
    return all;
  }();
  return t;
}

}  // namespace

Api::Api(Settings settings, registry::Registry& reg, ca::Authority& ca, PublishFn publish)
    : s_(std::move(settings)), reg_(reg), ca_(ca), publish_(std::move(publish)) {}

Response Api::error(int status, const std::string& type, const std::string& message) {
  Response r;
  r.status = status;
  r.headers["x-amzn-ErrorType"] = type;
  r.body = json{{"message", message}}.dump();
  return r;
}

Response Api::handle(const sigv4::Request& req, int64_t now) {
  if (req.body.size() > s_.max_body)
    return error(413, "RequestEntityTooLargeException",
                 "Request body is " + std::to_string(req.body.size()) + " bytes; the limit is " +
                     std::to_string(s_.max_body) + " bytes.");
  std::string_view target = req.target;
  size_t qpos = target.find('?');
  std::string_view path = target.substr(0, qpos);

  // Unsigned local conveniences: the CA certificate (devices need it) and a
  // liveness probe for `mos cloud status`.
  if (req.method == "GET" && path == "/ca.pem") {
    Response r;
    r.body = ca_.ca_pem();
    r.headers["Content-Type"] = "application/x-pem-file";
    return r;
  }

  // Every other request must carry a valid SigV4 signature. IoT's control
  // plane is signed as "execute-api" by botocore (signingName in the service
  // model) and "iot" by other SDKs; the data plane as "iotdata" or
  // "iotdevicegateway".
  bool data_plane = path.substr(0, 8) == "/topics/";
  sigv4::VerifyPolicy vp;
  struct Key {
    const Settings* s;
  } key{&s_};
  vp.lookup = [](void* ctx, std::string_view id) -> std::optional<std::string> {
    auto* k = static_cast<Key*>(ctx);
    if (id == k->s->access_key_id) return k->s->secret_access_key;
    return std::nullopt;
  };
  vp.ctx = &key;
  vp.regions = {s_.region};
  vp.services = data_plane ? std::vector<std::string>{"iotdata", "iotdevicegateway"}
                           : std::vector<std::string>{"execute-api", "iot"};
  vp.now = now;
  sigv4::Verdict v = sigv4::verify(req, vp);
  switch (v.error) {
    case sigv4::Error::kNone: break;
    case sigv4::Error::kMissingAuthentication:
      return error(403, "MissingAuthenticationTokenException", v.message);
    case sigv4::Error::kIncompleteSignature:
      return error(403, "IncompleteSignatureException", v.message);
    case sigv4::Error::kUnknownAccessKey:
      return error(403, "UnrecognizedClientException", v.message);
    default:
      return error(403, "InvalidSignatureException", v.message);
  }

  Call c{req, req.method, {}, {}, json::object(), now};
  size_t start = 1;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    std::string_view raw = path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    auto dec = sigv4::uri_decode(raw);
    if (!dec) return invalid("The request path has a malformed percent-escape.");
    if (!dec->empty() || slash != std::string_view::npos) c.seg.push_back(*dec);
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (data_plane) {
    // Publish: /topics/{topic}; the topic may arrive with '/' escaped or not.
    auto topic = sigv4::uri_decode(path.substr(8));
    if (!topic) return invalid("The topic has a malformed percent-escape.");
    c.seg = {"topics", *topic};
  }
  if (qpos != std::string_view::npos) {
    auto params = sigv4::parse_query(target.substr(qpos + 1));
    if (!params) return invalid("The query string has a malformed percent-escape.");
    for (auto& p : *params) c.query[p.name] = std::move(p.value);
  }
  if (!data_plane && !req.body.empty()) {
    c.body = json::parse(req.body, nullptr, false);
    if (c.body.is_discarded() || !c.body.is_object())
      return invalid("The request body is not a valid JSON object.");
  }
  try {
    Services svc{s_, reg_, ca_, publish_};
    if (const Route* r = match_route(table(), c.method, c.seg)) return r->handler(svc, c);
    // As before the table: under /things/{thingName} and /policies/{policyName}
    // a malformed name is reported (400) ahead of an unknown operation (404).
    if (c.seg.size() >= 2 && c.seg[0] == "things" && !valid_thing_name(c.seg[1]))
      return invalid(validation(c.seg[1], "thingName", "Member must have length 1..128 and match [a-zA-Z0-9:_-]+"));
    if (c.seg.size() >= 2 && c.seg[0] == "policies" && !valid_policy_name(c.seg[1]))
      return invalid(validation(c.seg[1], "policyName", "Member must have length 1..128 and match [\\w+=,.@-]+"));
    return error(404, "UnknownOperationException",
                 "No AWS IoT operation matches " + c.method + " " + (c.seg.empty() ? std::string("/") : "/" + c.seg[0]) +
                     "...; mos-cloud does not implement this operation.");
  } catch (const json::exception& e) {
    // A member of the wrong JSON type (e.g. a number where a string belongs).
    return invalid(std::string("The request body has a member of the wrong type: ") + e.what());
  }
}

}  // namespace mos::cloud

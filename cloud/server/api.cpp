#include "api.h"

#include <nlohmann/json.hpp>
#include <openssl/rand.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <vector>

#include "mos/policy/policy.h"

namespace mos::cloud {
namespace {

using nlohmann::json;
using registry::Err;

std::string random_uuid() {
  unsigned char b[16];
  RAND_bytes(b, sizeof b);
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // RFC 4122 §4.4 version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  static const char* kHex = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s += '-';
    s += kHex[b[i] >> 4];
    s += kHex[b[i] & 15];
  }
  return s;
}

bool all_of_chars(const std::string& s, const char* extra) {
  return std::all_of(s.begin(), s.end(), [extra](char ch) {
    auto c = static_cast<unsigned char>(ch);
    // Not strchr: it would "find" a NUL byte at the end of `extra`.
    return std::isalnum(c) || (ch != '\0' && std::string_view(extra).find(ch) != std::string_view::npos);
  });
}

// Name rules from the iot service model (shape patterns and lengths).
bool valid_thing_name(const std::string& s) {  // ThingName: [a-zA-Z0-9:_-]+, 1..128
  return !s.empty() && s.size() <= 128 && all_of_chars(s, ":_-");
}
bool valid_policy_name(const std::string& s) {  // PolicyName: [\w+=,.@-]+, 1..128
  return !s.empty() && s.size() <= 128 && all_of_chars(s, "_+=,.@-");
}
bool valid_cert_id(const std::string& s) {  // CertificateId: 64 hex characters
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string validation(const std::string& value, const std::string& member, const std::string& rule) {
  std::string shown = value.size() > 64 ? value.substr(0, 64) + "..." : value;
  return "1 validation error detected: Value '" + shown + "' at '" + member +
         "' failed to satisfy constraint: " + rule;
}

}  // namespace

// One request being served: decoded path segments, query, parsed body.
struct Api::Call {
  const sigv4::Request& req;
  std::string method;
  std::vector<std::string> seg;  // decoded path segments
  std::map<std::string, std::string> query;
  json body = json::object();
  int64_t now = 0;

  std::string q(const std::string& k, const std::string& def = "") const {
    auto it = query.find(k);
    return it == query.end() ? def : it->second;
  }
  bool has(const std::string& k) const { return query.count(k) > 0; }
  std::string header(const std::string& name) const {
    auto v = req.value(name);
    return v ? std::string(*v) : std::string();
  }
};

Api::Api(Settings settings, registry::Registry& reg, ca::Authority& ca, PublishFn publish)
    : s_(std::move(settings)), reg_(reg), ca_(ca), publish_(std::move(publish)) {}

Response Api::error(int status, const std::string& type, const std::string& message) {
  Response r;
  r.status = status;
  r.headers["x-amzn-ErrorType"] = type;
  r.body = json{{"message", message}}.dump();
  return r;
}

namespace {

Response ok(const json& j) {
  Response r;
  r.body = j.dump();
  return r;
}
Response ok_empty() { return Response{}; }

Response invalid(const std::string& msg) { return Api::error(400, "InvalidRequestException", msg); }
Response not_found(const std::string& msg) { return Api::error(404, "ResourceNotFoundException", msg); }
Response internal(const std::string& msg) { return Api::error(500, "InternalFailureException", msg); }

// Opaque continuation token over an ordered list: the next offset in decimal.
struct Page {
  size_t begin = 0, end = 0;
  std::string next;
  bool ok = true;
};
Page paginate(size_t total, const std::string& token, const std::string& size_text, size_t max_size) {
  Page p;
  size_t size = max_size;
  if (!size_text.empty()) {
    if (size_text.size() > 4 || !std::all_of(size_text.begin(), size_text.end(), ::isdigit)) {
      p.ok = false;
      return p;
    }
    size = std::stoul(size_text);
    if (size < 1 || size > max_size) {
      p.ok = false;
      return p;
    }
  }
  if (!token.empty()) {
    if (token.size() > 9 || !std::all_of(token.begin(), token.end(), ::isdigit)) {
      p.ok = false;
      return p;
    }
    p.begin = std::min<size_t>(std::stoul(token), total);
  }
  p.end = std::min(total, p.begin + size);
  if (p.end < total) p.next = std::to_string(p.end);
  return p;
}

json cert_summary(const registry::Certificate& c) {
  return {{"certificateArn", c.arn}, {"certificateId", c.id}, {"status", c.status},
          {"certificateMode", "DEFAULT"}, {"creationDate", c.created_at}};
}

std::string policy_check(const std::string& doc) {
  auto r = mos::policy::validate(doc);
  return r.ok ? std::string() : r.error;
}

}  // namespace

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
    std::string_view query = target.substr(qpos + 1);
    size_t p = 0;
    while (p <= query.size()) {
      size_t amp = query.find('&', p);
      std::string_view part = query.substr(p, amp == std::string_view::npos ? std::string_view::npos : amp - p);
      if (!part.empty()) {
        size_t eq = part.find('=');
        auto k = sigv4::uri_decode(part.substr(0, eq));
        auto val = sigv4::uri_decode(eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1));
        if (!k || !val) return invalid("The query string has a malformed percent-escape.");
        c.query[*k] = *val;
      }
      if (amp == std::string_view::npos) break;
      p = amp + 1;
    }
  }
  if (!data_plane && !req.body.empty()) {
    c.body = json::parse(req.body, nullptr, false);
    if (c.body.is_discarded() || !c.body.is_object())
      return invalid("The request body is not a valid JSON object.");
  }
  try {
    return route(c);
  } catch (const json::exception& e) {
    // A member of the wrong JSON type (e.g. a number where a string belongs).
    return invalid(std::string("The request body has a member of the wrong type: ") + e.what());
  }
}

Response Api::route(Call& c) {
  const auto& seg = c.seg;
  const std::string& m = c.method;
  const size_t n = seg.size();
  auto is = [&](std::initializer_list<const char*> parts) {
    if (parts.size() != n) return false;
    size_t i = 0;
    for (const char* p : parts) {
      if (*p != '{' && seg[i] != p) return false;
      ++i;
    }
    return true;
  };

  // ------------------------------------------------------------ certificates
  auto cert_arn = [&](const std::string& id) { return reg_.arn("cert", id); };
  auto check_principal = [&](const std::string& principal, const char* member) -> std::optional<Response> {
    if (principal.empty()) return invalid("The " + std::string(member) + " is required.");
    if (reg_.principal_exists(principal)) return std::nullopt;
    if (principal.rfind("arn:aws:iot:", 0) == 0 && principal.find(":cert/") != std::string::npos)
      return not_found("The certificate " + principal + " does not exist.");
    return invalid(validation(principal, member, "Member must be the ARN of a certificate of this account (arn:aws:iot:" +
                                                     reg_.region() + ":" + reg_.account_id() + ":cert/<certificateId>)"));
  };
  auto add_cert = [&](const ca::Result& r, bool active) -> std::optional<Response> {
    registry::Certificate cert;
    cert.id = r.cert.id;
    cert.arn = cert_arn(r.cert.id);
    cert.status = active ? "ACTIVE" : "INACTIVE";
    cert.pem = r.cert.pem;
    cert.subject = r.cert.subject;
    cert.ca_certificate_id = ca_.ca_id();
    cert.created_at = cert.updated_at = c.now;
    cert.not_before = r.cert.not_before;
    cert.not_after = r.cert.not_after;
    Err e = reg_.add_certificate(cert);
    if (e != Err::kOk) return internal("Cannot store the certificate: " + reg_.last_error());
    return std::nullopt;
  };
  auto set_as_active = [&](const char* name) { return lower(c.q(name)) == "true"; };

  if (m == "POST" && is({"certificates"})) {  // CreateCertificateFromCsr
    auto it = c.body.find("certificateSigningRequest");
    if (it == c.body.end() || !it->is_string() || it->get<std::string>().empty())
      return invalid("certificateSigningRequest is required.");
    ca::Result r = ca_.sign_csr(it->get<std::string>());
    if (!r.ok()) return r.error == ca::Error::kInternal ? internal(r.message) : invalid(r.message);
    if (auto e = add_cert(r, set_as_active("setAsActive"))) return *e;
    return ok({{"certificateArn", cert_arn(r.cert.id)}, {"certificateId", r.cert.id},
               {"certificatePem", r.cert.pem}});
  }
  if (m == "POST" && is({"keys-and-certificate"})) {  // CreateKeysAndCertificate
    ca::Result r = ca_.create_keys_and_certificate("AWS IoT Certificate");
    if (!r.ok()) return internal(r.message);
    if (auto e = add_cert(r, set_as_active("setAsActive"))) return *e;
    return ok({{"certificateArn", cert_arn(r.cert.id)}, {"certificateId", r.cert.id},
               {"certificatePem", r.cert.pem},
               {"keyPair", {{"PublicKey", r.public_key_pem}, {"PrivateKey", r.private_key_pem}}}});
  }
  if (m == "GET" && is({"certificates"})) {  // ListCertificates
    auto all = reg_.certificates(lower(c.q("isAscendingOrder")) == "true");
    Page p = paginate(all.size(), c.q("marker"), c.q("pageSize"), 250);
    if (!p.ok) return invalid("pageSize must be 1..250 and marker a value returned as nextMarker.");
    json list = json::array();
    for (size_t i = p.begin; i < p.end; ++i) list.push_back(cert_summary(all[i]));
    json out{{"certificates", list}};
    if (!p.next.empty()) out["nextMarker"] = p.next;
    return ok(out);
  }
  if (n == 2 && seg[0] == "certificates" && (m == "GET" || m == "PUT" || m == "DELETE")) {
    std::string id = lower(seg[1]);
    if (!valid_cert_id(id))
      return invalid(validation(seg[1], "certificateId", "Member must have length 64 and match [a-fA-F0-9]+"));
    if (m == "GET") {  // DescribeCertificate
      auto cert = reg_.certificate(id);
      if (!cert) return not_found("The certificate " + id + " does not exist.");
      json d{{"certificateArn", cert->arn},
             {"certificateId", cert->id},
             {"status", cert->status},
             {"certificatePem", cert->pem},
             {"ownedBy", reg_.account_id()},
             {"creationDate", cert->created_at},
             {"lastModifiedDate", cert->updated_at},
             {"customerVersion", 1},
             {"generationId", std::to_string(cert->generation_id)},
             {"validity", {{"notBefore", cert->not_before}, {"notAfter", cert->not_after}}},
             {"certificateMode", "DEFAULT"}};
      if (!cert->ca_certificate_id.empty()) d["caCertificateId"] = cert->ca_certificate_id;
      return ok({{"certificateDescription", d}});
    }
    if (m == "PUT") {  // UpdateCertificate
      std::string st = c.q("newStatus");
      if (st != "ACTIVE" && st != "INACTIVE" && st != "REVOKED")
        return invalid(validation(st, "newStatus", "Member must satisfy enum value set: [ACTIVE, INACTIVE, REVOKED]"));
      switch (reg_.set_certificate_status(id, st, c.now)) {
        case Err::kOk: return ok_empty();
        case Err::kNotFound: return not_found("The certificate " + id + " does not exist.");
        case Err::kState:
          return error(406, "CertificateStateException",
                       "The certificate " + id + " is REVOKED; a revoked certificate cannot change status.");
        default: return internal(reg_.last_error());
      }
    }
    // DeleteCertificate
    switch (reg_.delete_certificate(id, lower(c.q("forceDelete")) == "true")) {
      case Err::kOk: return ok_empty();
      case Err::kNotFound: return not_found("The certificate " + id + " does not exist.");
      case Err::kState:
        return error(406, "CertificateStateException",
                     "Certificate " + id + " is ACTIVE; deactivate it first (update-certificate --new-status INACTIVE).");
      case Err::kConflict:
        return error(409, "DeleteConflictException",
                     "Certificate " + id + " is still attached to policies or things; detach them first "
                     "(detach-policy / detach-thing-principal), or pass --force-delete to detach policies.");
      default: return internal(reg_.last_error());
    }
  }

  // ------------------------------------------------------------ policies
  auto bad_policy_name = [&](const std::string& name) {
    return invalid(validation(name, "policyName", "Member must have length 1..128 and match [\\w+=,.@-]+"));
  };
  auto document = [&](std::string& doc) -> std::optional<Response> {
    auto it = c.body.find("policyDocument");
    if (it == c.body.end() || !it->is_string()) return invalid("policyDocument is required (a JSON policy as a string).");
    doc = it->get<std::string>();
    std::string why = policy_check(doc);
    if (!why.empty()) return error(400, "MalformedPolicyException", "Policy document is malformed: " + why);
    return std::nullopt;
  };
  if (m == "GET" && is({"policies"})) {  // ListPolicies
    auto all = reg_.policies(lower(c.q("isAscendingOrder", "true")) != "false");
    Page p = paginate(all.size(), c.q("marker"), c.q("pageSize"), 250);
    if (!p.ok) return invalid("pageSize must be 1..250 and marker a value returned as nextMarker.");
    json list = json::array();
    for (size_t i = p.begin; i < p.end; ++i) list.push_back({{"policyName", all[i].name}, {"policyArn", all[i].arn}});
    json out{{"policies", list}};
    if (!p.next.empty()) out["nextMarker"] = p.next;
    return ok(out);
  }
  if (n >= 2 && seg[0] == "policies") {
    const std::string& name = seg[1];
    if (!valid_policy_name(name)) return bad_policy_name(name);
    auto missing = [&] { return not_found("Policy " + name + " does not exist."); };
    if (n == 2 && m == "POST") {  // CreatePolicy
      std::string doc;
      if (auto e = document(doc)) return *e;
      switch (reg_.create_policy(name, doc, c.now)) {
        case Err::kOk:
          return ok({{"policyName", name}, {"policyArn", reg_.arn("policy", name)},
                     {"policyDocument", doc}, {"policyVersionId", "1"}});
        case Err::kExists: {
          Response r = error(409, "ResourceAlreadyExistsException", "Policy " + name + " already exists.");
          r.body = json{{"message", "Policy " + name + " already exists."}, {"resourceId", name},
                        {"resourceArn", reg_.arn("policy", name)}}.dump();
          return r;
        }
        default: return internal(reg_.last_error());
      }
    }
    if (n == 2 && m == "GET") {  // GetPolicy
      auto p = reg_.policy(name);
      if (!p) return missing();
      return ok({{"policyName", p->name}, {"policyArn", p->arn}, {"policyDocument", p->default_document},
                 {"defaultVersionId", std::to_string(p->default_version)},
                 {"creationDate", p->created_at}, {"lastModifiedDate", p->updated_at},
                 {"generationId", std::to_string(p->default_version)}});
    }
    if (n == 2 && m == "DELETE") {  // DeletePolicy
      switch (reg_.delete_policy(name)) {
        case Err::kOk: return ok_empty();
        case Err::kNotFound: return missing();
        case Err::kConflict:
          return error(409, "DeleteConflictException",
                       "The policy " + name + " is attached to one or more principals; detach it first (detach-policy).");
        case Err::kLimit:
          return error(409, "DeleteConflictException",
                       "Cannot delete the policy " + name + " because it has versions other than the default "
                       "version; delete them first (delete-policy-version).");
        default: return internal(reg_.last_error());
      }
    }
    if (n == 3 && seg[2] == "version" && m == "POST") {  // CreatePolicyVersion
      std::string doc;
      if (!reg_.policy(name)) return missing();
      if (auto e = document(doc)) return *e;
      bool set_default = lower(c.q("setAsDefault")) == "true";
      int64_t version = 0;
      switch (reg_.create_policy_version(name, doc, set_default, c.now, version)) {
        case Err::kOk:
          return ok({{"policyArn", reg_.arn("policy", name)}, {"policyDocument", doc},
                     {"policyVersionId", std::to_string(version)}, {"isDefaultVersion", set_default}});
        case Err::kNotFound: return missing();
        case Err::kLimit:
          return error(409, "VersionsLimitExceededException",
                       "The policy " + name + " already has the maximum number of versions (" +
                           std::to_string(registry::kMaxPolicyVersions) + "); delete one first (delete-policy-version).");
        default: return internal(reg_.last_error());
      }
    }
    if (n == 3 && seg[2] == "version" && m == "GET") {  // ListPolicyVersions
      auto vs = reg_.policy_versions(name);
      if (!vs) return missing();
      json list = json::array();
      for (const auto& v : *vs)
        list.push_back({{"versionId", std::to_string(v.version)}, {"isDefaultVersion", v.is_default},
                        {"createDate", v.created_at}});
      return ok({{"policyVersions", list}});
    }
    if (n == 4 && seg[2] == "version" && (m == "GET" || m == "PATCH" || m == "DELETE")) {
      const std::string& vid = seg[3];
      if (vid.empty() || vid.size() > 9 || !std::all_of(vid.begin(), vid.end(), ::isdigit))
        return invalid(validation(vid, "policyVersionId", "Member must match [0-9]+"));
      int64_t version = std::stoll(vid);
      if (m == "GET") {  // GetPolicyVersion
        auto vs = reg_.policy_versions(name);
        if (!vs) return missing();
        for (const auto& v : *vs) {
          if (v.version != version) continue;
          auto p = reg_.policy(name);
          return ok({{"policyArn", reg_.arn("policy", name)}, {"policyName", name},
                     {"policyDocument", v.document}, {"policyVersionId", vid},
                     {"isDefaultVersion", v.is_default}, {"creationDate", v.created_at},
                     {"lastModifiedDate", p ? p->updated_at : v.created_at},
                     {"generationId", vid}});
        }
        return not_found("Version " + vid + " of policy " + name + " does not exist.");
      }
      Err e = m == "PATCH" ? reg_.set_default_policy_version(name, version, c.now)
                           : reg_.delete_policy_version(name, version);
      switch (e) {
        case Err::kOk: return ok_empty();
        case Err::kNotFound: return not_found("Version " + vid + " of policy " + name + " does not exist.");
        case Err::kConflict:
          return error(409, "DeleteConflictException",
                       "Cannot delete the default version " + vid + " of policy " + name +
                           "; make another version the default first (set-default-policy-version).");
        default: return internal(reg_.last_error());
      }
    }
  }

  // ------------------------------------------------------------ attachments
  if (n == 2 && seg[0] == "target-policies" && (m == "PUT" || m == "POST")) {  // Attach/DetachPolicy
    const std::string& name = seg[1];
    if (!valid_policy_name(name)) return bad_policy_name(name);
    auto it = c.body.find("target");
    std::string target = it != c.body.end() && it->is_string() ? it->get<std::string>() : "";
    if (!reg_.policy(name)) return not_found("Policy " + name + " does not exist.");
    if (auto e = check_principal(target, "target")) return *e;
    Err e = m == "PUT" ? reg_.attach_policy(target, name) : reg_.detach_policy(target, name);
    if (e == Err::kNotFound) return not_found("Policy " + name + " does not exist.");
    return e == Err::kOk ? ok_empty() : internal(reg_.last_error());
  }
  if (n == 2 && seg[0] == "principal-policies" && (m == "PUT" || m == "DELETE")) {  // Attach/DetachPrincipalPolicy
    const std::string& name = seg[1];
    if (!valid_policy_name(name)) return bad_policy_name(name);
    std::string principal = c.header("x-amzn-iot-principal");
    if (!reg_.policy(name)) return not_found("Policy " + name + " does not exist.");
    if (auto e = check_principal(principal, "principal")) return *e;
    Err e = m == "PUT" ? reg_.attach_policy(principal, name) : reg_.detach_policy(principal, name);
    if (e == Err::kNotFound) return not_found("Policy " + name + " does not exist.");
    return e == Err::kOk ? ok_empty() : internal(reg_.last_error());
  }
  auto policy_list = [&](const std::vector<std::string>& names, const char* token_name,
                         const char* size_name) -> Response {
    Page p = paginate(names.size(), c.q(token_name), c.q(size_name), 250);
    if (!p.ok) return invalid("pageSize must be 1..250 and marker a value returned as nextMarker.");
    json list = json::array();
    for (size_t i = p.begin; i < p.end; ++i)
      list.push_back({{"policyName", names[i]}, {"policyArn", reg_.arn("policy", names[i])}});
    json out{{"policies", list}};
    if (!p.next.empty()) out["nextMarker"] = p.next;
    return ok(out);
  };
  if (n == 2 && seg[0] == "attached-policies" && m == "POST") {  // ListAttachedPolicies
    if (auto e = check_principal(seg[1], "target")) return *e;
    return policy_list(reg_.attached_policies(seg[1]), "marker", "pageSize");
  }
  if (is({"principal-policies"}) && m == "GET") {  // ListPrincipalPolicies
    std::string principal = c.header("x-amzn-iot-principal");
    if (auto e = check_principal(principal, "principal")) return *e;
    return policy_list(reg_.attached_policies(principal), "marker", "pageSize");
  }
  if (n == 2 && seg[0] == "policy-targets" && m == "POST") {  // ListTargetsForPolicy
    if (!valid_policy_name(seg[1])) return bad_policy_name(seg[1]);
    if (!reg_.policy(seg[1])) return not_found("Policy " + seg[1] + " does not exist.");
    auto all = reg_.policy_targets(seg[1]);
    Page p = paginate(all.size(), c.q("marker"), c.q("pageSize"), 250);
    if (!p.ok) return invalid("pageSize must be 1..250 and marker a value returned as nextMarker.");
    json out{{"targets", std::vector<std::string>(all.begin() + static_cast<long>(p.begin), all.begin() + static_cast<long>(p.end))}};
    if (!p.next.empty()) out["nextMarker"] = p.next;
    return ok(out);
  }

  // ------------------------------------------------------------ things
  if (m == "GET" && is({"things"})) {  // ListThings
    auto all = reg_.things();
    std::string an = c.q("attributeName"), av = c.q("attributeValue"), tt = c.q("thingTypeName");
    std::vector<registry::Thing> sel;
    for (auto& t : all) {
      if (!tt.empty() && t.thing_type != tt) continue;
      if (!an.empty()) {
        json attrs = json::parse(t.attributes, nullptr, false);
        if (!attrs.is_object() || !attrs.contains(an)) continue;
        if (!av.empty() && attrs[an] != av) continue;
      }
      sel.push_back(t);
    }
    Page p = paginate(sel.size(), c.q("nextToken"), c.q("maxResults"), 250);
    if (!p.ok) return invalid("maxResults must be 1..250 and nextToken a value returned as nextToken.");
    json list = json::array();
    for (size_t i = p.begin; i < p.end; ++i) {
      json t{{"thingName", sel[i].name}, {"thingArn", sel[i].arn},
             {"attributes", json::parse(sel[i].attributes, nullptr, false)}, {"version", sel[i].version}};
      if (!sel[i].thing_type.empty()) t["thingTypeName"] = sel[i].thing_type;
      list.push_back(t);
    }
    json out{{"things", list}};
    if (!p.next.empty()) out["nextToken"] = p.next;
    return ok(out);
  }
  if (is({"principals", "things"}) && m == "GET") {  // ListPrincipalThings
    std::string principal = c.header("x-amzn-principal");
    if (auto e = check_principal(principal, "principal")) return *e;
    auto names = reg_.principal_things(principal);
    Page p = paginate(names.size(), c.q("nextToken"), c.q("maxResults"), 250);
    if (!p.ok) return invalid("maxResults must be 1..250 and nextToken a value returned as nextToken.");
    json out{{"things", std::vector<std::string>(names.begin() + static_cast<long>(p.begin), names.begin() + static_cast<long>(p.end))}};
    if (!p.next.empty()) out["nextToken"] = p.next;
    return ok(out);
  }
  if (n >= 2 && seg[0] == "things") {
    const std::string& name = seg[1];
    if (!valid_thing_name(name))
      return invalid(validation(name, "thingName", "Member must have length 1..128 and match [a-zA-Z0-9:_-]+"));
    auto missing = [&] { return not_found("Thing " + name + " does not exist."); };
    if (n == 2 && m == "POST") {  // CreateThing
      registry::Thing t;
      t.name = name;
      t.arn = reg_.arn("thing", name);
      t.thing_id = random_uuid();
      t.created_at = c.now;
      if (c.body.contains("thingTypeName") && !c.body["thingTypeName"].is_null())
        return not_found("Thing type " + c.body["thingTypeName"].dump() + " does not exist (mos-cloud has no thing types).");
      if (c.body.contains("billingGroupName") && !c.body["billingGroupName"].is_null())
        return not_found("Billing group " + c.body["billingGroupName"].dump() + " does not exist.");
      json attrs = json::object();
      if (c.body.contains("attributePayload")) {
        const json& ap = c.body["attributePayload"];
        if (!ap.is_object()) return invalid("attributePayload must be an object.");
        if (ap.contains("attributes")) {
          if (!ap["attributes"].is_object()) return invalid("attributePayload.attributes must be an object.");
          for (auto& [k, v] : ap["attributes"].items()) {
            if (k.empty() || k.size() > 128 || !all_of_chars(k, "_.,@/:#-"))
              return invalid(validation(k, "attributePayload.attributes", "keys must match [a-zA-Z0-9_.,@/:#-]+"));
            if (!v.is_string() || v.get<std::string>().size() > 800)
              return invalid(validation(k, "attributePayload.attributes", "values must be strings of at most 800 characters"));
          }
          attrs = ap["attributes"];
        }
      }
      t.attributes = attrs.dump();
      switch (reg_.create_thing(t)) {
        case Err::kOk: return ok({{"thingName", t.name}, {"thingArn", t.arn}, {"thingId", t.thing_id}});
        case Err::kExists: {
          Response r = error(409, "ResourceAlreadyExistsException",
                             "Thing " + name + " already exists in account with different attributes");
          r.body = json{{"message", "Thing " + name + " already exists in account with different attributes"},
                        {"resourceId", name}, {"resourceArn", t.arn}}.dump();
          return r;
        }
        default: return internal(reg_.last_error());
      }
    }
    if (n == 2 && m == "GET") {  // DescribeThing
      auto t = reg_.thing(name);
      if (!t) return missing();
      json out{{"defaultClientId", t->name}, {"thingName", t->name}, {"thingId", t->thing_id},
               {"thingArn", t->arn}, {"attributes", json::parse(t->attributes, nullptr, false)},
               {"version", t->version}};
      if (!t->thing_type.empty()) out["thingTypeName"] = t->thing_type;
      return ok(out);
    }
    if (n == 2 && m == "DELETE") {  // DeleteThing
      std::optional<int64_t> expected;
      std::string ev = c.q("expectedVersion");
      if (!ev.empty()) {
        if (ev.size() > 18 || !std::all_of(ev.begin(), ev.end(), ::isdigit))
          return invalid(validation(ev, "expectedVersion", "Member must be a number"));
        expected = std::stoll(ev);
      }
      switch (reg_.delete_thing(name, expected)) {
        case Err::kOk:
        case Err::kNotFound:  // AWS: deleting a thing that does not exist succeeds
          return ok_empty();
        case Err::kState:
          return error(409, "VersionConflictException",
                       "The expected version " + ev + " does not match the thing's version.");
        case Err::kConflict:
          return invalid("Thing " + name + " has principals attached; detach them first (detach-thing-principal).");
        default: return internal(reg_.last_error());
      }
    }
    if (n == 3 && seg[2] == "principals") {
      if (m == "GET") {  // ListThingPrincipals
        auto ps = reg_.thing_principals(name);
        if (!ps) return missing();
        Page p = paginate(ps->size(), c.q("nextToken"), c.q("maxResults"), 250);
        if (!p.ok) return invalid("maxResults must be 1..250 and nextToken a value returned as nextToken.");
        json out{{"principals", std::vector<std::string>(ps->begin() + static_cast<long>(p.begin), ps->begin() + static_cast<long>(p.end))}};
        if (!p.next.empty()) out["nextToken"] = p.next;
        return ok(out);
      }
      if (m == "PUT" || m == "DELETE") {  // Attach/DetachThingPrincipal
        std::string principal = c.header("x-amzn-principal");
        if (!reg_.thing(name)) return missing();
        if (m == "PUT") {
          if (auto e = check_principal(principal, "principal")) return *e;
        } else if (principal.empty()) {
          return invalid("The principal is required.");
        }
        Err e = m == "PUT" ? reg_.attach_thing_principal(name, principal)
                           : reg_.detach_thing_principal(name, principal);
        if (e == Err::kNotFound) return missing();
        return e == Err::kOk ? ok(json::object()) : internal(reg_.last_error());
      }
    }
  }

  // ------------------------------------------------------------ endpoint
  if (m == "GET" && is({"endpoint"})) {  // DescribeEndpoint
    std::string type = c.q("endpointType", "iot:Data");
    if (type != "iot:Data" && type != "iot:Data-ATS" && type != "iot:CredentialProvider" && type != "iot:Jobs")
      return invalid(validation(type, "endpointType",
                                "Member must be one of iot:Data, iot:Data-ATS, iot:CredentialProvider, iot:Jobs"));
    // AWS answers a host name; devices add :8883. The local broker listens on
    // localhost, so the port is appended only when it is not 8883.
    std::string host = "localhost";
    if (s_.mqtt_port != 8883) host += ":" + std::to_string(s_.mqtt_port);
    return ok({{"endpointAddress", host}});
  }

  // ------------------------------------------------------------ data plane
  if (m == "POST" && n == 2 && seg[0] == "topics") {  // iot-data Publish
    const std::string& topic = seg[1];
    std::string qos_text = c.q("qos", "0");
    if (qos_text != "0" && qos_text != "1")
      return invalid(validation(qos_text, "qos", "Member must be 0 or 1"));
    // MQTT 3.1.1 §4.7.3: a topic name is non-empty and has no wildcards;
    // AWS IoT limits it to 256 bytes.
    if (topic.empty() || topic.size() > 256 || topic.find_first_of("+#") != std::string::npos ||
        topic.find('\0') != std::string::npos)
      return invalid("The topic must be 1..256 bytes without the wildcards + and #.");
    if (!publish_) return error(503, "ServiceUnavailableException", "The data plane is not configured.");
    std::string why = publish_(topic, c.req.body, qos_text == "1" ? 1 : 0, lower(c.q("retain")) == "true");
    if (!why.empty()) return error(503, "ServiceUnavailableException", why);
    return ok(json{{"message", "OK"}});
  }

  return error(404, "UnknownOperationException",
               "No AWS IoT operation matches " + m + " " + (seg.empty() ? std::string("/") : "/" + seg[0]) +
                   "...; mos-cloud does not implement this operation.");
}

}  // namespace mos::cloud

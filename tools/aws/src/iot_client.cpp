// See iot_client.h. Paths and bodies follow the AWS IoT API Reference
// (REST JSON): CreateCertificateFromCsr POST /certificates?setAsActive=,
// DescribeCertificate GET /certificates/{id}, GetPolicy GET /policies/{name},
// CreatePolicy POST /policies/{name}, AttachPolicy PUT /target-policies/{name},
// DescribeThing GET /things/{name}, CreateThing POST /things/{name},
// AttachThingPrincipal PUT /things/{name}/principals (x-amzn-principal),
// DescribeEndpoint GET /endpoint?endpointType=.
#include "mos/aws/iot_client.h"

#include <httplib.h>

#include <ctime>

namespace mos::aws {
namespace {

std::string seg(const std::string& s) { return sigv4::uri_encode(s, false); }

bool is_not_found(const AwsError& e) { return e.type == "ResourceNotFoundException" || e.status == 404; }

// x-amzn-ErrorType may carry a ":http://internal..." suffix (AWS REST JSON
// error shapes); the body may name it as __type or code.
std::string error_type(const httplib::Response& r, const Json& body) {
  std::string t = r.get_header_value("x-amzn-ErrorType");
  if (t.empty() && body.is_object()) {
    if (body.contains("__type") && body["__type"].is_string()) t = body["__type"].get<std::string>();
    else if (body.contains("code") && body["code"].is_string()) t = body["code"].get<std::string>();
  }
  if (auto colon = t.find(':'); colon != std::string::npos) t.resize(colon);
  if (auto hash = t.rfind('#'); hash != std::string::npos) t = t.substr(hash + 1);
  return t.empty() ? "HTTP" + std::to_string(r.status) : t;
}

std::string error_message(const Json& body, const std::string& raw) {
  if (body.is_object()) {
    for (const char* k : {"message", "Message", "errorMessage"}) {
      if (body.contains(k) && body[k].is_string()) return body[k].get<std::string>();
    }
  }
  return raw.substr(0, 200);
}

}  // namespace

std::optional<Endpoint> parse_endpoint(const std::string& url) {
  Endpoint ep;
  size_t p = url.find("://");
  if (p == std::string::npos) return std::nullopt;
  ep.scheme = url.substr(0, p);
  if (ep.scheme != "http" && ep.scheme != "https") return std::nullopt;
  std::string rest = url.substr(p + 3);
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  if (slash != std::string::npos) {
    ep.base_path = rest.substr(slash);
    while (!ep.base_path.empty() && ep.base_path.back() == '/') ep.base_path.pop_back();
  }
  if (authority.empty() || authority.find('@') != std::string::npos) return std::nullopt;
  const int def = ep.scheme == "https" ? 443 : 80;
  size_t colon = authority.rfind(':');
  if (colon != std::string::npos && authority.find(']') == std::string::npos) {
    std::string port = authority.substr(colon + 1);
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) {
      return std::nullopt;
    }
    ep.port = std::stoi(port);
    if (ep.port <= 0 || ep.port > 65535) return std::nullopt;
    ep.host = authority.substr(0, colon);
  } else {
    ep.port = def;
    ep.host = authority;
  }
  if (ep.host.empty()) return std::nullopt;
  ep.host_header = ep.port == def ? ep.host : ep.host + ":" + std::to_string(ep.port);
  return ep;
}

sigv4::Request sign_request(const Endpoint& ep, const std::string& method, const std::string& target,
                            const std::string& body, const std::vector<sigv4::Header>& extra_headers,
                            const sigv4::Credentials& creds, const std::string& region, int64_t now) {
  sigv4::Request req;
  req.method = method;
  req.target = ep.base_path + target;
  req.body = body;
  req.headers.push_back({"Host", ep.host_header});
  if (!body.empty()) req.headers.push_back({"Content-Type", "application/json"});
  for (const auto& h : extra_headers) req.headers.push_back(h);
  if (!sigv4::sign_headers(req, creds, region, kIotSigningName, now)) {
    throw std::runtime_error("SigV4: cannot canonicalise " + method + " " + req.target);
  }
  return req;
}

struct IotClient::Http {
  explicit Http(const Endpoint& ep) : client(ep.scheme + "://" + ep.host + ":" + std::to_string(ep.port)) {}
  httplib::Client client;
};

IotClient::IotClient(const std::string& endpoint_url, std::string region, sigv4::Credentials creds,
                     const std::string& ca_bundle)
    : region_(std::move(region)), creds_(std::move(creds)) {
  auto ep = parse_endpoint(endpoint_url);
  if (!ep) throw std::invalid_argument("not an http(s)://host[:port] URL: " + endpoint_url);
  ep_ = *ep;
  http_ = std::make_unique<Http>(ep_);
  auto& c = http_->client;
  c.set_keep_alive(true);
  c.set_connection_timeout(5, 0);
  c.set_read_timeout(30, 0);
  c.set_write_timeout(30, 0);
  if (ep_.scheme == "https") {
    c.enable_server_certificate_verification(true);
    if (!ca_bundle.empty()) c.set_ca_cert_path(ca_bundle.c_str());
  }
}

IotClient::~IotClient() = default;

Json IotClient::call(const std::string& method, const std::string& path,
                     const std::vector<std::pair<std::string, std::string>>& query, const Json& body,
                     const std::vector<sigv4::Header>& extra_headers) {
  std::string target = path;
  for (size_t i = 0; i < query.size(); ++i) {
    target += (i == 0 ? "?" : "&") + sigv4::uri_encode(query[i].first, false) + "=" +
              sigv4::uri_encode(query[i].second, false);
  }
  const std::string payload = body.is_null() ? std::string() : body.dump();
  sigv4::Request sreq = sign_request(ep_, method, target, payload, extra_headers, creds_, region_,
                                     static_cast<int64_t>(std::time(nullptr)));
  httplib::Request req;
  req.method = method;
  req.path = sreq.target;
  for (const auto& h : sreq.headers) req.headers.emplace(h.name, h.value);
  req.body = payload;
  if (!payload.empty()) req.set_header("Content-Length", std::to_string(payload.size()));
  auto res = http_->client.send(req);
  if (!res) {
    const httplib::Error err = res.error();
    const std::string what = method + " " + ep_.scheme + "://" + ep_.host_header + path + ": " + httplib::to_string(err);
    switch (err) {
      case httplib::Error::Connection: throw TransportError(TransportError::Kind::kConnect, what);
      case httplib::Error::SSLConnection:
      case httplib::Error::SSLLoadingCerts:
      case httplib::Error::SSLServerVerification: throw TransportError(TransportError::Kind::kTls, what);
      case httplib::Error::Read:
      case httplib::Error::Write:
      case httplib::Error::ConnectionTimeout: throw TransportError(TransportError::Kind::kTimeout, what);
      default: throw TransportError(TransportError::Kind::kOther, what);
    }
  }
  Json parsed = res->body.empty() ? Json::object() : Json::parse(res->body, nullptr, false);
  if (res->status < 200 || res->status >= 300) {
    throw AwsError(res->status, error_type(*res, parsed), error_message(parsed, res->body));
  }
  if (parsed.is_discarded()) {
    throw AwsError(res->status, "MalformedResponse",
                   "the answer to " + method + " " + path + " is not JSON: " + res->body.substr(0, 200));
  }
  return parsed;
}

Certificate IotClient::create_certificate_from_csr(const std::string& csr_pem, bool set_as_active) {
  Json r = call("POST", "/certificates", {{"setAsActive", set_as_active ? "true" : "false"}},
                Json{{"certificateSigningRequest", csr_pem}});
  return {r.value("certificateArn", ""), r.value("certificateId", ""), r.value("certificatePem", "")};
}

std::optional<Json> IotClient::describe_certificate(const std::string& id) {
  try {
    return call("GET", "/certificates/" + seg(id));
  } catch (const AwsError& e) {
    if (is_not_found(e)) return std::nullopt;
    throw;
  }
}

std::optional<Json> IotClient::get_policy(const std::string& name) {
  try {
    return call("GET", "/policies/" + seg(name));
  } catch (const AwsError& e) {
    if (is_not_found(e)) return std::nullopt;
    throw;
  }
}

void IotClient::create_policy(const std::string& name, const std::string& document) {
  call("POST", "/policies/" + seg(name), {}, Json{{"policyDocument", document}});
}

void IotClient::attach_policy(const std::string& policy, const std::string& target) {
  call("PUT", "/target-policies/" + seg(policy), {}, Json{{"target", target}});
}

std::optional<Json> IotClient::describe_thing(const std::string& name) {
  try {
    return call("GET", "/things/" + seg(name));
  } catch (const AwsError& e) {
    if (is_not_found(e)) return std::nullopt;
    throw;
  }
}

void IotClient::create_thing(const std::string& name) { call("POST", "/things/" + seg(name), {}, Json::object()); }

void IotClient::attach_thing_principal(const std::string& thing, const std::string& principal) {
  call("PUT", "/things/" + seg(thing) + "/principals", {}, nullptr, {{"x-amzn-principal", principal}});
}

std::string IotClient::describe_endpoint(const std::string& type) {
  Json r = call("GET", "/endpoint", {{"endpointType", type}});
  return r.value("endpointAddress", "");
}

std::string IotClient::local_ca_pem() {
  auto res = http_->client.Get((ep_.base_path + "/ca.pem").c_str());
  if (!res || res->status != 200 || res->body.find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
    return "";
  }
  return res->body;
}

}  // namespace mos::aws

// The AWS IoT control-plane calls `mos aws-iot-setup` needs, as SigV4-signed
// REST JSON requests (AWS IoT API Reference) over cpp-httplib (HTTPS with
// OpenSSL, or plain HTTP for the local cloud). One connection is kept alive
// for the whole sequence. Host-only: failures throw AwsError (the service
// answered an error) or TransportError (no answer).
#pragma once
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "mos/sigv4/sigv4.h"

namespace mos::aws {

using Json = nlohmann::json;

// botocore signs the IoT control plane with the credential scope service
// "execute-api" (the endpoints model's credentialScope for iot).
inline constexpr const char* kIotSigningName = "execute-api";

struct AwsError : std::runtime_error {
  AwsError(int status_, std::string type_, std::string message_)
      : std::runtime_error(type_ + ": " + message_), status(status_), type(std::move(type_)),
        message(std::move(message_)) {}
  int status;
  std::string type;  // "ResourceNotFoundException", "InvalidSignatureException", ...
  std::string message;
};

struct TransportError : std::runtime_error {
  enum class Kind { kConnect, kTls, kTimeout, kOther };
  TransportError(Kind k, const std::string& what) : std::runtime_error(what), kind(k) {}
  Kind kind;
};

// The parts of an endpoint URL: scheme, host, port, and the Host header value.
struct Endpoint {
  std::string scheme;  // "http" | "https"
  std::string host;
  int port = 0;
  std::string host_header;  // host, plus ":port" when not the scheme's default
  std::string base_path;    // "" or "/prefix" (no trailing slash)
};
// Returns nullopt for anything that is not http(s)://host[:port][/path].
std::optional<Endpoint> parse_endpoint(const std::string& url);

// Builds and signs one request the way IotClient sends it (exposed so that a
// test can compare the Authorization header with botocore's).
sigv4::Request sign_request(const Endpoint& ep, const std::string& method, const std::string& target,
                            const std::string& body, const std::vector<sigv4::Header>& extra_headers,
                            const sigv4::Credentials& creds, const std::string& region, int64_t now);

struct Certificate {
  std::string arn, id, pem;
};

class IotClient {
 public:
  IotClient(const std::string& endpoint_url, std::string region, sigv4::Credentials creds,
            const std::string& ca_bundle);
  ~IotClient();

  const Endpoint& endpoint() const { return ep_; }

  // One signed call; returns the parsed JSON body ({} when empty).
  Json call(const std::string& method, const std::string& path,
            const std::vector<std::pair<std::string, std::string>>& query = {}, const Json& body = nullptr,
            const std::vector<sigv4::Header>& extra_headers = {});

  Certificate create_certificate_from_csr(const std::string& csr_pem, bool set_as_active);
  std::optional<Json> describe_certificate(const std::string& id);  // nullopt: not found
  std::optional<Json> get_policy(const std::string& name);           // nullopt: not found
  void create_policy(const std::string& name, const std::string& document);
  void attach_policy(const std::string& policy, const std::string& target);
  std::optional<Json> describe_thing(const std::string& name);       // nullopt: not found
  void create_thing(const std::string& name);
  void attach_thing_principal(const std::string& thing, const std::string& principal);
  std::string describe_endpoint(const std::string& type);

  // The local cloud's root CA: its unsigned GET /ca.pem (not an AWS API).
  std::string local_ca_pem();

 private:
  struct Http;
  Endpoint ep_;
  std::string region_;
  sigv4::Credentials creds_;
  std::unique_ptr<Http> http_;
};

}  // namespace mos::aws

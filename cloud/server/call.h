// What a route handler of the mos-cloud API sees: the request already
// authenticated and parsed (path segments, query, JSON body), the services it
// may use, and the helpers every resource shares (AWS-shaped responses,
// pagination, name rules from the iot service model).
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api.h"

namespace mos::cloud {

using nlohmann::json;

// One request being served.
struct Call {
  const sigv4::Request& req;
  std::string method;
  std::vector<std::string> seg;  // decoded path segments
  std::map<std::string, std::string> query;  // decoded; the last of repeated names wins
  json body = json::object();
  int64_t now = 0;

  std::string q(const std::string& k, const std::string& def = "") const {
    auto it = query.find(k);
    return it == query.end() ? def : it->second;
  }
  std::string header(const std::string& name) const {
    auto v = req.value(name);
    return v ? std::string(*v) : std::string();
  }
};

// The services behind the API.
struct Services {
  const Settings& settings;
  registry::Registry& reg;
  ca::Authority& ca;
  const PublishFn& publish;
};

Response ok(const json& j);
Response ok_empty();
Response invalid(const std::string& msg);    // 400 InvalidRequestException
Response not_found(const std::string& msg);  // 404 ResourceNotFoundException
Response internal(const std::string& msg);   // 500 InternalFailureException
// 409 ResourceAlreadyExistsException with resourceId/resourceArn members.
Response already_exists(const std::string& message, const std::string& id, const std::string& arn);

// "1 validation error detected: Value '...' at 'member' failed to satisfy constraint: rule"
std::string validation(const std::string& value, const std::string& member, const std::string& rule);
std::string lower(std::string s);
bool all_of_chars(const std::string& s, const char* extra);  // alnum or one of `extra`
bool valid_thing_name(const std::string& s);
bool valid_policy_name(const std::string& s);
bool valid_cert_id(const std::string& s);
std::string random_uuid();

// Opaque continuation token over an ordered list: the next offset in decimal.
struct Page {
  size_t begin = 0, end = 0;
  std::string next;
  bool ok = true;
};
Page paginate(size_t total, const std::string& token, const std::string& size_text, size_t max_size);

// nullopt if `principal` is a certificate ARN of this registry; otherwise
// the AWS error (404 for an unknown certificate ARN, 400 for anything else).
std::optional<Response> check_principal(Services& s, const std::string& principal, const char* member);

}  // namespace mos::cloud

// The route table of the mos-cloud API: method + path pattern -> handler.
// A pattern is a '/'-separated list of literal segments and "{name}"
// placeholders (one decoded segment each), as in the iot service model's
// requestUri. Each resource file contributes its rows.
#pragma once
#include <vector>

#include "call.h"

namespace mos::cloud {

using Handler = Response (*)(Services& s, Call& c);

struct Route {
  const char* method;   // "GET", "POST", ...
  const char* pattern;  // "/things/{thingName}/principals"
  Handler handler;
  const char* operation;  // the AWS operation name, for readers and logs
};

std::vector<Route> certificate_routes();  // routes_certificates.cpp
std::vector<Route> policy_routes();       // routes_policies.cpp (policies, versions, attachments)
std::vector<Route> thing_routes();        // routes_things.cpp
std::vector<Route> endpoint_routes();     // routes_endpoint.cpp
std::vector<Route> dataplane_routes();    // routes_dataplane.cpp (iot-data Publish)

// UpdateCertificate's rules, shared with the web console (cloud/console):
// `raw_id` as the caller gave it (any case), `status` ACTIVE, INACTIVE or
// REVOKED; a REVOKED certificate cannot change status. nullopt once the
// status is set, else AWS's error reply.
std::optional<Response> update_certificate_status(registry::Registry& reg, const std::string& raw_id,
                                                  const std::string& status, int64_t now);

// The first route whose method and pattern match, or nullptr.
const Route* match_route(const std::vector<Route>& table, const std::string& method,
                         const std::vector<std::string>& seg);

}  // namespace mos::cloud

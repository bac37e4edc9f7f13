// DescribeEndpoint (GET /endpoint).
#include "routes.h"

namespace mos::cloud {
namespace {

Response describe_endpoint(Services& s, Call& c) {
  std::string type = c.q("endpointType", "iot:Data");
  if (type != "iot:Data" && type != "iot:Data-ATS" && type != "iot:CredentialProvider" && type != "iot:Jobs")
    return invalid(validation(type, "endpointType",
                              "Member must be one of iot:Data, iot:Data-ATS, iot:CredentialProvider, iot:Jobs"));
  // AWS answers a host name; devices add :8883. The local broker listens on
  // localhost, so the port is appended only when it is not 8883.
  std::string host = "localhost";
  if (s.settings.mqtt_port != 8883) host += ":" + std::to_string(s.settings.mqtt_port);
  return ok({{"endpointAddress", host}});
}

}  // namespace

std::vector<Route> endpoint_routes() { return {{"GET", "/endpoint", describe_endpoint, "DescribeEndpoint"}}; }

}  // namespace mos::cloud

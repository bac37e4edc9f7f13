// The AWS IoT control-plane API (REST JSON, service "iot", API version
// 2015-05-28) and the data-plane Publish of mos-cloud, independent of the HTTP
// server: a request in, a response out. Paths, field names, status codes and
// error shapes follow botocore's iot and iot-data service models.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "mos/ca/ca.h"
#include "mos/registry/registry.h"
#include "mos/sigv4/sigv4.h"

namespace mos::cloud {

struct Settings {
  std::string access_key_id = "AKIDMOSLOCAL";
  std::string secret_access_key = "mos-local-secret";
  std::string region = "us-east-1";
  int mqtt_port = 8883;
  size_t max_body = 128 * 1024;  // larger bodies: 413 RequestEntityTooLargeException
};

struct Response {
  int status = 200;
  std::string body;  // JSON
  std::map<std::string, std::string> headers;
};

// Publishes into the broker (the data plane); returns "" on success or the
// reason it failed.
using PublishFn = std::function<std::string(const std::string& topic, const std::string& payload,
                                            int qos, bool retain)>;

class Api {
 public:
  Api(Settings settings, registry::Registry& reg, ca::Authority& ca, PublishFn publish);
  // `now` is unix seconds (SigV4 clock-skew check).
  Response handle(const sigv4::Request& req, int64_t now);
  // AWS-shaped error response (x-amzn-ErrorType + {"message"}).
  static Response error(int status, const std::string& type, const std::string& message);

 private:
  Settings s_;
  registry::Registry& reg_;
  ca::Authority& ca_;
  PublishFn publish_;
};

}  // namespace mos::cloud

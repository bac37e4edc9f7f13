// Test helper: signs one request exactly as IotClient does (sign_request) and
// prints its headers, so test_sign_botocore.py can compare with botocore.
// stdin: {"url","method","target","body","headers":[[n,v]],"key","secret","token","region","now"}
// stdout: {"headers":[[n,v],...]}
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "mos/aws/iot_client.h"

int main() {
  std::string in((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded()) return 2;
  auto ep = mos::aws::parse_endpoint(j.at("url").get<std::string>());
  if (!ep) return 3;
  std::vector<mos::sigv4::Header> extra;
  for (const auto& h : j.value("headers", nlohmann::json::array())) extra.push_back({h.at(0), h.at(1)});
  mos::sigv4::Credentials c{j.at("key"), j.at("secret"), j.value("token", "")};
  auto req = mos::aws::sign_request(*ep, j.at("method"), j.at("target"), j.value("body", ""), extra, c,
                                    j.at("region"), j.at("now").get<int64_t>());
  nlohmann::json out{{"target", req.target}, {"headers", nlohmann::json::array()}};
  for (const auto& h : req.headers) out["headers"].push_back({h.name, h.value});
  std::cout << out.dump() << "\n";
  return 0;
}

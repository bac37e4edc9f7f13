#include "console_identity.h"

#include <nlohmann/json.hpp>

#include "mos/ca/ca.h"
#include "mos/cloud/service_clients.h"

namespace mos::console {

std::string console_policy_document(const std::string& region, const std::string& account_id) {
  std::string arn = "arn:aws:iot:" + region + ":" + account_id + ":";
  nlohmann::json doc{
      {"Version", "2012-10-17"},
      {"Statement",
       {{{"Effect", "Allow"}, {"Action", "iot:Connect"}, {"Resource", arn + "client/" + cloud::kConsoleClientId}},
        {{"Effect", "Allow"}, {"Action", {"iot:Publish", "iot:Receive"}}, {"Resource", arn + "topic/*"}},
        {{"Effect", "Allow"}, {"Action", "iot:Subscribe"}, {"Resource", arn + "topicfilter/*"}}}}};
  return doc.dump();
}

bool register_console_identity(registry::Registry& reg, const std::string& cert_pem, const std::string& ca_id,
                               int64_t now, std::string& error) {
  auto issued = ca::describe_certificate(cert_pem);
  if (!issued) {
    error = "the console's certificate does not parse";
    return false;
  }
  if (reg.certificate(issued->id)) return true;  // registered before: leave it as a person left it
  const std::string policy = cloud::kConsolePolicyName;
  if (!reg.policy(policy)) {
    registry::Err e = reg.create_policy(policy, console_policy_document(reg.region(), reg.account_id()), now);
    if (e != registry::Err::kOk && e != registry::Err::kExists) {
      error = "cannot create the policy " + policy + ": " + reg.last_error();
      return false;
    }
  }
  registry::Certificate c;
  c.id = issued->id;
  c.arn = reg.arn("cert", issued->id);
  c.status = "ACTIVE";
  c.pem = issued->pem;
  c.subject = issued->subject;
  c.ca_certificate_id = ca_id;
  c.created_at = c.updated_at = now;
  c.not_before = issued->not_before;
  c.not_after = issued->not_after;
  using registry::Err;
  if (reg.add_certificate(c) != Err::kOk) {
    error = "cannot register the console's certificate: " + reg.last_error();
    return false;
  }
  if (reg.attach_policy(c.arn, policy) != Err::kOk) {
    error = "cannot attach the policy " + policy + " to the console's certificate: " + reg.last_error();
    return false;
  }
  return true;
}

}  // namespace mos::console

#include "views.h"

#include "mos/cloud/service_clients.h"

namespace mos::console {
namespace {

json strings(const std::vector<std::string>& v) {
  json a = json::array();
  for (const auto& s : v) a.push_back(s);
  return a;
}

// A JSON document stored as text (attributes, policy documents), parsed; the
// text itself if it does not parse (it always should: the API validated it).
json parsed(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  return j.is_discarded() ? json(text) : j;
}

}  // namespace

json thing_view(registry::Registry& reg, const registry::Thing& t) {
  auto principals = reg.thing_principals(t.name);
  return {{"name", t.name}, {"arn", t.arn}, {"attributes", parsed(t.attributes)},
          {"principals", strings(principals ? *principals : std::vector<std::string>{})}};
}

json certificate_view(registry::Registry& reg, const registry::Certificate& c) {
  return {{"id", c.id},
          {"arn", c.arn},
          {"status", c.status},
          {"subject", c.subject},
          {"notBefore", c.not_before},
          {"notAfter", c.not_after},
          {"things", strings(reg.principal_things(c.arn))},
          {"policies", strings(reg.attached_policies(c.arn))}};
}

json policy_view(registry::Registry& reg, const registry::Policy& p) {
  // Registry::policies() lists without documents; policy() has the default one.
  std::string doc = p.default_document;
  if (doc.empty())
    if (auto full = reg.policy(p.name)) doc = full->default_document;
  return {{"name", p.name},
          {"arn", p.arn},
          {"defaultVersionId", std::to_string(p.default_version)},
          {"document", parsed(doc)},
          {"targets", strings(reg.policy_targets(p.name))}};
}

json connection_view(const registry::ConnectedClient& c, const ServiceIdentities& ids) {
  json j{{"clientId", c.client_id},
         {"certificateId", c.certificate_id},
         {"thingName", c.thing_name.empty() ? json(nullptr) : json(c.thing_name)},
         {"connectedAt", c.connected_at}};
  bool service = (c.client_id == cloud::kDataplaneClientId && !ids.dataplane_certificate_id.empty() &&
                  c.certificate_id == ids.dataplane_certificate_id) ||
                 (c.client_id == cloud::kConsoleClientId && !ids.console_certificate_id.empty() &&
                  c.certificate_id == ids.console_certificate_id);
  if (service) j["service"] = true;
  return j;
}

json connections_view(const std::vector<registry::ConnectedClient>& all, const ServiceIdentities& ids) {
  json a = json::array();
  for (const auto& c : all) a.push_back(connection_view(c, ids));
  return a;
}

json denial_view(const Denial& d) {
  return {{"id", d.id},           {"time", d.at_ms},         {"clientId", d.client_id},
          {"certificateId", d.certificate_id}, {"action", d.action}, {"resource", d.resource},
          {"reason", d.reason}};
}

std::string to_text(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace mos::console

// Policies, their versions and attachments: CreatePolicy, GetPolicy,
// DeletePolicy, ListPolicies, Create/Get/List/Delete PolicyVersion,
// SetDefaultPolicyVersion, Attach/DetachPolicy, Attach/DetachPrincipalPolicy,
// ListAttachedPolicies, ListPrincipalPolicies, ListTargetsForPolicy.
#include <algorithm>

#include "mos/policy/policy.h"
#include "routes.h"

namespace mos::cloud {
namespace {

using registry::Err;

Response bad_policy_name(const std::string& name) {
  return invalid(validation(name, "policyName", "Member must have length 1..128 and match [\\w+=,.@-]+"));
}
Response missing(const std::string& name) { return not_found("Policy " + name + " does not exist."); }

// The policyDocument member, validated; or the error to answer.
std::optional<Response> document(Call& c, std::string& doc) {
  auto it = c.body.find("policyDocument");
  if (it == c.body.end() || !it->is_string()) return invalid("policyDocument is required (a JSON policy as a string).");
  doc = it->get<std::string>();
  auto r = mos::policy::validate(doc);
  if (!r.ok) return Api::error(400, "MalformedPolicyException", "Policy document is malformed: " + r.error);
  return std::nullopt;
}

Response list_policies(Services& s, Call& c) {
  auto all = s.reg.policies(lower(c.q("isAscendingOrder", "true")) != "false");
  Page p = paginate(all.size(), c.q("marker"), c.q("pageSize"), 250);
  if (!p.ok) return invalid("pageSize must be 1..250 and marker a value returned as nextMarker.");
  json list = json::array();
  for (size_t i = p.begin; i < p.end; ++i) list.push_back({{"policyName", all[i].name}, {"policyArn", all[i].arn}});
  json out{{"policies", list}};
  if (!p.next.empty()) out["nextMarker"] = p.next;
  return ok(out);
}

Response create_policy(Services& s, Call& c) {
  const std::string& name = c.seg[1];
  if (!valid_policy_name(name)) return bad_policy_name(name);
  std::string doc;
  if (auto e = document(c, doc)) return *e;
  switch (s.reg.create_policy(name, doc, c.now)) {
    case Err::kOk:
      return ok({{"policyName", name}, {"policyArn", s.reg.arn("policy", name)},
                 {"policyDocument", doc}, {"policyVersionId", "1"}});
    case Err::kExists: return already_exists("Policy " + name + " already exists.", name, s.reg.arn("policy", name));
    default: return internal(s.reg.last_error());
  }
}

Response get_policy(Services& s, Call& c) {
  const std::string& name = c.seg[1];
  if (!valid_policy_name(name)) return bad_policy_name(name);
  auto p = s.reg.policy(name);
  if (!p) return missing(name);
  return ok({{"policyName", p->name}, {"policyArn", p->arn}, {"policyDocument", p->default_document},
             {"defaultVersionId", std::to_string(p->default_version)},
             {"creationDate", p->created_at}, {"lastModifiedDate", p->updated_at},
             {"generationId", std::to_string(p->default_version)}});
}

Response delete_policy(Services& s, Call& c) {
  const std::string& name = c.seg[1];
  if (!valid_policy_name(name)) return bad_policy_name(name);
  switch (s.reg.delete_policy(name)) {
    case Err::kOk: return ok_empty();
    case Err::kNotFound: return missing(name);
    case Err::kConflict:
      return Api::error(409, "DeleteConflictException",
                        "The policy " + name + " is attached to one or more principals; detach it first (detach-policy).");
    case Err::kLimit:
      return Api::error(409, "DeleteConflictException",
                        "Cannot delete the policy " + name + " because it has versions other than the default "
                        "version; delete them first (delete-policy-version).");
    default: return internal(s.reg.last_error());
  }
}

Response create_policy_version(Services& s, Call& c) {
  const std::string& name = c.seg[1];
  if (!valid_policy_name(name)) return bad_policy_name(name);
  std::string doc;
  if (!s.reg.policy(name)) return missing(name);
  if (auto e = document(c, doc)) return *e;
  bool set_default = lower(c.q("setAsDefault")) == "true";
  int64_t version = 0;
  switch (s.reg.create_policy_version(name, doc, set_default, c.now, version)) {
    case Err::kOk:
      return ok({{"policyArn", s.reg.arn("policy", name)}, {"policyDocument", doc},
                 {"policyVersionId", std::to_string(version)}, {"isDefaultVersion", set_default}});
    case Err::kNotFound: return missing(name);
    case Err::kLimit:
      return Api::error(409, "VersionsLimitExceededException",
                        "The policy " + name + " already has the maximum number of versions (" +
                            std::to_string(registry::kMaxPolicyVersions) + "); delete one first (delete-policy-version).");
    default: return internal(s.reg.last_error());
  }
}

Response list_policy_versions(Services& s, Call& c) {
  const std::string& name = c.seg[1];
  if (!valid_policy_name(name)) return bad_policy_name(name);
  auto vs = s.reg.policy_versions(name);
  if (!vs) return missing(name);
  json list = json::array();
  for (const auto& v : *vs)
    list.push_back({{"versionId", std::to_string(v.version)}, {"isDefaultVersion", v.is_default},
                    {"createDate", v.created_at}});
  return ok({{"policyVersions", list}});
}

// {policyName} and {policyVersionId} of /policies/{policyName}/version/{policyVersionId}.
std::optional<Response> version_args(Call& c, int64_t& version) {
  if (!valid_policy_name(c.seg[1])) return bad_policy_name(c.seg[1]);
  const std::string& vid = c.seg[3];
  if (vid.empty() || vid.size() > 9 || !std::all_of(vid.begin(), vid.end(), ::isdigit))
    return invalid(validation(vid, "policyVersionId", "Member must match [0-9]+"));
  version = std::stoll(vid);
  return std::nullopt;
}

Response get_policy_version(Services& s, Call& c) {
  int64_t version = 0;
  if (auto e = version_args(c, version)) return *e;
  const std::string &name = c.seg[1], &vid = c.seg[3];
  auto vs = s.reg.policy_versions(name);
  if (!vs) return missing(name);
  for (const auto& v : *vs) {
    if (v.version != version) continue;
    auto p = s.reg.policy(name);
    return ok({{"policyArn", s.reg.arn("policy", name)}, {"policyName", name},
               {"policyDocument", v.document}, {"policyVersionId", vid},
               {"isDefaultVersion", v.is_default}, {"creationDate", v.created_at},
               {"lastModifiedDate", p ? p->updated_at : v.created_at},
               {"generationId", vid}});
  }
  return not_found("Version " + vid + " of policy " + name + " does not exist.");
}

Response change_policy_version(Services& s, Call& c) {  // PATCH: set default; DELETE: delete
  int64_t version = 0;
  if (auto e = version_args(c, version)) return *e;
  const std::string &name = c.seg[1], &vid = c.seg[3];
  Err e = c.method == "PATCH" ? s.reg.set_default_policy_version(name, version, c.now)
                              : s.reg.delete_policy_version(name, version);
  switch (e) {
    case Err::kOk: return ok_empty();
    case Err::kNotFound: return not_found("Version " + vid + " of policy " + name + " does not exist.");
    case Err::kConflict:
      return Api::error(409, "DeleteConflictException",
                        "Cannot delete the default version " + vid + " of policy " + name +
                            "; make another version the default first (set-default-policy-version).");
    default: return internal(s.reg.last_error());
  }
}

// Attach (PUT) / detach (other) policy {policyName} to/from `principal`.
Response attach(Services& s, Call& c, const std::string& principal, const char* member, bool attach) {
  const std::string& name = c.seg[1];
  if (!valid_policy_name(name)) return bad_policy_name(name);
  if (!s.reg.policy(name)) return missing(name);
  if (auto e = check_principal(s, principal, member)) return *e;
  Err e = attach ? s.reg.attach_policy(principal, name) : s.reg.detach_policy(principal, name);
  if (e == Err::kNotFound) return missing(name);
  return e == Err::kOk ? ok_empty() : internal(s.reg.last_error());
}

Response target_policy(Services& s, Call& c) {  // AttachPolicy (PUT), DetachPolicy (POST)
  auto it = c.body.find("target");
  std::string target = it != c.body.end() && it->is_string() ? it->get<std::string>() : "";
  return attach(s, c, target, "target", c.method == "PUT");
}

Response principal_policy(Services& s, Call& c) {  // Attach/DetachPrincipalPolicy (PUT/DELETE)
  return attach(s, c, c.header("x-amzn-iot-principal"), "principal", c.method == "PUT");
}

Response policy_list(Services& s, Call& c, const std::vector<std::string>& names) {
  Page p = paginate(names.size(), c.q("marker"), c.q("pageSize"), 250);
  if (!p.ok) return invalid("pageSize must be 1..250 and marker a value returned as nextMarker.");
  json list = json::array();
  for (size_t i = p.begin; i < p.end; ++i)
    list.push_back({{"policyName", names[i]}, {"policyArn", s.reg.arn("policy", names[i])}});
  json out{{"policies", list}};
  if (!p.next.empty()) out["nextMarker"] = p.next;
  return ok(out);
}

Response list_attached_policies(Services& s, Call& c) {
  if (auto e = check_principal(s, c.seg[1], "target")) return *e;
  return policy_list(s, c, s.reg.attached_policies(c.seg[1]));
}

Response list_principal_policies(Services& s, Call& c) {
  std::string principal = c.header("x-amzn-iot-principal");
  if (auto e = check_principal(s, principal, "principal")) return *e;
  return policy_list(s, c, s.reg.attached_policies(principal));
}

Response list_targets_for_policy(Services& s, Call& c) {
  const std::string& name = c.seg[1];
  if (!valid_policy_name(name)) return bad_policy_name(name);
  if (!s.reg.policy(name)) return missing(name);
  auto all = s.reg.policy_targets(name);
  Page p = paginate(all.size(), c.q("marker"), c.q("pageSize"), 250);
  if (!p.ok) return invalid("pageSize must be 1..250 and marker a value returned as nextMarker.");
  json out{{"targets", std::vector<std::string>(all.begin() + static_cast<long>(p.begin),
                                                all.begin() + static_cast<long>(p.end))}};
  if (!p.next.empty()) out["nextMarker"] = p.next;
  return ok(out);
}

}  // namespace

std::vector<Route> policy_routes() {
  return {
      {"GET", "/policies", list_policies, "ListPolicies"},
      {"POST", "/policies/{policyName}", create_policy, "CreatePolicy"},
      {"GET", "/policies/{policyName}", get_policy, "GetPolicy"},
      {"DELETE", "/policies/{policyName}", delete_policy, "DeletePolicy"},
      {"POST", "/policies/{policyName}/version", create_policy_version, "CreatePolicyVersion"},
      {"GET", "/policies/{policyName}/version", list_policy_versions, "ListPolicyVersions"},
      {"GET", "/policies/{policyName}/version/{policyVersionId}", get_policy_version, "GetPolicyVersion"},
      {"PATCH", "/policies/{policyName}/version/{policyVersionId}", change_policy_version, "SetDefaultPolicyVersion"},
      {"DELETE", "/policies/{policyName}/version/{policyVersionId}", change_policy_version, "DeletePolicyVersion"},
      {"PUT", "/target-policies/{policyName}", target_policy, "AttachPolicy"},
      {"POST", "/target-policies/{policyName}", target_policy, "DetachPolicy"},
      {"PUT", "/principal-policies/{policyName}", principal_policy, "AttachPrincipalPolicy"},
      {"DELETE", "/principal-policies/{policyName}", principal_policy, "DetachPrincipalPolicy"},
      {"POST", "/attached-policies/{target}", list_attached_policies, "ListAttachedPolicies"},
      {"GET", "/principal-policies", list_principal_policies, "ListPrincipalPolicies"},
      {"POST", "/policy-targets/{policyName}", list_targets_for_policy, "ListTargetsForPolicy"},
  };
}

}  // namespace mos::cloud

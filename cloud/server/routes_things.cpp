// Things and their principals: ListThings, CreateThing, DescribeThing,
// DeleteThing, ListThingPrincipals, Attach/DetachThingPrincipal,
// ListPrincipalThings.
#include <algorithm>

#include "routes.h"

namespace mos::cloud {
namespace {

using registry::Err;

std::optional<Response> thing_name(Call& c) {
  const std::string& name = c.seg[1];
  if (valid_thing_name(name)) return std::nullopt;
  return invalid(validation(name, "thingName", "Member must have length 1..128 and match [a-zA-Z0-9:_-]+"));
}
Response missing(const std::string& name) { return not_found("Thing " + name + " does not exist."); }

Response list_things(Services& s, Call& c) {
  auto all = s.reg.things();
  std::string an = c.q("attributeName"), av = c.q("attributeValue"), tt = c.q("thingTypeName");
  std::vector<registry::Thing> sel;
  for (auto& t : all) {
    if (!tt.empty() && t.thing_type != tt) continue;
    if (!an.empty()) {
      json attrs = json::parse(t.attributes, nullptr, false);
      if (!attrs.is_object() || !attrs.contains(an)) continue;
      if (!av.empty() && attrs[an] != av) continue;
    }
    sel.push_back(t);
  }
  Page p = paginate(sel.size(), c.q("nextToken"), c.q("maxResults"), 250);
  if (!p.ok) return invalid("maxResults must be 1..250 and nextToken a value returned as nextToken.");
  json list = json::array();
  for (size_t i = p.begin; i < p.end; ++i) {
    json t{{"thingName", sel[i].name}, {"thingArn", sel[i].arn},
           {"attributes", json::parse(sel[i].attributes, nullptr, false)}, {"version", sel[i].version}};
    if (!sel[i].thing_type.empty()) t["thingTypeName"] = sel[i].thing_type;
    list.push_back(t);
  }
  json out{{"things", list}};
  if (!p.next.empty()) out["nextToken"] = p.next;
  return ok(out);
}

Response list_principal_things(Services& s, Call& c) {
  std::string principal = c.header("x-amzn-principal");
  if (auto e = check_principal(s, principal, "principal")) return *e;
  auto names = s.reg.principal_things(principal);
  Page p = paginate(names.size(), c.q("nextToken"), c.q("maxResults"), 250);
  if (!p.ok) return invalid("maxResults must be 1..250 and nextToken a value returned as nextToken.");
  json out{{"things", std::vector<std::string>(names.begin() + static_cast<long>(p.begin),
                                               names.begin() + static_cast<long>(p.end))}};
  if (!p.next.empty()) out["nextToken"] = p.next;
  return ok(out);
}

Response create_thing(Services& s, Call& c) {
  if (auto e = thing_name(c)) return *e;
  const std::string& name = c.seg[1];
  registry::Thing t;
  t.name = name;
  t.arn = s.reg.arn("thing", name);
  t.thing_id = random_uuid();
  t.created_at = c.now;
  if (c.body.contains("thingTypeName") && !c.body["thingTypeName"].is_null())
    return not_found("Thing type " + c.body["thingTypeName"].dump() + " does not exist (mos-cloud has no thing types).");
  if (c.body.contains("billingGroupName") && !c.body["billingGroupName"].is_null())
    return not_found("Billing group " + c.body["billingGroupName"].dump() + " does not exist.");
  json attrs = json::object();
  if (c.body.contains("attributePayload")) {
    const json& ap = c.body["attributePayload"];
    if (!ap.is_object()) return invalid("attributePayload must be an object.");
    if (ap.contains("attributes")) {
      if (!ap["attributes"].is_object()) return invalid("attributePayload.attributes must be an object.");
      for (auto& [k, v] : ap["attributes"].items()) {
        if (k.empty() || k.size() > 128 || !all_of_chars(k, "_.,@/:#-"))
          return invalid(validation(k, "attributePayload.attributes", "keys must match [a-zA-Z0-9_.,@/:#-]+"));
        if (!v.is_string() || v.get<std::string>().size() > 800)
          return invalid(validation(k, "attributePayload.attributes", "values must be strings of at most 800 characters"));
      }
      attrs = ap["attributes"];
    }
  }
  t.attributes = attrs.dump();
  switch (s.reg.create_thing(t)) {
    case Err::kOk: return ok({{"thingName", t.name}, {"thingArn", t.arn}, {"thingId", t.thing_id}});
    case Err::kExists:
      return already_exists("Thing " + name + " already exists in account with different attributes", name, t.arn);
    default: return internal(s.reg.last_error());
  }
}

Response describe_thing(Services& s, Call& c) {
  if (auto e = thing_name(c)) return *e;
  auto t = s.reg.thing(c.seg[1]);
  if (!t) return missing(c.seg[1]);
  json out{{"defaultClientId", t->name}, {"thingName", t->name}, {"thingId", t->thing_id},
           {"thingArn", t->arn}, {"attributes", json::parse(t->attributes, nullptr, false)},
           {"version", t->version}};
  if (!t->thing_type.empty()) out["thingTypeName"] = t->thing_type;
  return ok(out);
}

Response delete_thing(Services& s, Call& c) {
  if (auto e = thing_name(c)) return *e;
  const std::string& name = c.seg[1];
  std::optional<int64_t> expected;
  std::string ev = c.q("expectedVersion");
  if (!ev.empty()) {
    if (ev.size() > 18 || !std::all_of(ev.begin(), ev.end(), ::isdigit))
      return invalid(validation(ev, "expectedVersion", "Member must be a number"));
    expected = std::stoll(ev);
  }
  switch (s.reg.delete_thing(name, expected)) {
    case Err::kOk:
    case Err::kNotFound:  // AWS: deleting a thing that does not exist succeeds
      return ok_empty();
    case Err::kState:
      return Api::error(409, "VersionConflictException",
                        "The expected version " + ev + " does not match the thing's version.");
    case Err::kConflict:
      return invalid("Thing " + name + " has principals attached; detach them first (detach-thing-principal).");
    default: return internal(s.reg.last_error());
  }
}

Response list_thing_principals(Services& s, Call& c) {
  if (auto e = thing_name(c)) return *e;
  auto ps = s.reg.thing_principals(c.seg[1]);
  if (!ps) return missing(c.seg[1]);
  Page p = paginate(ps->size(), c.q("nextToken"), c.q("maxResults"), 250);
  if (!p.ok) return invalid("maxResults must be 1..250 and nextToken a value returned as nextToken.");
  json out{{"principals", std::vector<std::string>(ps->begin() + static_cast<long>(p.begin),
                                                   ps->begin() + static_cast<long>(p.end))}};
  if (!p.next.empty()) out["nextToken"] = p.next;
  return ok(out);
}

Response thing_principal(Services& s, Call& c) {  // Attach (PUT) / Detach (DELETE) ThingPrincipal
  if (auto e = thing_name(c)) return *e;
  const std::string& name = c.seg[1];
  std::string principal = c.header("x-amzn-principal");
  if (!s.reg.thing(name)) return missing(name);
  bool attach = c.method == "PUT";
  if (attach) {
    if (auto e = check_principal(s, principal, "principal")) return *e;
  } else if (principal.empty()) {
    return invalid("The principal is required.");
  }
  Err e = attach ? s.reg.attach_thing_principal(name, principal) : s.reg.detach_thing_principal(name, principal);
  if (e == Err::kNotFound) return missing(name);
  return e == Err::kOk ? ok(json::object()) : internal(s.reg.last_error());
}

}  // namespace

std::vector<Route> thing_routes() {
  return {
      {"GET", "/things", list_things, "ListThings"},
      {"GET", "/principals/things", list_principal_things, "ListPrincipalThings"},
      {"POST", "/things/{thingName}", create_thing, "CreateThing"},
      {"GET", "/things/{thingName}", describe_thing, "DescribeThing"},
      {"DELETE", "/things/{thingName}", delete_thing, "DeleteThing"},
      {"GET", "/things/{thingName}/principals", list_thing_principals, "ListThingPrincipals"},
      {"PUT", "/things/{thingName}/principals", thing_principal, "AttachThingPrincipal"},
      {"DELETE", "/things/{thingName}/principals", thing_principal, "DetachThingPrincipal"},
  };
}

}  // namespace mos::cloud

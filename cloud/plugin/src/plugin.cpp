// mos_policy_plugin.so: Mosquitto 2.0 plugin (plugin API version 5) that
// enforces AWS IoT Core rules with mos-cloud's registry:
//  - CONNECT (MOSQ_EVT_BASIC_AUTH): the client certificate's DER SHA-256 must be
//    a registered, ACTIVE certificate, and iot:Connect on client/<clientId> must
//    be allowed by the policies attached to the certificate ARN;
//  - MOSQ_EVT_ACL_CHECK: publish -> iot:Publish topic/<t>, delivery ->
//    iot:Receive topic/<t>, subscribe -> iot:Subscribe topicfilter/<f>;
//  - MOSQ_EVT_TICK: at most every 250 ms, when the registry changed (PRAGMA
//    data_version), certificate statuses are re-read and sessions whose
//    certificate is no longer ACTIVE (or was deleted) are kicked; policies are
//    re-bound for the others;
//  - AWS IoT Core's message broker limits (mos/cloud/aws_limits.h): client
//    id length at CONNECT, payload size, topic length and depth on PUBLISH
//    (the connection is closed, as AWS does), topic filter length and depth
//    and subscriptions per connection on SUBSCRIBE (that filter is refused);
//  - connects and disconnects are recorded in the registry's connections
//    table (Registry::connected_clients(), `mos cloud status`);
//  - every denial is logged with principal (certificate id), client id,
//    action, resource and the reason, and recorded in the registry's denials
//    table (the newest 1000; `mos cloud denials`, the web console).
//
// Options (mosquitto.conf): plugin_opt_registry_db <registry.db>,
// plugin_opt_dataplane_sha256 <hex> (mos-cloud's own publisher, allowed all).
//
// Facts about Mosquitto 2.0.11 this relies on (measured, ARCHITECTURE.md):
// BASIC_AUTH runs for every CONNECT unless use_identity_as_username is set,
// and mosquitto_client_certificate() then returns the peer's X509.
#include "registry_reader.h"

#include "mos/cloud/aws_limits.h"
#include "mos/policy/policy.h"

extern "C" {
#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>
}

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <ctime>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

using mos::cloud::CertInfo;
using mos::cloud::DenialRecord;
using mos::cloud::Lookup;
using mos::cloud::RegistryReader;
using mos::cloud::ThingInfo;
using mos::policy::BoundPolicies;
using mos::policy::Variables;

// How often the registry is polled for certificate changes: kicks must happen
// within 1 s of UpdateCertificate; Mosquitto ticks at least every ~100 ms.
constexpr auto kRecheckInterval = std::chrono::milliseconds(250);

struct Session {
  std::string client_id;
  std::string cert_id;  // lowercase hex SHA-256 of the certificate DER
  std::string cert_arn;
  std::string common_name;
  bool dataplane = false;
  int64_t serial = 0;          // this CONNECT's number (connections.session)
  std::string thing_name;      // attached thing named like the client id, if any
  size_t policy_count = 0;     // policies attached to the certificate (parsed)
  std::set<std::string> subscriptions;  // filters granted, for the per-connection limit
  Variables vars;
  BoundPolicies bound;
};

struct Plugin {
  mosquitto_plugin_id_t* id = nullptr;
  std::string db_path;
  std::string dataplane_sha256;
  RegistryReader registry;
  std::unordered_map<const struct mosquitto*, Session> sessions;
  std::chrono::steady_clock::time_point next_check{};
  int64_t seen_data_version = -1;
  int64_t next_serial = 1;
  bool warned_connections = false;
  int64_t dropped_denials = 0;  // denial records not written since the last that was
  std::string resource;  // scratch buffer for ACL resource ARNs
};

const char* str_or(const char* s, const char* fallback) { return s ? s : fallback; }

// A denial's row in the registry. The record never changes the decision and
// never waits: a busy registry drops it (RegistryReader::record_denial), with
// one warning per run of drops rather than one per denial.
void record_denial(Plugin* p, const DenialRecord& d) {
  if (!p->registry.is_open()) return;  // nowhere to write; the log line says why
  std::string error;
  if (p->registry.record_denial(d, &error)) {
    if (p->dropped_denials > 0)
      mosquitto_log_printf(MOSQ_LOG_WARNING, "mos-policy: recording denials again; %lld were not recorded",
                           static_cast<long long>(p->dropped_denials));
    p->dropped_denials = 0;
    return;
  }
  if (p->dropped_denials++ == 0)
    mosquitto_log_printf(MOSQ_LOG_WARNING,
                         "mos-policy: cannot record a denial in the registry (mos cloud denials will not "
                         "show it): %s; denials are only logged until it can",
                         error.c_str());
}

// Every refusal: a line in mosquitto.log and a row in the denials table. The
// client id and resource come from the client, so the log line gets the same
// caps as the row (a 64 KB client id is not a log line).
void log_deny(Plugin* p, const std::string& principal, const std::string& client_id, const char* action,
              const std::string& resource, const std::string& why) noexcept {
  try {
    DenialRecord d;
    d.at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
    d.client_id = client_id;
    d.certificate_id = principal;
    d.action = action;
    d.resource = resource;
    d.reason = why;
    mosquitto_log_printf(MOSQ_LOG_NOTICE, "mos-policy: DENY %s principal=%s client=%s resource=%s: %s", action,
                         principal.c_str(), mos::cloud::cap_text(client_id, mos::cloud::kDenialClientIdMax).c_str(),
                         mos::cloud::cap_text(resource, mos::cloud::kDenialResourceMax).c_str(), why.c_str());
    record_denial(p, d);
  } catch (const std::exception& e) {
    mosquitto_log_printf(MOSQ_LOG_ERR, "mos-policy: DENY %s (cannot log it: %s)", action, e.what());
  }
}

namespace L = mos::cloud::aws_limits;

// Topic length and depth (AWS IoT's limits, shared with the web console).
using L::topic_limit_violation;

// What a certificate that is not ACTIVE can do about it. A REVOKED one can
// never be reactivated (UpdateCertificate refuses), so the way out is a new
// certificate.
std::string status_hint(const std::string& status, const std::string& cert_id) {
  if (status == "REVOKED")
    return "a revoked certificate cannot be made ACTIVE again; create a new certificate: mos "
           "aws-iot-setup (or aws iot create-keys-and-certificate --set-as-active, then attach "
           "the policy and thing to it)";
  if (status == "INACTIVE")
    return "aws iot update-certificate --certificate-id " + cert_id + " --new-status ACTIVE";
  return "only ACTIVE certificates may connect (aws iot describe-certificate --certificate-id " +
         cert_id + ")";
}

// Every admitted session, mos-cloud's own publisher included (its client id
// is mos-cloud-dataplane; readers may leave it out).
void record_connect(Plugin* p, const Session& s) {
  std::string error;
  if (!p->registry.record_connect(s.client_id, s.cert_id, s.thing_name, s.serial,
                                  static_cast<int64_t>(std::time(nullptr)), &error) &&
      !p->warned_connections) {
    p->warned_connections = true;
    mosquitto_log_printf(MOSQ_LOG_WARNING, "mos-policy: cannot record connections (mos cloud status "
                         "will not list clients): %s", error.c_str());
  }
}

void record_disconnect(Plugin* p, const Session& s) {
  std::string error;
  p->registry.record_disconnect(s.client_id, s.serial, &error);
}

std::string hex(const unsigned char* p, unsigned n) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (unsigned i = 0; i < n; ++i) {
    out.push_back(digits[p[i] >> 4]);
    out.push_back(digits[p[i] & 0x0f]);
  }
  return out;
}

// Certificate id as in AWS IoT: SHA-256 of the DER encoding (X509_digest hashes the DER).
bool cert_identity(X509* x, std::string* sha256, std::string* cn) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  if (X509_digest(x, EVP_sha256(), md, &len) != 1) return false;
  *sha256 = hex(md, len);
  X509_NAME* name = X509_get_subject_name(x);
  int idx = name ? X509_NAME_get_index_by_NID(name, NID_commonName, -1) : -1;
  if (idx >= 0) {
    unsigned char* utf8 = nullptr;
    int n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx)));
    if (n >= 0 && utf8) cn->assign(reinterpret_cast<char*>(utf8), static_cast<size_t>(n));
    OPENSSL_free(utf8);
  }
  return true;
}

bool ensure_registry(Plugin* p, std::string* error) {
  if (p->registry.is_open()) return true;
  return p->registry.open(p->db_path, error);
}

// Fills the session's variables and bound policies from the registry.
// Returns false with *why on a registry error.
bool load_policies(Plugin* p, Session* s, std::string* why) {
  Variables v;
  v.set("iot:ClientId", s->client_id);
  if (!s->common_name.empty()) v.set("iot:Certificate.Subject.CommonName", s->common_name);
  // AWS: the thing is the one named like the client id, attached to the certificate.
  ThingInfo thing;
  std::string error;
  Lookup t = p->registry.attached_thing(s->cert_arn, s->client_id, &thing, &error);
  if (t == Lookup::kError) {
    *why = "registry read failed: " + error;
    return false;
  }
  v.set("iot:Connection.Thing.IsAttached", t == Lookup::kFound ? "true" : "false");
  s->thing_name = t == Lookup::kFound ? thing.name : std::string();
  if (t == Lookup::kFound) {
    v.set("iot:Connection.Thing.ThingName", thing.name);
    if (thing.type) v.set("iot:Connection.Thing.ThingTypeName", *thing.type);
    for (const auto& [k, val] : thing.attributes) v.set("iot:Connection.Thing.Attributes[" + k + "]", val);
  }
  std::vector<mos::policy::PolicyDoc> docs;
  std::vector<std::string> warnings;
  if (!p->registry.policies(s->cert_arn, &docs, &warnings, &error)) {
    *why = "registry read failed: " + error;
    return false;
  }
  for (const auto& w : warnings) mosquitto_log_printf(MOSQ_LOG_WARNING, "mos-policy: %s", w.c_str());
  s->vars = std::move(v);
  s->bound = BoundPolicies(docs, s->vars);
  s->policy_count = docs.size();
  return true;
}

int on_basic_auth(int, void* event_data, void* userdata) {
  auto* p = static_cast<Plugin*>(userdata);
  auto* ed = static_cast<mosquitto_evt_basic_auth*>(event_data);
  std::string client_id = str_or(mosquitto_client_id(ed->client), "");
  std::string resource = p->registry.arn_prefix() + "client/" + client_id;
  try {
    if (auto old = p->sessions.find(ed->client); old != p->sessions.end()) {
      record_disconnect(p, old->second);
      p->sessions.erase(old);
    }
    Session s;
    s.client_id = client_id;
    s.serial = p->next_serial++;
    if (client_id.size() > L::kMaxClientIdBytes) {
      log_deny(p, "-", client_id, "iot:Connect", resource,
               "client id is " + std::to_string(client_id.size()) + " bytes; AWS IoT allows at most " +
                   std::to_string(L::kMaxClientIdBytes) + " (use a shorter client id)");
      return MOSQ_ERR_AUTH;
    }
    auto* x = static_cast<X509*>(mosquitto_client_certificate(ed->client));
    if (x == nullptr) {
      log_deny(p, "-", client_id, "iot:Connect", resource,
               "no client certificate (connect over TLS with a certificate issued by mos-cloud)");
      return MOSQ_ERR_AUTH;
    }
    bool ok = cert_identity(x, &s.cert_id, &s.common_name);
    X509_free(x);
    if (!ok) {
      log_deny(p, "-", client_id, "iot:Connect", resource, "cannot hash the client certificate");
      return MOSQ_ERR_AUTH;
    }
    std::string error_unused;
    if (!p->dataplane_sha256.empty() && s.cert_id == p->dataplane_sha256) {
      s.dataplane = true;
      mosquitto_log_printf(MOSQ_LOG_INFO, "mos-policy: ALLOW iot:Connect client=%s: mos-cloud data plane",
                           client_id.c_str());
      if (ensure_registry(p, &error_unused)) record_connect(p, s);
      p->sessions.emplace(ed->client, std::move(s));
      return MOSQ_ERR_SUCCESS;
    }
    std::string error;
    if (!ensure_registry(p, &error)) {
      log_deny(p, s.cert_id, client_id, "iot:Connect", resource, error);
      return MOSQ_ERR_AUTH;
    }
    resource = p->registry.arn_prefix() + "client/" + client_id;
    CertInfo cert;
    switch (p->registry.certificate(s.cert_id, &cert, &error)) {
      case Lookup::kError:
        log_deny(p, s.cert_id, client_id, "iot:Connect", resource, "registry read failed: " + error);
        return MOSQ_ERR_AUTH;
      case Lookup::kNotFound:
        log_deny(p, s.cert_id, client_id, "iot:Connect", resource,
                 "certificate is not registered (create it with CreateCertificateFromCsr)");
        return MOSQ_ERR_AUTH;
      case Lookup::kFound:
        break;
    }
    if (cert.status != "ACTIVE") {
      log_deny(p, s.cert_id, client_id, "iot:Connect", resource,
               "certificate status is " + cert.status + ", not ACTIVE (" + status_hint(cert.status, s.cert_id) +
                   ")");
      return MOSQ_ERR_AUTH;
    }
    s.cert_arn = cert.arn;
    if (!load_policies(p, &s, &error)) {
      log_deny(p, s.cert_id, client_id, "iot:Connect", resource, error);
      return MOSQ_ERR_AUTH;
    }
    mos::policy::Decision d = s.bound.check("iot:Connect", resource);
    if (!d.allowed) {
      // The usual first-day mistake, named with its fix.
      if (s.policy_count == 0)
        d.reason += ": no policy is attached to this certificate (attach one: aws iot attach-policy "
                    "--policy-name POLICY --target " + s.cert_arn + "; a board: mos aws-iot-setup, which "
                    "attaches mos-default)";
      log_deny(p, s.cert_id, client_id, "iot:Connect", resource, d.reason);
      return MOSQ_ERR_AUTH;
    }
    mosquitto_log_printf(MOSQ_LOG_INFO, "mos-policy: ALLOW iot:Connect principal=%s client=%s: %s",
                         s.cert_id.c_str(), client_id.c_str(), d.reason.c_str());
    record_connect(p, s);
    p->sessions.emplace(ed->client, std::move(s));
    return MOSQ_ERR_SUCCESS;
  } catch (const std::exception& e) {
    log_deny(p, "-", client_id, "iot:Connect", resource, std::string("internal error: ") + e.what());
    return MOSQ_ERR_AUTH;
  }
}

int on_acl_check(int, void* event_data, void* userdata) {
  auto* p = static_cast<Plugin*>(userdata);
  auto* ed = static_cast<mosquitto_evt_acl_check*>(event_data);
  const char* action;
  const char* kind;
  switch (ed->access) {
    case MOSQ_ACL_WRITE: action = "iot:Publish"; kind = "topic/"; break;
    case MOSQ_ACL_READ: action = "iot:Receive"; kind = "topic/"; break;
    case MOSQ_ACL_SUBSCRIBE: action = "iot:Subscribe"; kind = "topicfilter/"; break;
    // AWS IoT has no unsubscribe permission.
    case MOSQ_ACL_UNSUBSCRIBE: {
      auto it = p->sessions.find(ed->client);
      if (it != p->sessions.end()) it->second.subscriptions.erase(str_or(ed->topic, ""));
      return MOSQ_ERR_SUCCESS;
    }
    default: return MOSQ_ERR_ACL_DENIED;
  }
  try {
    std::string& resource = p->resource;
    resource.assign(p->registry.arn_prefix()).append(kind).append(str_or(ed->topic, ""));
    auto it = p->sessions.find(ed->client);
    if (it == p->sessions.end()) {
      log_deny(p, "-", str_or(mosquitto_client_id(ed->client), ""), action, resource,
               "connection was not admitted by the mos policy plugin");
      return MOSQ_ERR_ACL_DENIED;
    }
    Session& s = it->second;
    // AWS IoT Core's limits come before the policy, as in AWS.
    if (ed->access == MOSQ_ACL_WRITE) {
      std::string why;
      if (ed->payloadlen > L::kMaxPayloadBytes)
        why = "payload is " + std::to_string(ed->payloadlen) + " bytes; AWS IoT allows at most " +
              std::to_string(L::kMaxPayloadBytes) + " (PAYLOAD_LIMIT_EXCEEDED)";
      else
        why = topic_limit_violation(str_or(ed->topic, ""));
      if (!why.empty()) {
        // Not MOSQ_ERR_ACL_DENIED: any other error makes Mosquitto drop the
        // connection, which is what AWS does (lifecycle event CLIENT_ERROR).
        log_deny(p, s.cert_id, s.client_id, action, resource, why + "; disconnecting");
        return MOSQ_ERR_PAYLOAD_SIZE;
      }
    }
    if (ed->access == MOSQ_ACL_SUBSCRIBE) {
      std::string filter = str_or(ed->topic, "");
      std::string why = topic_limit_violation(filter);
      if (why.empty() && !s.subscriptions.count(filter) &&
          s.subscriptions.size() >= L::kMaxSubscriptionsPerConnection)
        why = "connection already has " + std::to_string(s.subscriptions.size()) +
              " subscriptions; AWS IoT allows at most " + std::to_string(L::kMaxSubscriptionsPerConnection) +
              " (unsubscribe from one first)";
      if (!why.empty()) {
        log_deny(p, s.cert_id, s.client_id, action, resource, why);
        return MOSQ_ERR_ACL_DENIED;  // SUBACK failure for this filter only
      }
      if (s.dataplane || s.bound.allows(action, resource)) {
        s.subscriptions.insert(filter);
        return MOSQ_ERR_SUCCESS;
      }
      log_deny(p, s.cert_id, s.client_id, action, resource, s.bound.check(action, resource).reason);
      return MOSQ_ERR_ACL_DENIED;
    }
    if (s.dataplane) return MOSQ_ERR_SUCCESS;
    if (s.bound.allows(action, resource)) return MOSQ_ERR_SUCCESS;
    log_deny(p, s.cert_id, s.client_id, action, resource, s.bound.check(action, resource).reason);
    return MOSQ_ERR_ACL_DENIED;
  } catch (const std::exception& e) {
    log_deny(p, "-", str_or(mosquitto_client_id(ed->client), ""), action,
             std::string(kind) + str_or(ed->topic, ""), std::string("internal error: ") + e.what());
    return MOSQ_ERR_ACL_DENIED;
  }
}

void recheck_sessions(Plugin* p) {
  std::string error;
  if (!ensure_registry(p, &error)) return;
  int64_t dv = p->registry.data_version();
  if (dv >= 0 && dv == p->seen_data_version) return;
  // Status per certificate (many sessions may share one); nullopt = keep as is.
  std::map<std::string, std::optional<std::string>> status;  // id -> "ACTIVE", "deleted", ...
  bool read_error = false;
  for (const auto& [client, s] : p->sessions) {
    if (s.dataplane || status.count(s.cert_id)) continue;
    CertInfo cert;
    switch (p->registry.certificate(s.cert_id, &cert, &error)) {
      case Lookup::kFound: status[s.cert_id] = cert.status; break;
      case Lookup::kNotFound: status[s.cert_id] = "deleted"; break;
      case Lookup::kError: status[s.cert_id] = std::nullopt; read_error = true; break;
    }
  }
  if (read_error) {
    mosquitto_log_printf(MOSQ_LOG_WARNING, "mos-policy: registry read failed, retrying: %s", error.c_str());
  } else {
    p->seen_data_version = dv;
  }
  std::vector<std::string> kick;
  for (auto it = p->sessions.begin(); it != p->sessions.end();) {
    Session& s = it->second;
    auto st = s.dataplane ? std::optional<std::string>() : status[s.cert_id];
    if (st && *st != "ACTIVE") {
      mosquitto_log_printf(MOSQ_LOG_NOTICE,
                           "mos-policy: KICK principal=%s client=%s: certificate %s%s",
                           s.cert_id.c_str(), s.client_id.c_str(), *st == "deleted" ? "was " : "is now ",
                           st->c_str());
      kick.push_back(s.client_id);
      record_disconnect(p, s);
      it = p->sessions.erase(it);
      continue;
    }
    if (st && !load_policies(p, &s, &error)) {
      mosquitto_log_printf(MOSQ_LOG_WARNING, "mos-policy: keeping old policies for client=%s: %s",
                           s.client_id.c_str(), error.c_str());
      p->seen_data_version = -1;
    }
    ++it;
  }
  // Kick after the loop: kicking may re-enter on_disconnect, which edits sessions.
  for (const auto& id : kick) mosquitto_kick_client_by_clientid(id.c_str(), false);
}

int on_tick(int, void*, void* userdata) {
  auto* p = static_cast<Plugin*>(userdata);
  auto now = std::chrono::steady_clock::now();
  if (now < p->next_check) return MOSQ_ERR_SUCCESS;
  p->next_check = now + kRecheckInterval;
  if (p->sessions.empty()) return MOSQ_ERR_SUCCESS;
  try {
    recheck_sessions(p);
  } catch (const std::exception& e) {
    mosquitto_log_printf(MOSQ_LOG_ERR, "mos-policy: certificate re-check failed: %s", e.what());
  }
  return MOSQ_ERR_SUCCESS;
}

int on_disconnect(int, void* event_data, void* userdata) {
  auto* p = static_cast<Plugin*>(userdata);
  auto* ed = static_cast<mosquitto_evt_disconnect*>(event_data);
  auto it = p->sessions.find(ed->client);
  if (it == p->sessions.end()) return MOSQ_ERR_SUCCESS;
  try {
    record_disconnect(p, it->second);
  } catch (const std::exception& e) {
    mosquitto_log_printf(MOSQ_LOG_ERR, "mos-policy: cannot record a disconnect: %s", e.what());
  }
  p->sessions.erase(it);
  return MOSQ_ERR_SUCCESS;
}

std::string lower_hex(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string out;
  for (char c : s) {
    if (c != ':') out.push_back(c);  // accept "AB:CD:..." as printed by openssl -fingerprint
  }
  return out;
}

}  // namespace

// The module is built with hidden visibility; only the entry points are exported.
#define MOS_PLUGIN_EXPORT __attribute__((visibility("default")))

extern "C" {

MOS_PLUGIN_EXPORT int mosquitto_plugin_version(int supported_version_count, const int* supported_versions) {
  for (int i = 0; i < supported_version_count; ++i) {
    if (supported_versions[i] == 5) return 5;
  }
  return -1;
}

MOS_PLUGIN_EXPORT int mosquitto_plugin_init(mosquitto_plugin_id_t* identifier, void** userdata, struct mosquitto_opt* options,
                          int option_count) {
  auto p = std::make_unique<Plugin>();
  p->id = identifier;
  for (int i = 0; i < option_count; ++i) {
    std::string key = str_or(options[i].key, "");
    std::string value = str_or(options[i].value, "");
    // Mosquitto 2.0.11's parser rejects option names shorter than 3 characters
    // ("Invalid auth_opt_ config option" for plugin_opt_db), hence registry_db.
    if (key == "registry_db" || key == "db") p->db_path = value;
    else if (key == "dataplane_sha256") p->dataplane_sha256 = lower_hex(value);
    else mosquitto_log_printf(MOSQ_LOG_WARNING, "mos-policy: unknown option plugin_opt_%s ignored", key.c_str());
  }
  if (p->db_path.empty()) {
    mosquitto_log_printf(MOSQ_LOG_ERR,
                         "mos-policy: plugin_opt_registry_db is required (path to mos-cloud's registry.db)");
    return MOSQ_ERR_INVAL;
  }
  std::string error;
  if (!p->registry.open(p->db_path, &error)) {
    // Not fatal: the registry is opened again at the first CONNECT.
    mosquitto_log_printf(MOSQ_LOG_WARNING, "mos-policy: %s", error.c_str());
  } else if (!p->registry.clear_connections(&error)) {
    // A broker starting has no clients: forget the rows of a previous run.
    mosquitto_log_printf(MOSQ_LOG_WARNING, "mos-policy: cannot reset the connections table: %s", error.c_str());
  }
  int rc = MOSQ_ERR_SUCCESS;
  struct Reg {
    int event;
    MOSQ_FUNC_generic_callback cb;
  } regs[] = {{MOSQ_EVT_BASIC_AUTH, on_basic_auth},
              {MOSQ_EVT_ACL_CHECK, on_acl_check},
              {MOSQ_EVT_TICK, on_tick},
              {MOSQ_EVT_DISCONNECT, on_disconnect}};
  for (const auto& r : regs) {
    rc = mosquitto_callback_register(identifier, r.event, r.cb, nullptr, p.get());
    if (rc != MOSQ_ERR_SUCCESS) {
      mosquitto_log_printf(MOSQ_LOG_ERR, "mos-policy: cannot register callback for event %d", r.event);
      return rc;
    }
  }
  mosquitto_log_printf(MOSQ_LOG_INFO, "mos-policy: enforcing AWS IoT policies from %s (%s)",
                       p->db_path.c_str(), p->registry.arn_prefix().c_str());
  *userdata = p.release();
  return MOSQ_ERR_SUCCESS;
}

MOS_PLUGIN_EXPORT int mosquitto_plugin_cleanup(void* userdata, struct mosquitto_opt*, int) {
  auto* p = static_cast<Plugin*>(userdata);
  if (p == nullptr) return MOSQ_ERR_SUCCESS;
  mosquitto_callback_unregister(p->id, MOSQ_EVT_BASIC_AUTH, on_basic_auth, nullptr);
  mosquitto_callback_unregister(p->id, MOSQ_EVT_ACL_CHECK, on_acl_check, nullptr);
  mosquitto_callback_unregister(p->id, MOSQ_EVT_TICK, on_tick, nullptr);
  mosquitto_callback_unregister(p->id, MOSQ_EVT_DISCONNECT, on_disconnect, nullptr);
  delete p;
  return MOSQ_ERR_SUCCESS;
}

}  // extern "C"

// The registry of mos-cloud: certificates, policies with versions, things and
// their attachments, in SQLite (schema.sql, shared with the policy plugin).
//
// Threads: one Registry object is shared by every server thread. Each calling
// thread gets its own SQLite connection (opened on its first call, WAL mode,
// busy timeout, foreign keys), so no sqlite3* is ever used by two threads and
// last_error() is the calling thread's own last failure, captured when it
// happened. A server thread needs nothing but the shared `Registry&`:
//     Registry& reg = *shared;                  // from Registry::open() once
//     if (reg.create_policy(n, d, now) != Err::kOk) log(reg.last_error());
// Every change runs in one BEGIN IMMEDIATE transaction (check + write are
// atomic across threads and processes: mos-cloud, the plugin, a second
// mos-cloud). A thread that is about to exit may call release_connection().
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

struct sqlite3;

namespace mos::registry {

enum class Err {
  kOk,
  kNotFound,       // the named resource does not exist
  kExists,         // already exists (with a different definition)
  kConflict,       // still attached / referenced
  kState,          // wrong certificate status for the operation
  kLimit,          // e.g. five policy versions already
  kInternal,       // SQLite failed; message in last_error()
};

struct Certificate {
  std::string id, arn, status, pem, subject, ca_certificate_id;
  int64_t created_at = 0, updated_at = 0, not_before = 0, not_after = 0, generation_id = 1;
};

struct Policy {
  std::string name, arn;
  int64_t default_version = 1, next_version = 2, created_at = 0, updated_at = 0;
  std::string default_document;
};

struct PolicyVersion {
  int64_t version = 0;
  std::string document;
  int64_t created_at = 0;
  bool is_default = false;
};

struct Thing {
  std::string name, arn, thing_id, thing_type;
  std::string attributes = "{}";  // JSON object of string values
  int64_t version = 1, created_at = 0;
};

struct ConnectedClient {
  std::string client_id;
  std::string certificate_id;  // lowercase hex SHA-256 of the certificate DER
  std::string thing_name;      // attached thing named like the client id, or ""
  int64_t connected_at = 0;    // unix seconds
};

// A refusal the policy plugin recorded (denials table, schema.sql): at_ms is
// unix milliseconds; certificate_id is the lowercase hex SHA-256 of the
// certificate, or "-" / "" when the client had none; client_id and resource
// come from the client and may hold any bytes (capped by the plugin, see
// cloud/plugin/src/registry_reader.h): escape them before printing.
struct Denial { int64_t id = 0, at_ms = 0; std::string client_id, certificate_id, action, resource, reason; };
// Which denials to read: client_id matches exactly; certificate_id matches
// the whole id or, from 6 hex digits on, a prefix of it (people paste short
// ids), in any case, with ':' separators, a trailing "..." or as a
// certificate ARN; "" matches all. Only rows with id > after_id (to follow
// new ones); at most limit rows (0: all).
struct DenialQuery { std::string client_id, certificate_id; int64_t after_id = 0; size_t limit = 100; };
// The plugin keeps the newest 1000 denials (schema.sql).
constexpr size_t kDenialsKept = 1000;

// AWS IoT quota: at most five versions of a policy.
constexpr int kMaxPolicyVersions = 5;

class Registry {
 public:
  // Opens (creating if needed) the database; sets WAL, busy timeout, foreign
  // keys and the meta rows. nullptr and `error` on failure.
  static std::unique_ptr<Registry> open(const std::string& path, std::string& error,
                                        const std::string& account_id = "123456789012",
                                        const std::string& region = "us-east-1");
  // Opens an existing registry without writing to it (no schema, no meta
  // rows; every change fails with kInternal): for readers such as `mos cloud
  // denials`. nullptr and `error` when the file is missing or not a registry.
  static std::unique_ptr<Registry> open_read_only(const std::string& path, std::string& error);
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  std::string account_id() const { return account_id_; }
  std::string region() const { return region_; }
  std::string arn(const std::string& kind, const std::string& name) const;
  // The calling thread's last SQLite failure (kInternal), as SQLite said it then.
  std::string last_error() const;
  // Closes the calling thread's connection (optional; a later call reopens it).
  void release_connection();
  // Connections open now (one per live thread that used this Registry).
  size_t connection_count() const;

  // Certificates
  Err add_certificate(const Certificate& c);
  std::optional<Certificate> certificate(const std::string& id);
  std::vector<Certificate> certificates(bool ascending);
  Err set_certificate_status(const std::string& id, const std::string& status, int64_t now);
  // kState if ACTIVE (unless force), kConflict if policies or things are attached.
  Err delete_certificate(const std::string& id, bool force);

  // Policies
  Err create_policy(const std::string& name, const std::string& document, int64_t now);
  std::optional<Policy> policy(const std::string& name);
  std::vector<Policy> policies(bool ascending);
  // kConflict if attached or if it has versions other than the default.
  Err delete_policy(const std::string& name);
  Err create_policy_version(const std::string& name, const std::string& document,
                            bool set_default, int64_t now, int64_t& version);
  std::optional<std::vector<PolicyVersion>> policy_versions(const std::string& name);
  Err set_default_policy_version(const std::string& name, int64_t version, int64_t now);
  Err delete_policy_version(const std::string& name, int64_t version);

  // Principal <-> policy (principal: certificate ARN)
  Err attach_policy(const std::string& principal, const std::string& policy_name);
  Err detach_policy(const std::string& principal, const std::string& policy_name);
  std::vector<std::string> attached_policies(const std::string& principal);
  std::vector<std::string> policy_targets(const std::string& policy_name);

  // Things
  // kExists if a thing of that name exists with a different type or attributes
  // (AWS: creating an identical thing again succeeds and returns it).
  Err create_thing(Thing& t);
  std::optional<Thing> thing(const std::string& name);
  std::vector<Thing> things();
  // kConflict if principals are attached; kState if expected_version mismatches.
  Err delete_thing(const std::string& name, std::optional<int64_t> expected_version);
  Err attach_thing_principal(const std::string& thing, const std::string& principal);
  Err detach_thing_principal(const std::string& thing, const std::string& principal);
  std::optional<std::vector<std::string>> thing_principals(const std::string& thing);
  std::vector<std::string> principal_things(const std::string& principal);

  // True if `principal` names a certificate of this registry (by ARN).
  bool principal_exists(const std::string& principal);

  // MQTT sessions the broker admitted and that are still open, as recorded by
  // the policy plugin (connections table), oldest first. For `mos cloud
  // status` and the web console: read from the broker's own events, not its log.
  std::vector<ConnectedClient> connected_clients();

  // Denials the policy plugin recorded that match q, newest first. Empty and
  // last_error() set when the read failed (e.g. a registry from before the
  // denials table: mos-cloud adds it when it starts); last_error() is "" after
  // a successful call.
  std::vector<Denial> denials(const DenialQuery& q);

 struct Conn;  // one thread's connection and its last error

 private:
  Registry(std::string path, bool read_only);
  // The calling thread's connection, opened on first use; nullptr (and the
  // reason in the thread's error slot) if SQLite cannot open it.
  Conn* conn() const;
  bool read_meta(Conn& c);
  std::string path_;
  bool read_only_ = false;
  std::string account_id_, region_;
  uint64_t id_;  // unique per Registry object: keys the threads' connections
  mutable std::mutex pool_mu_;
  mutable std::vector<std::weak_ptr<Conn>> conns_;  // for connection_count()
};

}  // namespace mos::registry

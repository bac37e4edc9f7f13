// mos-cloud's registry.db as the Mosquitto policy plugin sees it: read-only
// for certificates, policies and things; the plugin writes only the
// connections and denials tables.
// The schema is owned by mos-cloud (cloud/registry/schema.sql); what is read
// here is listed in CLOUD_CONTRACT.md ("Plugin reads").
#pragma once

#include "mos/policy/policy.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace mos::cloud {

enum class Lookup { kFound, kNotFound, kError };

struct CertInfo {
  std::string arn;
  std::string status;  // ACTIVE | INACTIVE | REVOKED | ...
};

// One refusal, for the denials table (schema.sql).
struct DenialRecord {
  int64_t at_ms = 0;           // unix milliseconds
  std::string client_id;       // as the client sent it
  std::string certificate_id;  // lowercase hex SHA-256, or "-" when unknown
  std::string action;          // iot:Connect | iot:Publish | iot:Receive | iot:Subscribe
  std::string resource;        // the ARN checked
  std::string reason;
};

// Caps on one denial row. client_id and resource come from the client (an
// MQTT client id may be 65535 bytes, a topic as long as the packet), so a
// hostile client could otherwise make each of the 1000 rows tens of KB. The
// caps keep whole every value AWS IoT itself admits: client ids of 128 bytes,
// an ARN of a 256-byte topic. A longer value is cut on a UTF-8 boundary and
// marked "...[N bytes]" with its full length.
constexpr size_t kDenialClientIdMax = 256;
constexpr size_t kDenialResourceMax = 512;
constexpr size_t kDenialReasonMax = 1024;
// The plugin keeps the newest rows only (schema.sql: a ring of 1000).
constexpr int64_t kDenialsKept = 1000;
// How long a denial's write waits for another writer (mos-cloud) before the
// record is dropped: the broker's only thread must not wait on a log.
constexpr int kDenialBusyTimeoutMs = 20;

// s itself, or its first bytes (never splitting a UTF-8 sequence) and
// "...[N bytes]" when it is longer than max.
std::string cap_text(const std::string& s, size_t max);

struct ThingInfo {
  std::string name;
  std::optional<std::string> type;
  std::map<std::string, std::string> attributes;
};

class RegistryReader {
 public:
  RegistryReader() = default;
  ~RegistryReader();
  RegistryReader(const RegistryReader&) = delete;
  RegistryReader& operator=(const RegistryReader&) = delete;

  // Opens the database read-only; error says what failed.
  bool open(const std::string& path, std::string* error);
  bool is_open() const { return db_ != nullptr; }
  void close();

  // "arn:aws:iot:<region>:<account>:" from the meta table (defaults
  // us-east-1 / 123456789012 when a row is missing).
  const std::string& arn_prefix() const { return arn_prefix_; }

  Lookup certificate(const std::string& id, CertInfo* out, std::string* error);
  // Default-version documents of the policies attached to principal, parsed.
  // A stored document that does not parse is skipped and named in *warnings.
  bool policies(const std::string& principal, std::vector<policy::PolicyDoc>* out,
                std::vector<std::string>* warnings, std::string* error);
  // The thing named thing_name if it is attached to principal.
  Lookup attached_thing(const std::string& principal, const std::string& thing_name, ThingInfo* out,
                        std::string* error);
  // PRAGMA data_version: changes whenever another connection commits; -1 on error.
  // The plugin's own writes below go through this connection, so they do not
  // change it (and do not trigger a re-check of every session).
  int64_t data_version();

  // The connections table (schema.sql): the broker's own record of who is
  // connected, for Registry::connected_clients() (`mos cloud status`).
  // `session` tells a takeover's late DISCONNECT from the new session's row.
  // False with *error when the registry was opened read-only or the write failed.
  bool writable() const { return writable_; }
  bool record_connect(const std::string& client_id, const std::string& cert_id,
                      const std::string& thing_name, int64_t session, int64_t now, std::string* error);
  bool record_disconnect(const std::string& client_id, int64_t session, std::string* error);
  // At broker start nobody is connected.
  bool clear_connections(std::string* error);
  // Inserts a denial (fields capped, see kDenial*Max) and deletes all but the
  // newest kDenialsKept rows, in one transaction. Waits at most
  // kDenialBusyTimeoutMs for the write lock; false with *error (SQLite's
  // "database is locked") when it could not write, and nothing is kept.
  bool record_denial(const DenialRecord& d, std::string* error);

 private:
  // Prepared once per connection and reused (reset) on every call: a CONNECT
  // costs a few lookups, not a few SQL compilations.
  sqlite3_stmt* prepare(const char* sql, std::string* error);
  bool read_meta(std::string* error);

  bool exec_bound(const char* sql, const std::vector<std::string>& text, const std::vector<int64_t>& ints,
                  std::string* error);

  sqlite3* db_ = nullptr;
  bool writable_ = false;
  std::map<const char*, sqlite3_stmt*> statements_;
  // Parsed documents by policy name, keyed on the document text.
  std::map<std::string, std::pair<std::string, policy::PolicyDoc>> parsed_;
  std::string arn_prefix_ = "arn:aws:iot:us-east-1:123456789012:";
};

}  // namespace mos::cloud

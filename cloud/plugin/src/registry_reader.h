// mos-cloud's registry.db as the Mosquitto policy plugin sees it: read-only
// for certificates, policies and things; the plugin writes only the
// connections table.
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

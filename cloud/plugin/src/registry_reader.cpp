#include "registry_reader.h"

#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <memory>

namespace mos::cloud {
namespace {

// Resets a cached statement when a lookup is done with it.
struct StmtResetter {
  void operator()(sqlite3_stmt* s) const {
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
  }
};
using Stmt = std::unique_ptr<sqlite3_stmt, StmtResetter>;

std::string column_text(sqlite3_stmt* s, int col) {
  const unsigned char* t = sqlite3_column_text(s, col);
  return t ? std::string(reinterpret_cast<const char*>(t), static_cast<size_t>(sqlite3_column_bytes(s, col)))
           : std::string();
}

bool bind(sqlite3_stmt* s, int index, const std::string& v) {
  return sqlite3_bind_text(s, index, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT) == SQLITE_OK;
}

// Lookups wait this long for mos-cloud's write lock rather than fail.
constexpr int kBusyTimeoutMs = 200;

}  // namespace

std::string cap_text(const std::string& s, size_t max) {
  if (s.size() <= max) return s;
  size_t cut = max;
  // Back off to the start of a UTF-8 sequence (continuation bytes are 10xxxxxx).
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return s.substr(0, cut) + "...[" + std::to_string(s.size()) + " bytes]";
}

RegistryReader::~RegistryReader() { close(); }

void RegistryReader::close() {
  writable_ = false;
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  statements_.clear();
  parsed_.clear();
  if (db_ != nullptr) {
    sqlite3_close_v2(db_);
    db_ = nullptr;
  }
}

bool RegistryReader::open(const std::string& path, std::string* error) {
  close();
  // Read-write (no create) for the connections table only; mos-cloud owns
  // everything else. Read-only if the file is not writable to the broker.
  int rc = sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  writable_ = rc == SQLITE_OK;
  if (rc != SQLITE_OK) {
    sqlite3_close_v2(db_);
    db_ = nullptr;
    rc = sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
  }
  if (rc != SQLITE_OK) {
    *error = "cannot open registry " + path + ": " + (db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc)) +
             " (start mos-cloud first: mos cloud up)";
    close();
    return false;
  }
  // mos-cloud may hold a write lock for a moment; wait briefly rather than fail.
  sqlite3_busy_timeout(db_, kBusyTimeoutMs);
  // The plugin's writes (connections, denials) are a record, not data anyone
  // must not lose in a power cut: in WAL mode NORMAL skips the fsync at each
  // commit (SQLite, "PRAGMA synchronous"), as mos-cloud's own connections do.
  if (writable_) sqlite3_exec(db_, "PRAGMA synchronous=NORMAL", nullptr, nullptr, nullptr);
  if (!read_meta(error)) {
    *error = "registry " + path + " is not a mos-cloud registry: " + *error;
    close();
    return false;
  }
  return true;
}

sqlite3_stmt* RegistryReader::prepare(const char* sql, std::string* error) {
  if (db_ == nullptr) {
    *error = "registry is not open";
    return nullptr;
  }
  if (auto it = statements_.find(sql); it != statements_.end()) return it->second;
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr) != SQLITE_OK) {
    *error = sqlite3_errmsg(db_);
    sqlite3_finalize(s);
    return nullptr;
  }
  statements_[sql] = s;
  return s;
}

bool RegistryReader::read_meta(std::string* error) {
  Stmt s(prepare("SELECT key, value FROM meta", error));
  if (!s) return false;
  std::string region = "us-east-1", account = "123456789012";
  int rc;
  while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) {
    std::string key = column_text(s.get(), 0);
    if (key == "region") region = column_text(s.get(), 1);
    if (key == "account_id") account = column_text(s.get(), 1);
  }
  if (rc != SQLITE_DONE) {
    *error = sqlite3_errmsg(db_);
    return false;
  }
  arn_prefix_ = "arn:aws:iot:" + region + ":" + account + ":";
  return true;
}

Lookup RegistryReader::certificate(const std::string& id, CertInfo* out, std::string* error) {
  Stmt s(prepare("SELECT arn, status FROM certificates WHERE id = ?", error));
  if (!s || !bind(s.get(), 1, id)) return Lookup::kError;
  int rc = sqlite3_step(s.get());
  if (rc == SQLITE_DONE) return Lookup::kNotFound;
  if (rc != SQLITE_ROW) {
    *error = sqlite3_errmsg(db_);
    return Lookup::kError;
  }
  out->arn = column_text(s.get(), 0);
  out->status = column_text(s.get(), 1);
  return Lookup::kFound;
}

bool RegistryReader::policies(const std::string& principal, std::vector<policy::PolicyDoc>* out,
                              std::vector<std::string>* warnings, std::string* error) {
  Stmt s(prepare(
      "SELECT p.name, v.document FROM principal_policies pp "
      "JOIN policies p ON p.name = pp.policy_name "
      "JOIN policy_versions v ON v.policy_name = p.name AND v.version = p.default_version "
      "WHERE pp.principal = ? ORDER BY p.name",
      error));
  if (!s || !bind(s.get(), 1, principal)) return false;
  int rc;
  while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) {
    std::string name = column_text(s.get(), 0);
    std::string text = column_text(s.get(), 1);
    auto cached = parsed_.find(name);
    if (cached != parsed_.end() && cached->second.first == text) {
      out->push_back(cached->second.second);
      continue;
    }
    std::string why;
    auto doc = policy::PolicyDoc::parse(name, text, &why);
    if (doc) {
      out->push_back(*doc);
      parsed_[name] = {std::move(text), std::move(*doc)};
    } else {
      warnings->push_back("policy " + name + " has an invalid default version, ignored: " + why);
    }
  }
  if (rc != SQLITE_DONE) {
    *error = sqlite3_errmsg(db_);
    return false;
  }
  return true;
}

Lookup RegistryReader::attached_thing(const std::string& principal, const std::string& thing_name,
                                      ThingInfo* out, std::string* error) {
  Stmt s(prepare(
      "SELECT t.name, t.thing_type, t.attributes FROM thing_principals tp "
      "JOIN things t ON t.name = tp.thing_name WHERE tp.principal = ? AND tp.thing_name = ?",
      error));
  if (!s || !bind(s.get(), 1, principal) || !bind(s.get(), 2, thing_name)) return Lookup::kError;
  int rc = sqlite3_step(s.get());
  if (rc == SQLITE_DONE) return Lookup::kNotFound;
  if (rc != SQLITE_ROW) {
    *error = sqlite3_errmsg(db_);
    return Lookup::kError;
  }
  out->name = column_text(s.get(), 0);
  if (sqlite3_column_type(s.get(), 1) != SQLITE_NULL) out->type = column_text(s.get(), 1);
  auto attrs = nlohmann::json::parse(column_text(s.get(), 2), nullptr, false);
  if (attrs.is_object()) {
    for (const auto& [k, v] : attrs.items()) {
      if (v.is_string()) out->attributes[k] = v.get<std::string>();
    }
  }
  return Lookup::kFound;
}

int64_t RegistryReader::data_version() {
  std::string error;
  Stmt s(prepare("PRAGMA data_version", &error));
  if (!s || sqlite3_step(s.get()) != SQLITE_ROW) return -1;
  return sqlite3_column_int64(s.get(), 0);
}

bool RegistryReader::exec_bound(const char* sql, const std::vector<std::string>& text,
                                const std::vector<int64_t>& ints, std::string* error) {
  if (!writable_) {
    *error = "registry is open read-only";
    return false;
  }
  Stmt s(prepare(sql, error));
  if (!s) return false;
  int i = 0;
  for (const auto& t : text)
    if (!bind(s.get(), ++i, t)) return false;
  for (int64_t v : ints) sqlite3_bind_int64(s.get(), ++i, v);
  if (sqlite3_step(s.get()) != SQLITE_DONE) {
    *error = sqlite3_errmsg(db_);
    return false;
  }
  return true;
}

bool RegistryReader::record_connect(const std::string& client_id, const std::string& cert_id,
                                    const std::string& thing_name, int64_t session, int64_t now,
                                    std::string* error) {
  return exec_bound(
      "INSERT OR REPLACE INTO connections(client_id, certificate_id, thing_name, session, connected_at) "
      "VALUES(?, ?, NULLIF(?, ''), ?, ?)",
      {client_id, cert_id, thing_name}, {session, now}, error);
}

bool RegistryReader::record_disconnect(const std::string& client_id, int64_t session, std::string* error) {
  return exec_bound("DELETE FROM connections WHERE client_id = ? AND session = ?", {client_id}, {session},
                    error);
}

bool RegistryReader::clear_connections(std::string* error) {
  return exec_bound("DELETE FROM connections", {}, {}, error);
}

bool RegistryReader::record_denial(const DenialRecord& d, std::string* error) {
  if (!writable_) {
    *error = "registry is open read-only";
    return false;
  }
  Stmt begin(prepare("BEGIN IMMEDIATE", error));
  Stmt insert(prepare(
      "INSERT INTO denials(at_ms, client_id, certificate_id, action, resource, reason) VALUES(?, ?, ?, ?, ?, ?)",
      error));
  // AUTOINCREMENT ids are consecutive here (only this ring deletes rows), so
  // "id <= newest - kept" leaves exactly the newest kDenialsKept.
  Stmt trim(prepare("DELETE FROM denials WHERE id <= ?", error));
  Stmt commit(prepare("COMMIT", error));
  if (!begin || !insert || !trim || !commit) return false;
  // IMMEDIATE takes the write lock first; a short wait, then give up.
  sqlite3_busy_timeout(db_, kDenialBusyTimeoutMs);
  int rc = sqlite3_step(begin.get());
  sqlite3_busy_timeout(db_, kBusyTimeoutMs);
  if (rc != SQLITE_DONE) {
    *error = sqlite3_errmsg(db_);
    return false;
  }
  const std::string client_id = cap_text(d.client_id, kDenialClientIdMax);
  const std::string cert_id = d.certificate_id.substr(0, 64);  // a SHA-256 in hex, or "-"
  const std::string resource = cap_text(d.resource, kDenialResourceMax);
  const std::string reason = cap_text(d.reason, kDenialReasonMax);
  sqlite3_bind_int64(insert.get(), 1, d.at_ms);
  bool ok = bind(insert.get(), 2, client_id) && bind(insert.get(), 3, cert_id) && bind(insert.get(), 4, d.action) &&
            bind(insert.get(), 5, resource) && bind(insert.get(), 6, reason) &&
            sqlite3_step(insert.get()) == SQLITE_DONE;
  if (ok) {
    sqlite3_bind_int64(trim.get(), 1, sqlite3_last_insert_rowid(db_) - kDenialsKept);
    ok = sqlite3_step(trim.get()) == SQLITE_DONE && sqlite3_step(commit.get()) == SQLITE_DONE;
  }
  if (!ok) {
    *error = sqlite3_errmsg(db_);
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  return ok;
}

}  // namespace mos::cloud

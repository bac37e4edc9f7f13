#include "mos/registry/registry.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <atomic>
#include <unordered_map>
#include <utility>

#include "schema_sql.h"  // generated from schema.sql: const char* kSchemaSql

namespace mos::registry {
namespace {

// A prepared statement with positional binds; finalised on scope exit. A
// failure is recorded in the connection's error slot at once (the next call
// on this thread would overwrite sqlite3_errmsg).
class Stmt {
 public:
  Stmt(Registry::Conn& c, const char* sql);
  ~Stmt() { sqlite3_finalize(st_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt& bind(const std::string& v) {
    sqlite3_bind_text(st_, ++n_, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& bind(int64_t v) {
    sqlite3_bind_int64(st_, ++n_, v);
    return *this;
  }
  Stmt& bind_null() {
    sqlite3_bind_null(st_, ++n_);
    return *this;
  }
  // SQLITE_ROW, SQLITE_DONE or an error code (recorded).
  int step();
  bool run() {
    int rc = step();
    return rc == SQLITE_DONE || rc == SQLITE_ROW;
  }
  std::string text(int col) {
    auto* p = sqlite3_column_text(st_, col);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<size_t>(sqlite3_column_bytes(st_, col)))
             : std::string();
  }
  int64_t integer(int col) { return sqlite3_column_int64(st_, col); }

 private:
  Registry::Conn& c_;
  sqlite3_stmt* st_ = nullptr;
  bool ok_ = false;
  int n_ = 0;
};

}  // namespace

struct Registry::Conn {
  sqlite3* db = nullptr;
  std::string error;  // this thread's last failure
  ~Conn() { sqlite3_close(db); }
  void fail() { error = sqlite3_errmsg(db); }
  bool exec(const char* sql) {
    if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK) return true;
    fail();
    return false;
  }
};

namespace {

Stmt::Stmt(Registry::Conn& c, const char* sql) : c_(c) {
  ok_ = sqlite3_prepare_v2(c.db, sql, -1, &st_, nullptr) == SQLITE_OK;
  if (!ok_) c_.fail();
}

int Stmt::step() {
  if (!ok_) return SQLITE_ERROR;
  int rc = sqlite3_step(st_);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) c_.fail();
  return rc;
}

// BEGIN IMMEDIATE .. COMMIT, rolled back unless commit() is called. IMMEDIATE
// takes the write lock before the first read, so a check and the write that
// depends on it (e.g. "the policy exists" then "attach it") are atomic
// against every other connection; the busy timeout queues writers.
class Tx {
 public:
  explicit Tx(Registry::Conn& c) : c_(c) { ok_ = c_.exec("BEGIN IMMEDIATE"); }
  ~Tx() {
    if (ok_ && !done_) sqlite3_exec(c_.db, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  bool ok() const { return ok_; }
  bool commit() {
    done_ = true;
    return c_.exec("COMMIT");
  }

 private:
  Registry::Conn& c_;
  bool ok_ = false, done_ = false;
};

// How long a writer waits for another connection's write lock before failing
// (kInternal, "database is locked"): generous, writes take milliseconds.
constexpr int kBusyTimeoutMs = 10000;

sqlite3* open_connection(const std::string& path, bool read_only, std::string& error) {
  sqlite3* db = nullptr;
  // NOMUTEX: each connection is used by one thread only (see Registry::conn).
  int flags = (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    error = "cannot open " + path + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close(db);
    return nullptr;
  }
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  // WAL lets the plugin (and other threads) read while one writes. A reader
  // leaves the journal mode to the writers (it cannot change it).
  const char* pragmas = read_only ? "PRAGMA foreign_keys=ON;"
                                  : "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;";
  if (sqlite3_exec(db, pragmas, nullptr, nullptr, nullptr) != SQLITE_OK) {
    error = "cannot initialise " + path + ": " + sqlite3_errmsg(db);
    sqlite3_close(db);
    return nullptr;
  }
  return db;
}

Certificate read_cert(Stmt& s) {
  Certificate c;
  c.id = s.text(0);
  c.arn = s.text(1);
  c.status = s.text(2);
  c.pem = s.text(3);
  c.subject = s.text(4);
  c.ca_certificate_id = s.text(5);
  c.created_at = s.integer(6);
  c.updated_at = s.integer(7);
  c.not_before = s.integer(8);
  c.not_after = s.integer(9);
  c.generation_id = s.integer(10);
  return c;
}

constexpr const char* kCertCols =
    "id, arn, status, pem, subject, ca_certificate_id, created_at, updated_at, not_before, "
    "not_after, generation_id";

Thing read_thing(Stmt& s) {
  Thing t;
  t.name = s.text(0);
  t.arn = s.text(1);
  t.thing_id = s.text(2);
  t.thing_type = s.text(3);
  t.attributes = s.text(4);
  t.version = s.integer(5);
  t.created_at = s.integer(6);
  return t;
}

int64_t count(Registry::Conn& db, const char* sql, const std::string& arg) {
  Stmt s(db, sql);
  s.bind(arg);
  return s.step() == SQLITE_ROW ? s.integer(0) : 0;
}

}  // namespace

namespace {
// The registry holds every certificate and policy: owner-only, like an SSH
// key. SQLite gives -wal and -shm the mode of the database file; files left
// group/world readable by an older version are tightened too.
void make_owner_only(const std::string& path) {
  if (path.empty() || path[0] == ':') return;  // ":memory:"
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd >= 0) ::close(fd);
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    std::string p = path + suffix;
    struct stat st {};
    if (::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == ::geteuid() &&
        (st.st_mode & 0077) != 0)
      ::chmod(p.c_str(), st.st_mode & 0700);
  }
}
}  // namespace

std::unique_ptr<Registry> Registry::open(const std::string& path, std::string& error,
                                         const std::string& account_id, const std::string& region) {
  make_owner_only(path);
  std::unique_ptr<Registry> r(new Registry(path, false));
  Conn* c = r->conn();
  if (c == nullptr) {
    error = r->last_error();
    return nullptr;
  }
  {
    // Schema and meta rows in one write transaction: several processes may
    // open a fresh file at once.
    Tx tx(*c);
    if (!tx.ok() || !c->exec(kSchemaSql)) {
      error = "cannot initialise " + path + ": " + c->error;
      return nullptr;
    }
    Stmt s(*c, "INSERT OR IGNORE INTO meta(key, value) VALUES('account_id', ?), ('region', ?)");
    s.bind(account_id).bind(region);
    if (!s.run() || !tx.commit()) {
      error = "cannot write meta rows: " + c->error;
      return nullptr;
    }
  }
  if (!r->read_meta(*c)) {
    error = "cannot read the meta rows of " + path + ": " + c->error;
    return nullptr;
  }
  return r;
}

std::unique_ptr<Registry> Registry::open_read_only(const std::string& path, std::string& error) {
  std::unique_ptr<Registry> r(new Registry(path, true));
  Conn* c = r->conn();
  if (c == nullptr) {
    error = r->last_error();
    return nullptr;
  }
  if (!r->read_meta(*c)) {
    error = path + " is not a mos-cloud registry: " + c->error;
    return nullptr;
  }
  return r;
}

bool Registry::read_meta(Conn& c) {
  Stmt s(c, "SELECT key, value FROM meta WHERE key IN ('account_id', 'region')");
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) (s.text(0) == "region" ? region_ : account_id_) = s.text(1);
  return rc == SQLITE_DONE;
}


namespace {
// Where a thread's error goes when it has no connection (open failed).
thread_local std::string t_open_error;
// This thread's connections, by Registry id; closed when the thread exits.
thread_local std::unordered_map<uint64_t, std::shared_ptr<Registry::Conn>> t_conns;
std::atomic<uint64_t> g_next_registry_id{1};
}  // namespace

Registry::Registry(std::string path, bool read_only)
    : path_(std::move(path)), read_only_(read_only), id_(g_next_registry_id++) {}
// Other threads' connections to this registry close when those threads exit.
Registry::~Registry() { t_conns.erase(id_); }

Registry::Conn* Registry::conn() const {
  auto it = t_conns.find(id_);
  if (it != t_conns.end()) return it->second.get();
  std::string error;
  sqlite3* db = open_connection(path_, read_only_, error);
  if (db == nullptr) {
    t_open_error = error;
    return nullptr;
  }
  auto c = std::make_shared<Conn>();
  c->db = db;
  t_conns.emplace(id_, c);
  std::lock_guard<std::mutex> lock(pool_mu_);
  conns_.erase(std::remove_if(conns_.begin(), conns_.end(), [](const auto& w) { return w.expired(); }),
               conns_.end());
  conns_.push_back(c);
  return c.get();
}

std::string Registry::last_error() const {
  auto it = t_conns.find(id_);
  return it == t_conns.end() ? t_open_error : it->second->error;
}

void Registry::release_connection() { t_conns.erase(id_); }

size_t Registry::connection_count() const {
  std::lock_guard<std::mutex> lock(pool_mu_);
  return static_cast<size_t>(
      std::count_if(conns_.begin(), conns_.end(), [](const auto& w) { return !w.expired(); }));
}

std::string Registry::arn(const std::string& kind, const std::string& name) const {
  return "arn:aws:iot:" + region_ + ":" + account_id_ + ":" + kind + "/" + name;
}

// ---------------------------------------------------------------- certificates

Err Registry::add_certificate(const Certificate& cert) {
  Conn* c = conn();
  if (c == nullptr) return Err::kInternal;
  Tx tx(*c);
  if (!tx.ok()) return Err::kInternal;
  Stmt s(*c,
         "INSERT INTO certificates(id, arn, status, pem, subject, ca_certificate_id, created_at, "
         "updated_at, not_before, not_after, generation_id) VALUES(?,?,?,?,?,?,?,?,?,?,?)");
  s.bind(cert.id).bind(cert.arn).bind(cert.status).bind(cert.pem).bind(cert.subject);
  if (cert.ca_certificate_id.empty()) s.bind_null(); else s.bind(cert.ca_certificate_id);
  s.bind(cert.created_at).bind(cert.updated_at).bind(cert.not_before).bind(cert.not_after).bind(cert.generation_id);
  int rc = s.step();
  if (rc == SQLITE_CONSTRAINT) return Err::kExists;  // id or ARN taken
  if (rc != SQLITE_DONE) return Err::kInternal;
  return tx.commit() ? Err::kOk : Err::kInternal;
}

std::optional<Certificate> Registry::certificate(const std::string& id) {
  Conn* c = conn();
  if (c == nullptr) return std::nullopt;
  Stmt s(*c, (std::string("SELECT ") + kCertCols + " FROM certificates WHERE id=?").c_str());
  s.bind(id);
  if (s.step() != SQLITE_ROW) return std::nullopt;
  return read_cert(s);
}

std::vector<Certificate> Registry::certificates(bool ascending) {
  Conn* c = conn();
  if (c == nullptr) return {};
  std::string sql = std::string("SELECT ") + kCertCols + " FROM certificates ORDER BY created_at " +
                    (ascending ? "ASC" : "DESC") + ", id";
  Stmt s(*c, sql.c_str());
  std::vector<Certificate> out;
  while (s.step() == SQLITE_ROW) out.push_back(read_cert(s));
  return out;
}

Err Registry::set_certificate_status(const std::string& id, const std::string& status, int64_t now) {
  Conn* c = conn();
  if (c == nullptr) return Err::kInternal;
  Tx tx(*c);
  if (!tx.ok()) return Err::kInternal;
  Stmt cur(*c, "SELECT status FROM certificates WHERE id=?");
  cur.bind(id);
  if (cur.step() != SQLITE_ROW) return Err::kNotFound;
  // AWS: a REVOKED certificate cannot be set to any other status.
  if (cur.text(0) == "REVOKED" && status != "REVOKED") return Err::kState;
  Stmt s(*c,
         "UPDATE certificates SET status=?, updated_at=?, generation_id=generation_id+1 WHERE id=?");
  s.bind(status).bind(now).bind(id);
  if (!s.run()) return Err::kInternal;
  return tx.commit() ? Err::kOk : Err::kInternal;
}

Err Registry::delete_certificate(const std::string& id, bool force) {
  Conn* c = conn();
  if (c == nullptr) return Err::kInternal;
  Tx tx(*c);
  if (!tx.ok()) return Err::kInternal;
  Stmt cur(*c, "SELECT status, arn FROM certificates WHERE id=?");
  cur.bind(id);
  if (cur.step() != SQLITE_ROW) return Err::kNotFound;
  std::string status = cur.text(0), arn = cur.text(1);
  if (status == "ACTIVE") return Err::kState;
  if (count(*c, "SELECT COUNT(*) FROM principal_policies WHERE principal=?", arn) > 0 && !force)
    return Err::kConflict;
  if (count(*c, "SELECT COUNT(*) FROM thing_principals WHERE principal=?", arn) > 0)
    return Err::kConflict;
  if (force) {
    Stmt d(*c, "DELETE FROM principal_policies WHERE principal=?");
    d.bind(arn);
    if (!d.run()) return Err::kInternal;
  }
  Stmt d(*c, "DELETE FROM certificates WHERE id=?");
  d.bind(id);
  if (!d.run()) return Err::kInternal;
  return tx.commit() ? Err::kOk : Err::kInternal;
}

// ---------------------------------------------------------------- policies

Err Registry::create_policy(const std::string& name, const std::string& document, int64_t now) {
  Conn* c = conn();
  if (c == nullptr) return Err::kInternal;
  Tx tx(*c);
  if (!tx.ok()) return Err::kInternal;
  Stmt p(*c,
         "INSERT INTO policies(name, arn, default_version, next_version, created_at, updated_at) "
         "VALUES(?,?,1,2,?,?)");
  p.bind(name).bind(arn("policy", name)).bind(now).bind(now);
  int rc = p.step();
  if (rc == SQLITE_CONSTRAINT) return Err::kExists;
  if (rc != SQLITE_DONE) return Err::kInternal;
  Stmt v(*c, "INSERT INTO policy_versions(policy_name, version, document, created_at) VALUES(?,1,?,?)");
  v.bind(name).bind(document).bind(now);
  if (!v.run()) return Err::kInternal;
  return tx.commit() ? Err::kOk : Err::kInternal;
}

std::optional<Policy> Registry::policy(const std::string& name) {
  Conn* c = conn();
  if (c == nullptr) return std::nullopt;
  Stmt s(*c,
         "SELECT p.name, p.arn, p.default_version, p.next_version, p.created_at, p.updated_at, "
         "v.document FROM policies p JOIN policy_versions v ON v.policy_name=p.name AND "
         "v.version=p.default_version WHERE p.name=?");
  s.bind(name);
  if (s.step() != SQLITE_ROW) return std::nullopt;
  Policy p;
  p.name = s.text(0);
  p.arn = s.text(1);
  p.default_version = s.integer(2);
  p.next_version = s.integer(3);
  p.created_at = s.integer(4);
  p.updated_at = s.integer(5);
  p.default_document = s.text(6);
  return p;
}

std::vector<Policy> Registry::policies(bool ascending) {
  Conn* c = conn();
  if (c == nullptr) return {};
  std::string sql = std::string("SELECT name, arn, default_version, next_version, created_at, "
                                "updated_at FROM policies ORDER BY name ") +
                    (ascending ? "ASC" : "DESC");
  Stmt s(*c, sql.c_str());
  std::vector<Policy> out;
  while (s.step() == SQLITE_ROW) {
    Policy p;
    p.name = s.text(0);
    p.arn = s.text(1);
    p.default_version = s.integer(2);
    p.next_version = s.integer(3);
    p.created_at = s.integer(4);
    p.updated_at = s.integer(5);
    out.push_back(std::move(p));
  }
  return out;
}

Err Registry::delete_policy(const std::string& name) {
  Conn* c = conn();
  if (c == nullptr) return Err::kInternal;
  Tx tx(*c);
  if (!tx.ok()) return Err::kInternal;
  if (count(*c, "SELECT COUNT(*) FROM policies WHERE name=?", name) == 0) return Err::kNotFound;
  if (count(*c, "SELECT COUNT(*) FROM principal_policies WHERE policy_name=?", name) > 0)
    return Err::kConflict;
  if (count(*c, "SELECT COUNT(*) FROM policy_versions WHERE policy_name=?", name) > 1)
    return Err::kLimit;  // caller maps to DeleteConflictException (non-default versions)
  Stmt v(*c, "DELETE FROM policy_versions WHERE policy_name=?");
  v.bind(name);
  Stmt p(*c, "DELETE FROM policies WHERE name=?");
  if (!v.run()) return Err::kInternal;
  p.bind(name);
  if (!p.run()) return Err::kInternal;
  return tx.commit() ? Err::kOk : Err::kInternal;
}

Err Registry::create_policy_version(const std::string& name, const std::string& document,
                                    bool set_default, int64_t now, int64_t& version) {
  Conn* c = conn();
  if (c == nullptr) return Err::kInternal;
  Tx tx(*c);
  if (!tx.ok()) return Err::kInternal;
  Stmt cur(*c, "SELECT next_version FROM policies WHERE name=?");
  cur.bind(name);
  if (cur.step() != SQLITE_ROW) return Err::kNotFound;
  version = cur.integer(0);
  if (count(*c, "SELECT COUNT(*) FROM policy_versions WHERE policy_name=?", name) >=
      kMaxPolicyVersions)
    return Err::kLimit;
  Stmt v(*c, "INSERT INTO policy_versions(policy_name, version, document, created_at) VALUES(?,?,?,?)");
  v.bind(name).bind(version).bind(document).bind(now);
  if (!v.run()) return Err::kInternal;
  Stmt u(*c, set_default ? "UPDATE policies SET next_version=?, default_version=?, updated_at=? WHERE name=?"
                          : "UPDATE policies SET next_version=?, updated_at=? WHERE name=?");
  u.bind(version + 1);
  if (set_default) u.bind(version);
  u.bind(now).bind(name);
  if (!u.run()) return Err::kInternal;
  return tx.commit() ? Err::kOk : Err::kInternal;
}

std::optional<std::vector<PolicyVersion>> Registry::policy_versions(const std::string& name) {
  Conn* c = conn();
  if (c == nullptr) return std::nullopt;
  Stmt cur(*c, "SELECT default_version FROM policies WHERE name=?");
  cur.bind(name);
  if (cur.step() != SQLITE_ROW) return std::nullopt;
  int64_t def = cur.integer(0);
  Stmt s(*c, "SELECT version, document, created_at FROM policy_versions WHERE policy_name=? ORDER BY version DESC");
  s.bind(name);
  std::vector<PolicyVersion> out;
  while (s.step() == SQLITE_ROW) {
    PolicyVersion v;
    v.version = s.integer(0);
    v.document = s.text(1);
    v.created_at = s.integer(2);
    v.is_default = v.version == def;
    out.push_back(std::move(v));
  }
  return out;
}

Err Registry::set_default_policy_version(const std::string& name, int64_t version, int64_t now) {
  Conn* c = conn();
  if (c == nullptr) return Err::kInternal;
  Tx tx(*c);
  if (!tx.ok()) return Err::kInternal;
  Stmt cur(*c, "SELECT COUNT(*) FROM policy_versions WHERE policy_name=? AND version=?");
  cur.bind(name).bind(version);
  if (cur.step() != SQLITE_ROW || cur.integer(0) == 0) return Err::kNotFound;
  Stmt u(*c, "UPDATE policies SET default_version=?, updated_at=? WHERE name=?");
  u.bind(version).bind(now).bind(name);
  if (!u.run()) return Err::kInternal;
  return tx.commit() ? Err::kOk : Err::kInternal;
}

Err Registry::delete_policy_version(const std::string& name, int64_t version) {
  Conn* c = conn();
  if (c == nullptr) return Err::kInternal;
  Tx tx(*c);
  if (!tx.ok()) return Err::kInternal;
  Stmt cur(*c, "SELECT default_version FROM policies WHERE name=?");
  cur.bind(name);
  if (cur.step() != SQLITE_ROW) return Err::kNotFound;
  if (cur.integer(0) == version) return Err::kConflict;
  Stmt d(*c, "DELETE FROM policy_versions WHERE policy_name=? AND version=?");
  d.bind(name).bind(version);
  if (!d.run()) return Err::kInternal;
  if (sqlite3_changes(c->db) == 0) return Err::kNotFound;
  return tx.commit() ? Err::kOk : Err::kInternal;
}

// ---------------------------------------------------------------- attachments

Err Registry::attach_policy(const std::string& principal, const std::string& policy_name) {
  Conn* c = conn();
  if (c == nullptr) return Err::kInternal;
  Tx tx(*c);  // the existence check and the write, atomically
  if (!tx.ok()) return Err::kInternal;
  if (count(*c, "SELECT COUNT(*) FROM policies WHERE name=?", policy_name) == 0) return Err::kNotFound;
  Stmt s(*c, "INSERT OR IGNORE INTO principal_policies(principal, policy_name) VALUES(?,?)");
  s.bind(principal).bind(policy_name);
  if (!s.run()) return Err::kInternal;
  return tx.commit() ? Err::kOk : Err::kInternal;
}

Err Registry::detach_policy(const std::string& principal, const std::string& policy_name) {
  Conn* c = conn();
  if (c == nullptr) return Err::kInternal;
  Tx tx(*c);  // the existence check and the write, atomically
  if (!tx.ok()) return Err::kInternal;
  if (count(*c, "SELECT COUNT(*) FROM policies WHERE name=?", policy_name) == 0) return Err::kNotFound;
  Stmt s(*c, "DELETE FROM principal_policies WHERE principal=? AND policy_name=?");
  s.bind(principal).bind(policy_name);
  if (!s.run()) return Err::kInternal;
  return tx.commit() ? Err::kOk : Err::kInternal;
}

std::vector<std::string> Registry::attached_policies(const std::string& principal) {
  Conn* c = conn();
  if (c == nullptr) return {};
  Stmt s(*c, "SELECT policy_name FROM principal_policies WHERE principal=? ORDER BY policy_name");
  s.bind(principal);
  std::vector<std::string> out;
  while (s.step() == SQLITE_ROW) out.push_back(s.text(0));
  return out;
}

std::vector<std::string> Registry::policy_targets(const std::string& policy_name) {
  Conn* c = conn();
  if (c == nullptr) return {};
  Stmt s(*c, "SELECT principal FROM principal_policies WHERE policy_name=? ORDER BY principal");
  s.bind(policy_name);
  std::vector<std::string> out;
  while (s.step() == SQLITE_ROW) out.push_back(s.text(0));
  return out;
}

bool Registry::principal_exists(const std::string& principal) {
  Conn* c = conn();
  if (c == nullptr) return false;
  return count(*c, "SELECT COUNT(*) FROM certificates WHERE arn=?", principal) > 0;
}

// ---------------------------------------------------------------- things

Err Registry::create_thing(Thing& t) {
  Conn* c = conn();
  if (c == nullptr) return Err::kInternal;
  Tx tx(*c);
  if (!tx.ok()) return Err::kInternal;
  Stmt cur(*c, "SELECT name, arn, thing_id, thing_type, attributes, version, created_at FROM things WHERE name=?");
  cur.bind(t.name);
  if (cur.step() == SQLITE_ROW) {
    Thing old = read_thing(cur);
    if (old.thing_type != t.thing_type || old.attributes != t.attributes) return Err::kExists;
    t = old;
    return Err::kOk;
  }
  Stmt s(*c, "INSERT INTO things(name, arn, thing_id, thing_type, attributes, version, created_at) VALUES(?,?,?,?,?,1,?)");
  s.bind(t.name).bind(t.arn).bind(t.thing_id);
  if (t.thing_type.empty()) s.bind_null(); else s.bind(t.thing_type);
  s.bind(t.attributes).bind(t.created_at);
  if (!s.run()) return Err::kInternal;
  t.version = 1;
  return tx.commit() ? Err::kOk : Err::kInternal;
}

std::optional<Thing> Registry::thing(const std::string& name) {
  Conn* c = conn();
  if (c == nullptr) return std::nullopt;
  Stmt s(*c, "SELECT name, arn, thing_id, thing_type, attributes, version, created_at FROM things WHERE name=?");
  s.bind(name);
  if (s.step() != SQLITE_ROW) return std::nullopt;
  return read_thing(s);
}

std::vector<Thing> Registry::things() {
  Conn* c = conn();
  if (c == nullptr) return {};
  Stmt s(*c, "SELECT name, arn, thing_id, thing_type, attributes, version, created_at FROM things ORDER BY name");
  std::vector<Thing> out;
  while (s.step() == SQLITE_ROW) out.push_back(read_thing(s));
  return out;
}

Err Registry::delete_thing(const std::string& name, std::optional<int64_t> expected_version) {
  Conn* c = conn();
  if (c == nullptr) return Err::kInternal;
  Tx tx(*c);
  if (!tx.ok()) return Err::kInternal;
  Stmt cur(*c, "SELECT version FROM things WHERE name=?");
  cur.bind(name);
  if (cur.step() != SQLITE_ROW) return Err::kNotFound;
  if (expected_version && *expected_version != cur.integer(0)) return Err::kState;
  if (count(*c, "SELECT COUNT(*) FROM thing_principals WHERE thing_name=?", name) > 0)
    return Err::kConflict;
  Stmt d(*c, "DELETE FROM things WHERE name=?");
  d.bind(name);
  if (!d.run()) return Err::kInternal;
  return tx.commit() ? Err::kOk : Err::kInternal;
}

Err Registry::attach_thing_principal(const std::string& thing_name, const std::string& principal) {
  Conn* c = conn();
  if (c == nullptr) return Err::kInternal;
  Tx tx(*c);  // the existence check and the write, atomically
  if (!tx.ok()) return Err::kInternal;
  if (count(*c, "SELECT COUNT(*) FROM things WHERE name=?", thing_name) == 0) return Err::kNotFound;
  Stmt s(*c, "INSERT OR IGNORE INTO thing_principals(thing_name, principal) VALUES(?,?)");
  s.bind(thing_name).bind(principal);
  if (!s.run()) return Err::kInternal;
  return tx.commit() ? Err::kOk : Err::kInternal;
}

Err Registry::detach_thing_principal(const std::string& thing_name, const std::string& principal) {
  Conn* c = conn();
  if (c == nullptr) return Err::kInternal;
  Tx tx(*c);  // the existence check and the write, atomically
  if (!tx.ok()) return Err::kInternal;
  if (count(*c, "SELECT COUNT(*) FROM things WHERE name=?", thing_name) == 0) return Err::kNotFound;
  Stmt s(*c, "DELETE FROM thing_principals WHERE thing_name=? AND principal=?");
  s.bind(thing_name).bind(principal);
  if (!s.run()) return Err::kInternal;
  return tx.commit() ? Err::kOk : Err::kInternal;
}

std::optional<std::vector<std::string>> Registry::thing_principals(const std::string& thing_name) {
  Conn* c = conn();
  if (c == nullptr) return std::nullopt;
  if (count(*c, "SELECT COUNT(*) FROM things WHERE name=?", thing_name) == 0) return std::nullopt;
  Stmt s(*c, "SELECT principal FROM thing_principals WHERE thing_name=? ORDER BY principal");
  s.bind(thing_name);
  std::vector<std::string> out;
  while (s.step() == SQLITE_ROW) out.push_back(s.text(0));
  return out;
}

std::vector<std::string> Registry::principal_things(const std::string& principal) {
  Conn* c = conn();
  if (c == nullptr) return {};
  Stmt s(*c, "SELECT thing_name FROM thing_principals WHERE principal=? ORDER BY thing_name");
  s.bind(principal);
  std::vector<std::string> out;
  while (s.step() == SQLITE_ROW) out.push_back(s.text(0));
  return out;
}

// ---------------------------------------------------------------- connections

std::vector<ConnectedClient> Registry::connected_clients() {
  Conn* c = conn();
  if (c == nullptr) return {};
  Stmt s(*c,
         "SELECT client_id, certificate_id, COALESCE(thing_name, ''), connected_at FROM connections "
         "ORDER BY connected_at, client_id");
  std::vector<ConnectedClient> out;
  while (s.step() == SQLITE_ROW) {
    ConnectedClient cc;
    cc.client_id = s.text(0);
    cc.certificate_id = s.text(1);
    cc.thing_name = s.text(2);
    cc.connected_at = s.integer(3);
    out.push_back(std::move(cc));
  }
  return out;
}

// ---------------------------------------------------------------- denials

namespace {
// A certificate id as people paste it: any case, "AB:CD:..." (openssl
// -fingerprint), a trailing ellipsis from a shortened listing, or the ARN.
std::string normalise_certificate_id(std::string id) {
  if (size_t cert = id.rfind(":cert/"); id.rfind("arn:", 0) == 0 && cert != std::string::npos)
    id.erase(0, cert + 6);
  for (const char* tail : {"\xe2\x80\xa6", "..."})  // "…" (U+2026) or three dots
    if (id.size() >= std::strlen(tail) && id.compare(id.size() - std::strlen(tail), std::string::npos, tail) == 0)
      id.resize(id.size() - std::strlen(tail));
  std::string out;
  for (char ch : id)
    if (ch != ':') out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(ch))));
  return out;
}
// Shorter prefixes would match too many certificates to be what was meant.
constexpr size_t kMinCertificatePrefix = 6;
}  // namespace

std::vector<Denial> Registry::denials(const DenialQuery& q) {
  Conn* c = conn();
  if (c == nullptr) return {};
  c->error.clear();
  const std::string cert = normalise_certificate_id(q.certificate_id);
  Stmt s(*c,
         "SELECT id, at_ms, client_id, certificate_id, action, resource, reason FROM denials "
         "WHERE id > ?1 AND (?2 = '' OR client_id = ?2) "
         "AND (?3 = '' OR certificate_id = ?3 OR (?4 AND substr(certificate_id, 1, length(?3)) = ?3)) "
         "ORDER BY id DESC LIMIT ?5");
  // SQLite: a negative LIMIT means no limit.
  s.bind(q.after_id).bind(q.client_id).bind(cert).bind(int64_t{cert.size() >= kMinCertificatePrefix})
      .bind(q.limit == 0 ? int64_t{-1} : static_cast<int64_t>(std::min<size_t>(q.limit, INT64_MAX)));
  std::vector<Denial> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    Denial d;
    d.id = s.integer(0);
    d.at_ms = s.integer(1);
    d.client_id = s.text(2);
    d.certificate_id = s.text(3);
    d.action = s.text(4);
    d.resource = s.text(5);
    d.reason = s.text(6);
    out.push_back(std::move(d));
  }
  if (rc != SQLITE_DONE) out.clear();
  return out;
}

}  // namespace mos::registry

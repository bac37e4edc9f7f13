// A registry in a fresh temporary directory, for the console's tests, and the
// rows the policy plugin would write (connections).
#pragma once
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "mos/registry/registry.h"

namespace mos::console::test {

class TempRegistry {
 public:
  TempRegistry() {
    char tmpl[] = "/tmp/mos-console-test-XXXXXX";
    dir = ::mkdtemp(tmpl);
    std::string err;
    reg = registry::Registry::open((dir / "registry.db").string(), err);
    EXPECT_TRUE(reg) << err;
  }
  ~TempRegistry() {
    reg.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }

  // A certificate row like CreateCertificateFromCsr's; its id is 64 times
  // the hex digit n (0..15).
  registry::Certificate add_cert(int n, const std::string& status = "ACTIVE") {
    registry::Certificate c;
    c.id = std::string(64, "0123456789abcdef"[n & 15]);
    c.arn = reg->arn("cert", c.id);
    c.status = status;
    c.pem = "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n";
    c.subject = "CN=dev" + std::to_string(n);
    c.created_at = c.updated_at = 1700000000;
    c.not_before = 1700000000;
    c.not_after = 2524607999;
    EXPECT_EQ(reg->add_certificate(c), registry::Err::kOk) << reg->last_error();
    return c;
  }
  // What the policy plugin records for an admitted CONNECT.
  void connect(const std::string& client_id, const std::string& cert_id, const char* thing, int64_t at) {
    exec("INSERT OR REPLACE INTO connections(client_id, certificate_id, thing_name, session, connected_at) VALUES('" +
         client_id + "','" + cert_id + "'," + (thing ? "'" + std::string(thing) + "'" : std::string("NULL")) + ",1," +
         std::to_string(at) + ")");
  }
  void disconnect(const std::string& client_id) { exec("DELETE FROM connections WHERE client_id='" + client_id + "'"); }

  std::filesystem::path dir;
  std::unique_ptr<registry::Registry> reg;

 private:
  void exec(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir / "registry.db").string().c_str(), &db), SQLITE_OK);
    char* msg = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &msg), SQLITE_OK) << (msg ? msg : "");
    sqlite3_free(msg);
    sqlite3_close(db);
  }
};

}  // namespace mos::console::test

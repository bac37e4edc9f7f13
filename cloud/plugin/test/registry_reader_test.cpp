// RegistryReader against a registry.db written with the contract's schema.
#include "registry_reader.h"

#include "schema_sql.h"  // kSchemaSql, from cloud/registry/schema.sql

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

namespace mos::cloud {
namespace {

// The rows the tests read, on top of the very schema mos-cloud creates
// (kSchemaSql, generated from cloud/registry/schema.sql).
const char* kRows = R"(
INSERT INTO meta VALUES('account_id', '210987654321'), ('region', 'eu-west-1');
INSERT INTO certificates VALUES('aa11', 'arn:aws:iot:eu-west-1:210987654321:cert/aa11', 'ACTIVE', 'pem',
  'CN=dev', NULL, 0, 0, 0, 0, 1);
INSERT INTO policies VALUES('p1', 'arn:p1', 2, 3, 0, 0), ('broken', 'arn:broken', 1, 2, 0, 0),
  ('other', 'arn:other', 1, 2, 0, 0);
INSERT INTO policy_versions VALUES
  ('p1', 1, '{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"iot:*","Resource":"*"}}', 0),
  ('p1', 2, '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iot:Connect","Resource":"*"}}', 0),
  ('broken', 1, '{"Version":"2012-10-17"', 0),
  ('other', 1, '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iot:*","Resource":"*"}}', 0);
INSERT INTO principal_policies VALUES('arn:aws:iot:eu-west-1:210987654321:cert/aa11', 'p1'),
  ('arn:aws:iot:eu-west-1:210987654321:cert/aa11', 'broken'), ('arn:someone-else', 'other');
INSERT INTO things VALUES('lamp', 'arn:thing/lamp', 'id1', 'bulb', '{"room":"hall","n":3}', 1, 0);
INSERT INTO thing_principals VALUES('lamp', 'arn:aws:iot:eu-west-1:210987654321:cert/aa11');
)";

class RegistryReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = std::filesystem::temp_directory_path() /
            ("registry_reader_test_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db");
    std::filesystem::remove(path_);
    ASSERT_EQ(sqlite3_open(path_.c_str(), &writer_), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(writer_, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr), SQLITE_OK);
    for (const char* sql : {kSchemaSql, kRows}) {
      char* err = nullptr;
      ASSERT_EQ(sqlite3_exec(writer_, sql, nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
      sqlite3_free(err);
    }
  }
  void TearDown() override {
    sqlite3_close(writer_);
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_.string() + suffix);
  }
  void exec(const char* sql) { ASSERT_EQ(sqlite3_exec(writer_, sql, nullptr, nullptr, nullptr), SQLITE_OK); }

  std::filesystem::path path_;
  sqlite3* writer_ = nullptr;
};

TEST_F(RegistryReaderTest, ReadsMetaCertificatesPoliciesAndThings) {
  RegistryReader r;
  std::string error;
  ASSERT_TRUE(r.open(path_.string(), &error)) << error;
  EXPECT_EQ(r.arn_prefix(), "arn:aws:iot:eu-west-1:210987654321:");

  CertInfo cert;
  ASSERT_EQ(r.certificate("aa11", &cert, &error), Lookup::kFound);
  EXPECT_EQ(cert.status, "ACTIVE");
  EXPECT_EQ(cert.arn, "arn:aws:iot:eu-west-1:210987654321:cert/aa11");
  EXPECT_EQ(r.certificate("bb22", &cert, &error), Lookup::kNotFound);

  std::vector<policy::PolicyDoc> docs;
  std::vector<std::string> warnings;
  ASSERT_TRUE(r.policies(cert.arn, &docs, &warnings, &error)) << error;
  ASSERT_EQ(docs.size(), 1u);  // p1 at its default version 2; "broken" skipped with a warning
  EXPECT_EQ(docs[0].name, "p1");
  ASSERT_EQ(docs[0].statements.size(), 1u);
  EXPECT_TRUE(docs[0].statements[0].allow);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("policy broken"), std::string::npos);

  ThingInfo thing;
  ASSERT_EQ(r.attached_thing(cert.arn, "lamp", &thing, &error), Lookup::kFound);
  EXPECT_EQ(thing.type.value_or(""), "bulb");
  EXPECT_EQ(thing.attributes.at("room"), "hall");
  EXPECT_EQ(thing.attributes.count("n"), 0u);  // only string attributes become variables
  EXPECT_EQ(r.attached_thing(cert.arn, "other", &thing, &error), Lookup::kNotFound);
  EXPECT_EQ(r.attached_thing("arn:someone-else", "lamp", &thing, &error), Lookup::kNotFound);
}

TEST_F(RegistryReaderTest, SeesCommitsOfTheWriter) {
  RegistryReader r;
  std::string error;
  ASSERT_TRUE(r.open(path_.string(), &error)) << error;
  int64_t v0 = r.data_version();
  CertInfo cert;
  ASSERT_EQ(r.certificate("aa11", &cert, &error), Lookup::kFound);
  EXPECT_EQ(r.data_version(), v0);  // no change, no new version
  exec("UPDATE certificates SET status='REVOKED' WHERE id='aa11'");
  EXPECT_NE(r.data_version(), v0);
  ASSERT_EQ(r.certificate("aa11", &cert, &error), Lookup::kFound);
  EXPECT_EQ(cert.status, "REVOKED");
  // A new default version is picked up (the parsed-document cache is keyed on the text).
  exec("UPDATE policies SET default_version=1 WHERE name='p1'");
  std::vector<policy::PolicyDoc> docs;
  std::vector<std::string> warnings;
  ASSERT_TRUE(r.policies(cert.arn, &docs, &warnings, &error));
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_FALSE(docs[0].statements[0].allow);
  exec("DELETE FROM certificates WHERE id='aa11'");
  EXPECT_EQ(r.certificate("aa11", &cert, &error), Lookup::kNotFound);
}

TEST_F(RegistryReaderTest, MissingOrForeignDatabaseIsAnError) {
  RegistryReader r;
  std::string error;
  EXPECT_FALSE(r.open((path_.parent_path() / "does-not-exist" / "registry.db").string(), &error));
  EXPECT_NE(error.find("cannot open registry"), std::string::npos) << error;
  exec("DROP TABLE meta");
  EXPECT_FALSE(r.open(path_.string(), &error));
  EXPECT_NE(error.find("not a mos-cloud registry"), std::string::npos) << error;
  EXPECT_FALSE(r.is_open());
  CertInfo cert;
  EXPECT_EQ(r.certificate("aa11", &cert, &error), Lookup::kError);
}

// The denials table: what `mos cloud denials` and the web console read.
class DenialsTest : public RegistryReaderTest {
 protected:
  int64_t count(const char* where = "1") {
    sqlite3_stmt* st = nullptr;
    std::string sql = std::string("SELECT COUNT(*) FROM denials WHERE ") + where;
    EXPECT_EQ(sqlite3_prepare_v2(writer_, sql.c_str(), -1, &st, nullptr), SQLITE_OK);
    int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    return n;
  }
  std::vector<std::string> row(int64_t id) {
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(writer_,
                                 "SELECT at_ms, client_id, certificate_id, action, resource, reason FROM denials "
                                 "WHERE id = ?",
                                 -1, &st, nullptr),
              SQLITE_OK);
    sqlite3_bind_int64(st, 1, id);
    std::vector<std::string> out;
    if (sqlite3_step(st) == SQLITE_ROW)
      for (int i = 0; i < 6; ++i) out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, i)));
    sqlite3_finalize(st);
    return out;
  }
  DenialRecord denial(const std::string& client_id) {
    DenialRecord d;
    d.at_ms = 1764632401123;
    d.client_id = client_id;
    d.certificate_id = "aa11";
    d.action = "iot:Connect";
    d.resource = "arn:aws:iot:eu-west-1:210987654321:client/" + client_id;
    d.reason = "no statement allows";
    return d;
  }
};

TEST_F(DenialsTest, RecordsEveryField) {
  RegistryReader r;
  std::string error;
  ASSERT_TRUE(r.open(path_.string(), &error)) << error;
  ASSERT_TRUE(r.record_denial(denial("esp8266_ABC"), &error)) << error;
  EXPECT_EQ(row(1), (std::vector<std::string>{"1764632401123", "esp8266_ABC", "aa11", "iot:Connect",
                                               "arn:aws:iot:eu-west-1:210987654321:client/esp8266_ABC",
                                               "no statement allows"}));
  // The plugin's own write does not look like a registry change to itself
  // (it would re-check every session on each denial).
  int64_t v = r.data_version();
  ASSERT_TRUE(r.record_denial(denial("b"), &error)) << error;
  EXPECT_EQ(r.data_version(), v);
}

TEST_F(DenialsTest, KeepsTheNewest1000) {
  RegistryReader r;
  std::string error;
  ASSERT_TRUE(r.open(path_.string(), &error)) << error;
  for (int i = 1; i <= kDenialsKept + 5; ++i)
    ASSERT_TRUE(r.record_denial(denial("c" + std::to_string(i)), &error)) << error;
  EXPECT_EQ(count(), kDenialsKept);
  EXPECT_EQ(count("id <= 5"), 0);  // the oldest five went
  EXPECT_EQ(row(kDenialsKept + 5).at(1), "c1005");
  EXPECT_EQ(row(6).at(1), "c6");
}

TEST_F(DenialsTest, HostileValuesAreCappedOnUtf8Boundaries) {
  RegistryReader r;
  std::string error;
  ASSERT_TRUE(r.open(path_.string(), &error)) << error;
  // 65535 bytes (MQTT's largest client id) with newlines, escapes and a
  // 3-byte UTF-8 character straddling the cap.
  std::string hostile = std::string(kDenialClientIdMax - 1, 'a') + "\xe2\x82\xac" + "\n\x1b[31m";
  hostile += std::string(65535 - hostile.size(), 'z');
  DenialRecord d = denial(hostile);
  d.resource = "arn:aws:iot:eu-west-1:210987654321:topic/" + std::string(70000, 't');
  d.reason = std::string(5000, 'r');
  ASSERT_TRUE(r.record_denial(d, &error)) << error;
  auto got = row(1);
  EXPECT_EQ(got.at(1), std::string(kDenialClientIdMax - 1, 'a') + "...[65535 bytes]");  // no half euro sign
  EXPECT_EQ(got.at(4).size(), kDenialResourceMax + std::string("...[70041 bytes]").size());
  EXPECT_EQ(got.at(5), std::string(kDenialReasonMax, 'r') + "...[5000 bytes]");
  EXPECT_EQ(cap_text("short", 5), "short");
}

TEST_F(DenialsTest, ABusyRegistryDropsTheRecordFast) {
  RegistryReader r;
  std::string error;
  ASSERT_TRUE(r.open(path_.string(), &error)) << error;
  exec("BEGIN IMMEDIATE");  // mos-cloud in the middle of a write
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(r.record_denial(denial("late"), &error));
  auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_NE(error.find("locked"), std::string::npos) << error;
  EXPECT_LT(waited, std::chrono::milliseconds(150)) << "the broker's thread waited for a log record";
  exec("COMMIT");
  EXPECT_EQ(count(), 0);
  // Free again: the next one is written, and reads still wait as long as before.
  ASSERT_TRUE(r.record_denial(denial("again"), &error)) << error;
  EXPECT_EQ(count(), 1);
}

}  // namespace
}  // namespace mos::cloud

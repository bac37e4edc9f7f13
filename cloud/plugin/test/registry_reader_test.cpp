// RegistryReader against a registry.db written with the contract's schema.
#include "registry_reader.h"

#include "schema_sql.h"  // kSchemaSql, from cloud/registry/schema.sql

#include <gtest/gtest.h>
#include <sqlite3.h>

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

}  // namespace
}  // namespace mos::cloud

#include "mos/registry/registry.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

namespace fs = std::filesystem;
using namespace mos::registry;

namespace {

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() / ("mos-registry-" + std::to_string(::getpid()) + "-" +
                                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::string err;
    reg = Registry::open((dir / "registry.db").string(), err);
    ASSERT_TRUE(reg) << err;
  }
  void TearDown() override {
    reg.reset();
    fs::remove_all(dir);
  }
  Certificate cert(const std::string& id, const std::string& status = "ACTIVE") {
    Certificate c;
    c.id = id;
    c.arn = reg->arn("cert", id);
    c.status = status;
    c.pem = "PEM";
    c.subject = "CN=x";
    c.created_at = c.updated_at = 100;
    c.not_before = 1;
    c.not_after = 2;
    return c;
  }
  fs::path dir;
  std::unique_ptr<Registry> reg;
};

}  // namespace

TEST_F(RegistryTest, CertificateLifecycleAndDeleteRules) {
  ASSERT_EQ(reg->add_certificate(cert("aa")), Err::kOk);
  EXPECT_EQ(reg->add_certificate(cert("aa")), Err::kExists);
  EXPECT_EQ(reg->delete_certificate("aa", false), Err::kState);  // ACTIVE
  ASSERT_EQ(reg->create_policy("p", "{}", 1), Err::kOk);
  ASSERT_EQ(reg->attach_policy(reg->arn("cert", "aa"), "p"), Err::kOk);
  EXPECT_EQ(reg->set_certificate_status("aa", "INACTIVE", 5), Err::kOk);
  EXPECT_EQ(reg->delete_certificate("aa", false), Err::kConflict);  // policy attached
  EXPECT_EQ(reg->detach_policy(reg->arn("cert", "aa"), "p"), Err::kOk);
  EXPECT_EQ(reg->certificate("aa")->generation_id, 2);
  EXPECT_EQ(reg->set_certificate_status("aa", "REVOKED", 6), Err::kOk);
  EXPECT_EQ(reg->set_certificate_status("aa", "ACTIVE", 7), Err::kState);
  EXPECT_EQ(reg->set_certificate_status("zz", "ACTIVE", 7), Err::kNotFound);
  EXPECT_EQ(reg->delete_certificate("aa", false), Err::kOk);
  EXPECT_FALSE(reg->certificate("aa"));
  EXPECT_EQ(reg->delete_certificate("aa", false), Err::kNotFound);
}

TEST_F(RegistryTest, PolicyVersionsLimitAndDefault) {
  ASSERT_EQ(reg->create_policy("p", "v1", 1), Err::kOk);
  EXPECT_EQ(reg->create_policy("p", "v1", 1), Err::kExists);
  int64_t v = 0;
  for (int i = 2; i <= 5; ++i) {
    ASSERT_EQ(reg->create_policy_version("p", "v" + std::to_string(i), i == 3, 2, v), Err::kOk);
    EXPECT_EQ(v, i);
  }
  EXPECT_EQ(reg->create_policy_version("p", "v6", false, 2, v), Err::kLimit);
  EXPECT_EQ(reg->policy("p")->default_version, 3);
  EXPECT_EQ(reg->policy("p")->default_document, "v3");
  EXPECT_EQ(reg->delete_policy_version("p", 3), Err::kConflict);
  EXPECT_EQ(reg->delete_policy_version("p", 5), Err::kOk);
  EXPECT_EQ(reg->policy_versions("p")->size(), 4u);
  EXPECT_EQ(reg->delete_policy("p"), Err::kLimit);  // non-default versions remain
  for (int64_t i : {1, 2, 4}) EXPECT_EQ(reg->delete_policy_version("p", i), Err::kOk);
  EXPECT_EQ(reg->delete_policy("p"), Err::kOk);
  EXPECT_FALSE(reg->policy("p"));
  EXPECT_FALSE(reg->policy_versions("p"));
}

TEST_F(RegistryTest, ThingsAndPrincipals) {
  Thing t;
  t.name = "dev1";
  t.arn = reg->arn("thing", "dev1");
  t.thing_id = "id1";
  t.attributes = R"({"a":"1"})";
  ASSERT_EQ(reg->create_thing(t), Err::kOk);
  Thing same = t;
  EXPECT_EQ(reg->create_thing(same), Err::kOk);  // identical: idempotent
  Thing other = t;
  other.attributes = "{}";
  EXPECT_EQ(reg->create_thing(other), Err::kExists);
  ASSERT_EQ(reg->attach_thing_principal("dev1", "arn:x"), Err::kOk);
  EXPECT_EQ(reg->attach_thing_principal("nope", "arn:x"), Err::kNotFound);
  EXPECT_EQ(reg->thing_principals("dev1")->size(), 1u);
  EXPECT_EQ(reg->principal_things("arn:x"), std::vector<std::string>{"dev1"});
  EXPECT_EQ(reg->delete_thing("dev1", std::nullopt), Err::kConflict);
  EXPECT_EQ(reg->detach_thing_principal("dev1", "arn:x"), Err::kOk);
  EXPECT_EQ(reg->delete_thing("dev1", 7), Err::kState);
  EXPECT_EQ(reg->delete_thing("dev1", 1), Err::kOk);
  EXPECT_EQ(reg->delete_thing("dev1", std::nullopt), Err::kNotFound);
}

TEST_F(RegistryTest, SurvivesReopenAndConcurrentWriters) {
  std::string err;
  // A second connection (as a second process or the plugin would have).
  auto other = Registry::open((dir / "registry.db").string(), err);
  ASSERT_TRUE(other) << err;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      Registry* r = t % 2 ? other.get() : reg.get();
      for (int i = 0; i < 50; ++i)
        EXPECT_EQ(r->add_certificate(cert(std::to_string(t) + "-" + std::to_string(i))), Err::kOk);
    });
  }
  for (auto& th : threads) th.join();
  reg.reset();
  reg = Registry::open((dir / "registry.db").string(), err);
  ASSERT_TRUE(reg) << err;
  EXPECT_EQ(reg->certificates(true).size(), 200u);
  EXPECT_EQ(reg->account_id(), "123456789012");
  EXPECT_EQ(reg->region(), "us-east-1");
}

#include "mos/registry/registry.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
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

// Several connections (threads of one server, or mos-cloud + a second process)
// racing on the same names: every answer must be one the API can map to an
// AWS error (never kInternal). Before every check+write ran in one IMMEDIATE
// transaction, attach_policy could see the policy, lose it to a concurrent
// delete_policy and fail on the foreign key (kInternal, "FOREIGN KEY
// constraint failed").
TEST_F(RegistryTest, RacingConnectionsGetTheRightErrors) {
  constexpr int kThreads = 6, kRounds = 60;
  std::vector<std::unique_ptr<Registry>> regs;
  for (int t = 0; t < kThreads; ++t) {
    std::string err;
    regs.push_back(Registry::open((dir / "registry.db").string(), err));
    ASSERT_TRUE(regs.back()) << err;
  }
  std::atomic<int> internal{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Registry& r = *regs[static_cast<size_t>(t)];
      std::string principal = r.arn("cert", "c" + std::to_string(t));
      for (int i = 0; i < kRounds; ++i) {
        std::string name = "p" + std::to_string(i % 3);
        Err e = r.create_policy(name, "{}", i);
        if (e != Err::kOk && e != Err::kExists) ++internal, ADD_FAILURE() << "create " << r.last_error();
        e = r.attach_policy(principal, name);
        if (e != Err::kOk && e != Err::kNotFound) ++internal, ADD_FAILURE() << "attach " << r.last_error();
        e = r.detach_policy(principal, name);
        if (e != Err::kOk && e != Err::kNotFound) ++internal, ADD_FAILURE() << "detach " << r.last_error();
        e = r.delete_policy(name);
        if (e != Err::kOk && e != Err::kNotFound && e != Err::kConflict)
          ++internal, ADD_FAILURE() << "delete " << r.last_error();
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(internal.load(), 0);
}

// The server's way: one shared Registry, many worker threads. Nothing is lost,
// duplicates are kExists for all but the one winner, and each thread works on
// a connection of its own.
TEST_F(RegistryTest, SharedRegistryManyThreadsNothingLost) {
  constexpr int kThreads = 8, kPerThread = 25;
  std::atomic<int> policy_winners{0}, thing_ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string id = std::to_string(t) + "-" + std::to_string(i);
        Certificate c = cert(id);
        ASSERT_EQ(reg->add_certificate(c), Err::kOk) << reg->last_error();
        // Everyone tries the same certificate id too: one winner in total.
        Err dup = reg->add_certificate(cert("same-" + std::to_string(i)));
        EXPECT_TRUE(dup == Err::kOk || dup == Err::kExists) << reg->last_error();
        ASSERT_EQ(reg->create_policy("pol-" + id, "{}", 1), Err::kOk) << reg->last_error();
        Err p = reg->create_policy("shared", "{}", 1);
        if (p == Err::kOk) ++policy_winners;
        else EXPECT_EQ(p, Err::kExists) << reg->last_error();
        ASSERT_EQ(reg->attach_policy(c.arn, "pol-" + id), Err::kOk) << reg->last_error();
        ASSERT_EQ(reg->attach_policy(c.arn, "shared"), Err::kOk) << reg->last_error();
        Thing th;
        th.name = "thing-" + id;
        th.arn = reg->arn("thing", th.name);
        th.thing_id = id;
        ASSERT_EQ(reg->create_thing(th), Err::kOk) << reg->last_error();
        Thing clash;
        clash.name = "clash";
        clash.arn = reg->arn("thing", "clash");
        clash.thing_id = id;
        clash.attributes = R"({"by":")" + id + "\"}";  // differs per thread: one winner
        Err ce = reg->create_thing(clash);
        if (ce == Err::kOk) ++thing_ok;
        else EXPECT_EQ(ce, Err::kExists) << reg->last_error();
        ASSERT_EQ(reg->attach_thing_principal(th.name, c.arn), Err::kOk) << reg->last_error();
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(policy_winners.load(), 1);
  EXPECT_EQ(thing_ok.load(), 1);
  EXPECT_EQ(reg->certificates(true).size(), size_t{kThreads * kPerThread + kPerThread});
  EXPECT_EQ(reg->policies(true).size(), size_t{kThreads * kPerThread + 1});
  EXPECT_EQ(reg->things().size(), size_t{kThreads * kPerThread + 1});
  EXPECT_EQ(reg->policy_targets("shared").size(), size_t{kThreads * kPerThread});
  EXPECT_EQ(reg->attached_policies(reg->arn("cert", "3-7")),
            (std::vector<std::string>{"pol-3-7", "shared"}));
  EXPECT_EQ(reg->principal_things(reg->arn("cert", "5-9")), std::vector<std::string>{"thing-5-9"});
  EXPECT_EQ(reg->connection_count(), 1u);  // the workers' closed as they exited
}

// The plugin writes connections rows; connected_clients() returns them as stored,
// whatever bytes the client id holds.
TEST_F(RegistryTest, ConnectedClientsAreReadFromTheTable) {
  EXPECT_TRUE(reg->connected_clients().empty());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir / "registry.db").string().c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "INSERT INTO connections(client_id, certificate_id, thing_name, session, connected_at) "
                         "VALUES('evil disconnected', 'ab', NULL, 1, 10), ('dev1', 'cd', 'dev1', 2, 20)",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto cc = reg->connected_clients();
  ASSERT_EQ(cc.size(), 2u);
  EXPECT_EQ(cc[0].client_id, "evil disconnected");
  EXPECT_EQ(cc[0].thing_name, "");
  EXPECT_EQ(cc[1].thing_name, "dev1");
  EXPECT_EQ(cc[1].connected_at, 20);
}

// A thread per request (as some HTTP servers do) leaks no connections: each
// thread's connection closes when the thread exits.
TEST_F(RegistryTest, ThreadPerRequestLeaksNoConnections) {
  for (int i = 0; i < 200; ++i) {
    std::thread([&, i] {
      ASSERT_EQ(reg->add_certificate(cert("t" + std::to_string(i))), Err::kOk) << reg->last_error();
    }).join();
  }
  EXPECT_EQ(reg->certificates(true).size(), 200u);
  EXPECT_EQ(reg->connection_count(), 1u);  // this thread's only
  reg->release_connection();
  EXPECT_EQ(reg->connection_count(), 0u);
}

// The denials table as the policy plugin writes it (its own INSERTs, with
// ids from AUTOINCREMENT), read through Registry::denials().
class DenialsTest : public RegistryTest {
 protected:
  void SetUp() override {
    RegistryTest::SetUp();
    ASSERT_EQ(sqlite3_open((dir / "registry.db").string().c_str(), &plugin), SQLITE_OK);
  }
  void TearDown() override {
    sqlite3_close(plugin);
    RegistryTest::TearDown();
  }
  void add(const std::string& client, const std::string& cert, const std::string& action = "iot:Connect") {
    sqlite3_stmt* st = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(plugin,
                                 "INSERT INTO denials(at_ms, client_id, certificate_id, action, resource, reason) "
                                 "VALUES(?, ?, ?, ?, 'arn:aws:iot:us-east-1:123456789012:client/' || ?2, "
                                 "'no statement allows')",
                                 -1, &st, nullptr),
              SQLITE_OK);
    sqlite3_bind_int64(st, 1, 1764632401000 + static_cast<int64_t>(++n));
    sqlite3_bind_text(st, 2, client.data(), static_cast<int>(client.size()), SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, cert.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, action.c_str(), -1, SQLITE_TRANSIENT);
    ASSERT_EQ(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
  }
  std::vector<std::string> clients(const DenialQuery& q) {
    std::vector<std::string> out;
    for (const auto& d : reg->denials(q)) out.push_back(d.client_id);
    return out;
  }
  sqlite3* plugin = nullptr;
  int n = 0;
};

const std::string kCertA = "3f2a9c" + std::string(58, 'a');
const std::string kCertB = "3f2a9d" + std::string(58, 'b');

TEST_F(DenialsTest, NewestFirstWithEveryField) {
  EXPECT_TRUE(reg->denials({}).empty());
  EXPECT_EQ(reg->last_error(), "");
  add("esp8266_ABC", kCertA);
  add("other", "-", "iot:Publish");
  auto d = reg->denials({});
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].client_id, "other");
  EXPECT_EQ(d[0].id, 2);
  EXPECT_EQ(d[0].action, "iot:Publish");
  EXPECT_EQ(d[1].id, 1);
  EXPECT_EQ(d[1].at_ms, 1764632401001);
  EXPECT_EQ(d[1].certificate_id, kCertA);
  EXPECT_EQ(d[1].resource, "arn:aws:iot:us-east-1:123456789012:client/esp8266_ABC");
  EXPECT_EQ(d[1].reason, "no statement allows");
}

TEST_F(DenialsTest, FiltersByClientIdExactly) {
  add("dev1", kCertA);
  add("dev10", kCertA);
  add("dev1", kCertB);
  add(std::string("nul\0id", 6), kCertB);
  DenialQuery q;
  q.client_id = "dev1";
  EXPECT_EQ(clients(q), (std::vector<std::string>{"dev1", "dev1"}));
  q.client_id = "DEV1";
  EXPECT_TRUE(clients(q).empty());
  q.client_id = std::string("nul\0id", 6);  // any bytes, compared whole
  EXPECT_EQ(reg->denials(q).size(), 1u);
}

TEST_F(DenialsTest, FiltersByCertificateIdOrAPrefixOfSixOrMore) {
  add("a", kCertA);
  add("b", kCertB);
  add("none", "-");
  DenialQuery q;
  for (const std::string& id : {kCertA, std::string("3f2a9c"), std::string("3F2A9C"), std::string("3f:2a:9c:aa"),
                                std::string("3f2a9c…"), std::string("3f2a9c..."),
                                "arn:aws:iot:us-east-1:123456789012:cert/" + kCertA}) {
    q.certificate_id = id;
    EXPECT_EQ(clients(q), std::vector<std::string>{"a"}) << id;
  }
  q.certificate_id = "3f2a9";  // five digits: too short to be a prefix
  EXPECT_TRUE(clients(q).empty());
  q.certificate_id = "-";
  EXPECT_EQ(clients(q), std::vector<std::string>{"none"});
  q.certificate_id = "3f2a9%";  // no LIKE wildcards
  EXPECT_TRUE(clients(q).empty());
}

TEST_F(DenialsTest, AfterIdAndLimitFollowNewOnes) {
  for (int i = 1; i <= 5; ++i) add("c" + std::to_string(i), kCertA);
  DenialQuery q;
  q.limit = 2;
  EXPECT_EQ(clients(q), (std::vector<std::string>{"c5", "c4"}));
  q.limit = 0;  // all
  EXPECT_EQ(reg->denials(q).size(), 5u);
  q.after_id = 3;
  EXPECT_EQ(clients(q), (std::vector<std::string>{"c5", "c4"}));
  q.client_id = "c4";
  EXPECT_EQ(clients(q), std::vector<std::string>{"c4"});
}

TEST_F(DenialsTest, ReadOnlyOpenReadsButNeverWritesOrCreates) {
  add("dev1", kCertA);
  std::string err;
  auto ro = Registry::open_read_only((dir / "registry.db").string(), err);
  ASSERT_TRUE(ro) << err;
  EXPECT_EQ(ro->region(), "us-east-1");
  ASSERT_EQ(ro->denials({}).size(), 1u);
  EXPECT_EQ(ro->create_policy("p", "{}", 1), Err::kInternal);
  EXPECT_NE(ro->last_error().find("readonly"), std::string::npos) << ro->last_error();
  EXPECT_FALSE(Registry::open_read_only((dir / "absent.db").string(), err));
  EXPECT_NE(err.find("absent.db"), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(dir / "absent.db"));
}

TEST_F(DenialsTest, ARegistryWithoutTheTableIsAnErrorNotEmpty) {
  ASSERT_EQ(sqlite3_exec(plugin, "DROP TABLE denials", nullptr, nullptr, nullptr), SQLITE_OK);
  EXPECT_TRUE(reg->denials({}).empty());
  EXPECT_NE(reg->last_error().find("no such table: denials"), std::string::npos) << reg->last_error();
  // mos-cloud adds it when it starts; then the error is gone.
  reg.reset();
  std::string err;
  reg = Registry::open((dir / "registry.db").string(), err);
  ASSERT_TRUE(reg) << err;
  EXPECT_TRUE(reg->denials({}).empty());
  EXPECT_EQ(reg->last_error(), "");
  auto ro = Registry::open_read_only((dir / "registry.db").string(), err);
  ASSERT_TRUE(ro) << err;
  ro->create_policy("p", "{}", 1);  // fails: read-only
  EXPECT_NE(ro->last_error(), "");
  EXPECT_TRUE(ro->denials({}).empty());
  EXPECT_EQ(ro->last_error(), "") << "an earlier failure must not look like this call's";
}

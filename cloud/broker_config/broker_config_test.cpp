// The generated mosquitto.conf carries AWS IoT Core's limits and TCP_NODELAY;
// the data dir and every secret in it end up owner-only, also when an older
// version left them 0755/0644.
#include "mos/cloud/broker_config.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "mos/ca/ca.h"
#include "mos/cloud/aws_limits.h"
#include "mos/registry/registry.h"

namespace fs = std::filesystem;
using namespace mos::cloud;

namespace {

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

class DataDir : public ::testing::Test {
 protected:
  void SetUp() override {
    old_umask = ::umask(022);  // the usual default: files 0644, dirs 0755
    dir = fs::temp_directory_path() / ("mos-broker-config-" + std::to_string(::getpid()) + "-" +
                                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
  }
  void TearDown() override {
    fs::remove_all(dir);
    ::umask(old_umask);
  }
  void touch(const std::string& name, unsigned mode) {
    std::ofstream(dir / name) << "secret";
    ::chmod((dir / name).c_str(), mode);
  }
  fs::path dir;
  mode_t old_umask = 022;
};

}  // namespace

TEST(BrokerConfig, CarriesAwsLimitsAndNodelay) {
  BrokerConfig c{"/data", 8883, "/p/mos_policy_plugin.so", "abcd"};
  std::string conf = mosquitto_conf(c);
  for (const char* line :
       {"set_tcp_nodelay true\n", "max_inflight_messages 100\n", "max_keepalive 1200\n",
        "listener 8883 127.0.0.1\n", "keyfile /data/server.key\n", "plugin /p/mos_policy_plugin.so\n",
        "plugin_opt_registry_db /data/registry.db\n", "plugin_opt_dataplane_sha256 abcd\n",
        "require_certificate true\n"}) {
    EXPECT_NE(conf.find(line), std::string::npos) << line << "\n" << conf;
  }
  EXPECT_NE(conf.find("max_packet_size " + std::to_string(aws_limits::kMaxPacketBytes) + "\n"),
            std::string::npos);
  // A full 128 KB payload on a 256-byte topic fits; 100 MB does not.
  EXPECT_GT(aws_limits::kMaxPacketBytes, aws_limits::kMaxPayloadBytes + aws_limits::kMaxTopicBytes + 9);
  EXPECT_LT(aws_limits::kMaxPacketBytes, size_t{256 * 1024});
  EXPECT_EQ(mosquitto_conf({"/data", 1, "", ""}).find("plugin"), std::string::npos);
}

TEST_F(DataDir, FreshInitIsOwnerOnly) {
  std::string err;
  ASSERT_TRUE(secure_data_dir(dir, err)) << err;
  auto ca = mos::ca::Authority::open_or_create(dir.string(), err);
  ASSERT_TRUE(ca) << err;
  auto reg = mos::registry::Registry::open((dir / "registry.db").string(), err);
  ASSERT_TRUE(reg) << err;
  ASSERT_EQ(reg->create_policy("p", "{}", 1), mos::registry::Err::kOk);  // -wal/-shm exist now
  ASSERT_TRUE(write_broker_config({dir, 8883, "", ""}, err)) << err;
  EXPECT_EQ(mode_of(dir), 0700u);
  EXPECT_EQ(mode_of(dir / "ca.key"), 0600u);
  EXPECT_EQ(mode_of(dir / "ca.pem"), 0644u);  // public
  for (const char* f : {"registry.db", "registry.db-wal", "registry.db-shm", "mosquitto.conf"})
    EXPECT_EQ(mode_of(dir / f), 0600u) << f;
}

TEST_F(DataDir, OlderLooseDirIsTightened) {
  fs::create_directories(dir);
  ::chmod(dir.c_str(), 0755);
  for (const char* f : {"ca.key", "server.key", "dataplane.key", "console.key", "registry.db",
                        "registry.db-wal", "registry.db-shm", "mosquitto.conf"})
    touch(f, 0644);
  touch("ca.pem", 0644);
  std::string err;
  ASSERT_TRUE(secure_data_dir(dir, err)) << err;
  EXPECT_EQ(mode_of(dir), 0700u);
  for (const char* f : {"ca.key", "server.key", "dataplane.key", "console.key", "registry.db",
                        "registry.db-wal", "registry.db-shm", "mosquitto.conf"})
    EXPECT_EQ(mode_of(dir / f), 0600u) << f;
  EXPECT_EQ(mode_of(dir / "ca.pem"), 0644u);
}

TEST_F(DataDir, RegistryAndCaTightenTheirOwnFiles) {
  fs::create_directories(dir);
  std::string err;
  {
    auto reg = mos::registry::Registry::open((dir / "registry.db").string(), err);
    ASSERT_TRUE(reg) << err;
    auto ca = mos::ca::Authority::open_or_create(dir.string(), err);
    ASSERT_TRUE(ca) << err;
  }
  ::chmod((dir / "registry.db").c_str(), 0644);
  ::chmod((dir / "ca.key").c_str(), 0644);
  auto reg = mos::registry::Registry::open((dir / "registry.db").string(), err);
  ASSERT_TRUE(reg) << err;
  ASSERT_EQ(reg->create_policy("p", "{}", 1), mos::registry::Err::kOk);
  auto ca = mos::ca::Authority::open_or_create(dir.string(), err);
  ASSERT_TRUE(ca) << err;
  EXPECT_EQ(mode_of(dir / "registry.db"), 0600u);
  EXPECT_EQ(mode_of(dir / "registry.db-wal"), 0600u);
  EXPECT_EQ(mode_of(dir / "ca.key"), 0600u);
}

TEST_F(DataDir, SharedStickyDirIsLeftAlone) {
  fs::create_directories(dir);
  ::chmod(dir.c_str(), 01777);
  std::string err;
  ASSERT_TRUE(secure_data_dir(dir, err)) << err;
  EXPECT_EQ(mode_of(dir), 01777u);
}

// The topic limits the plugin and the web console share (aws_limits.h).
TEST(AwsLimits, TopicLengthAndDepth) {
  EXPECT_EQ(aws_limits::topic_limit_violation("a/b/c/d/e/f/g/h"), "");  // 7 slashes, 8 levels
  EXPECT_EQ(aws_limits::topic_limit_violation("a/b/c/d/e/f/g/h/i"),
            "topic has 8 forward slashes (9 levels); AWS IoT allows at most 7 (8 levels)");
  EXPECT_EQ(aws_limits::topic_limit_violation("a/+/#"), "");
  EXPECT_EQ(aws_limits::topic_limit_violation(std::string(256, 'x')), "");
  EXPECT_EQ(aws_limits::topic_limit_violation(std::string(257, 'x')),
            "topic is 257 bytes; AWS IoT allows at most 256");
  // Basic Ingest: $aws/rules/<rule>/ counts for neither limit.
  EXPECT_EQ(aws_limits::topic_limit_violation("$aws/rules/r/a/b/c/d/e/f/g/h"), "");
  EXPECT_EQ(aws_limits::topic_limit_violation("$aws/rules/r/" + std::string(256, 'x')), "");
  EXPECT_NE(aws_limits::topic_limit_violation("$aws/things/a/b/c/d/e/f/g"), "");
}

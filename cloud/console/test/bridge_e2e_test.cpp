// ConsoleBridge end to end: `mos-cloud init` (the console's certificate and
// policy in the registry), real Mosquitto with mos_policy_plugin.so, the
// bridge's one connection shared by two tabs, and the data plane's Publisher
// as a second client. Shared subscriptions at the highest QoS, release by the
// last tab, one delivery per tab, retained messages for new subscribers only,
// SUBACK 0x80 once the console's policy is detached (the plugin checks the
// console like any device), renewal after the broker restarts.
#include "bridge.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <mutex>
#include <thread>

#include "mos/ca/ca.h"
#include "mos/cloud/service_clients.h"
#include "mos/registry/registry.h"
#include "publisher.h"

extern char** environ;

using namespace mos::console;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

pid_t spawn(const std::vector<std::string>& argv, const fs::path& out) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  return rc == 0 ? pid : -1;
}

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

bool wait_for(const std::function<bool()>& ok, std::chrono::milliseconds timeout = 10s) {
  auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (ok()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return ok();
}

// A browser tab as the bridge sees it.
struct Tab : Subscriber {
  std::mutex mu;
  std::vector<BrokerMessage> got;
  std::vector<std::string> lost;
  void deliver(const BrokerMessage& m) override {
    std::lock_guard<std::mutex> lock(mu);
    got.push_back(m);
  }
  void subscription_lost(const std::string& f, const std::string&) override {
    std::lock_guard<std::mutex> lock(mu);
    lost.push_back(f);
  }
  std::vector<BrokerMessage> take() {
    std::lock_guard<std::mutex> lock(mu);
    auto out = std::move(got);
    got.clear();
    return out;
  }
  size_t count(const std::string& topic) {
    std::lock_guard<std::mutex> lock(mu);
    size_t n = 0;
    for (const auto& m : got) n += m.topic == topic;
    return n;
  }
};

struct Result {
  std::mutex mu;
  bool done = false;
  int granted = -2;
  std::string error;
};

class BridgeE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!fs::exists(MOS_POLICY_PLUGIN) || !fs::exists("/usr/sbin/mosquitto")) GTEST_SKIP() << "no plugin or mosquitto";
  }
  void SetUp() override {
    char tmpl[] = "/tmp/mos-console-e2e-XXXXXX";
    dir = ::mkdtemp(tmpl);
    port = free_port();
    pid_t init = spawn({MOS_CLOUD_BIN, "init", "--data-dir", dir.string(), "--mqtt-port", std::to_string(port),
                        "--plugin", MOS_POLICY_PLUGIN},
                       dir / "init.log");
    int st = 0;
    ASSERT_EQ(::waitpid(init, &st, 0), init);
    ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << "mos-cloud init failed; see " << (dir / "init.log");
    start_broker();
    std::string err;
    reg = mos::registry::Registry::open((dir / "registry.db").string(), err);
    ASSERT_TRUE(reg) << err;
    mos::cloud::MqttLinkConfig cfg;
    cfg.port = port;
    cfg.ca_file = (dir / "ca.pem").string();
    cfg.cert_file = (dir / "console.pem").string();
    cfg.key_file = (dir / "console.key").string();
    bridge = std::make_unique<ConsoleBridge>(cfg);
    ASSERT_TRUE(bridge->start(err)) << err;
    ASSERT_TRUE(wait_for([&] { return bridge->connected(); })) << "the console did not connect: " << log();
    mos::cloud::PublisherConfig pc;
    pc.port = port;
    pc.ca_file = cfg.ca_file;
    pc.cert_file = (dir / "dataplane.pem").string();
    pc.key_file = (dir / "dataplane.key").string();
    device = std::make_unique<mos::cloud::Publisher>(pc);
    ASSERT_TRUE(device->start(err)) << err;
  }
  void TearDown() override {
    device.reset();
    bridge.reset();
    stop_broker();
    reg.reset();
    std::error_code ec;
    if (!HasFailure()) fs::remove_all(dir, ec);
  }
  void start_broker() {
    broker = spawn({"/usr/sbin/mosquitto", "-c", (dir / "mosquitto.conf").string()}, dir / "mosquitto.stderr.log");
    ASSERT_GT(broker, 0);
    ASSERT_TRUE(wait_for([&] {
      int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_port = htons(static_cast<uint16_t>(port));
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
      ::close(fd);
      return ok;
    })) << "mosquitto did not start";
  }
  void stop_broker() {
    if (broker > 0) {
      ::kill(broker, SIGTERM);
      ::waitpid(broker, nullptr, 0);
    }
    broker = -1;
  }
  std::string log() {
    std::ifstream in(dir / "mosquitto.log");
    std::stringstream ss;
    ss << in.rdbuf();
    std::string s = ss.str();
    return s.size() > 3000 ? s.substr(s.size() - 3000) : s;
  }
  // Subscribes and waits for the broker's answer.
  std::pair<int, std::string> subscribe(const std::shared_ptr<Tab>& tab, const std::string& filter, int qos) {
    auto r = std::make_shared<Result>();
    bridge->subscribe(tab, filter, qos, [r](int g, const std::string& e) {
      std::lock_guard<std::mutex> lock(r->mu);
      r->done = true;
      r->granted = g;
      r->error = e;
    });
    EXPECT_TRUE(wait_for([&] {
      std::lock_guard<std::mutex> lock(r->mu);
      return r->done;
    })) << "no SUBACK for " << filter;
    std::lock_guard<std::mutex> lock(r->mu);
    return {r->granted, r->error};
  }
  std::string publish(const std::string& topic, const std::string& payload, int qos = 1, bool retain = false) {
    return device->publish(topic, payload, qos, retain);
  }

  fs::path dir;
  int port = 0;
  pid_t broker = -1;
  std::unique_ptr<mos::registry::Registry> reg;
  std::unique_ptr<ConsoleBridge> bridge;
  std::unique_ptr<mos::cloud::Publisher> device;
  std::shared_ptr<Tab> a = std::make_shared<Tab>(), b = std::make_shared<Tab>();
};

TEST_F(BridgeE2E, SharedSubscriptionsOneDeliveryPerTab) {
  EXPECT_EQ(subscribe(a, "dev/#", 0), (std::pair<int, std::string>{0, ""}));
  EXPECT_EQ(subscribe(a, "dev/1", 0).first, 0);
  EXPECT_EQ(subscribe(b, "dev/1", 1), (std::pair<int, std::string>{1, ""}));
  EXPECT_EQ(bridge->broker_filters(), 2u);
  ASSERT_EQ(publish("dev/1", "one"), "");
  ASSERT_EQ(publish("dev/2", "two"), "");
  ASSERT_TRUE(wait_for([&] { return a->count("dev/2") == 1 && b->count("dev/1") == 1; })) << log();
  std::this_thread::sleep_for(200ms);
  auto got_a = a->take(), got_b = b->take();
  ASSERT_EQ(got_a.size(), 2u);  // dev/1 once although two of a's filters match
  EXPECT_EQ(got_a[0].topic, "dev/1");
  EXPECT_EQ(got_a[0].qos, 0);
  EXPECT_EQ(got_a[0].payload, "one");
  EXPECT_GT(got_a[0].time_ms, 1700000000000);
  ASSERT_EQ(got_b.size(), 1u);
  EXPECT_EQ(got_b[0].qos, 1);

  // The console's own publishes go through the same connection.
  auto done = std::make_shared<std::pair<std::mutex, std::string>>();
  bool finished = false;
  bridge->publish("dev/3", "from the console", 1, false, [&, done](const std::string& e) {
    std::lock_guard<std::mutex> lock(done->first);
    done->second = e.empty() ? "ok" : e;
    finished = true;
  });
  ASSERT_TRUE(wait_for([&] {
    std::lock_guard<std::mutex> lock(done->first);
    return finished;
  }));
  EXPECT_EQ(done->second, "ok");
  ASSERT_TRUE(wait_for([&] { return a->count("dev/3") == 1; }));

  // Released by the last tab only.
  bridge->unsubscribe(a.get(), "dev/1");
  EXPECT_EQ(bridge->broker_filters(), 2u);  // b holds it
  bridge->leave(b.get());
  EXPECT_EQ(bridge->broker_filters(), 1u);
  bridge->leave(a.get());
  EXPECT_EQ(bridge->broker_filters(), 0u);
  a->take();
  ASSERT_EQ(publish("dev/1", "after"), "");
  std::this_thread::sleep_for(300ms);
  EXPECT_TRUE(a->take().empty());
  EXPECT_TRUE(b->take().empty());
}

TEST_F(BridgeE2E, TheConsoleIsAConnectedClientWithItsCertificate) {
  std::ifstream in(dir / "console.pem");
  std::stringstream pem;
  pem << in.rdbuf();
  std::string id = mos::ca::certificate_id(pem.str());
  ASSERT_EQ(id.size(), 64u);
  ASSERT_TRUE(wait_for([&] {
    for (const auto& c : reg->connected_clients())
      if (c.client_id == mos::cloud::kConsoleClientId && c.certificate_id == id) return true;
    return false;
  })) << log();
}

TEST_F(BridgeE2E, RetainedMessagesGoToTheTabThatJustSubscribed) {
  ASSERT_EQ(publish("cfg/led", "on", 1, true), "");
  EXPECT_EQ(subscribe(a, "cfg/#", 0).first, 0);
  ASSERT_TRUE(wait_for([&] { return a->count("cfg/led") == 1; })) << log();
  auto got = a->take();
  EXPECT_TRUE(got[0].retain);
  std::this_thread::sleep_for(SubscriptionTable::kRetainedWindow + 500ms);
  EXPECT_EQ(subscribe(b, "cfg/#", 0).first, 0);  // the broker sends the retained message again
  ASSERT_TRUE(wait_for([&] { return b->count("cfg/led") == 1; }));
  std::this_thread::sleep_for(300ms);
  EXPECT_TRUE(a->take().empty()) << "a saw the retained message again";
  ASSERT_EQ(publish("cfg/led", "off"), "");  // live: both, retain clear
  ASSERT_TRUE(wait_for([&] { return a->count("cfg/led") == 1 && b->count("cfg/led") == 2; }));
  EXPECT_FALSE(a->take()[0].retain);
  ASSERT_EQ(publish("cfg/led", "", 1, true), "");  // clear the retained message
}

TEST_F(BridgeE2E, RefusedWhenThePolicyIsDetached) {
  EXPECT_EQ(subscribe(a, "kept/#", 0).first, 0);
  auto cert = reg->certificates(true);
  std::string arn;
  for (const auto& c : cert)
    if (c.subject == "CN=mos-cloud-console") arn = c.arn;
  ASSERT_FALSE(arn.empty());
  ASSERT_EQ(reg->detach_policy(arn, mos::cloud::kConsolePolicyName), mos::registry::Err::kOk);
  std::pair<int, std::string> r;
  // The plugin re-reads the registry within 250 ms.
  ASSERT_TRUE(wait_for([&] {
    r = subscribe(b, "new/#", 0);
    if (r.first == -1) return true;
    bridge->unsubscribe(b.get(), "new/#");  // granted before the plugin saw the change: again
    return false;
  }, 5s)) << log();
  EXPECT_NE(r.second.find("(SUBACK 0x80)"), std::string::npos) << r.second;
  EXPECT_NE(r.second.find("mos cloud denials --client-id mos-cloud-console"), std::string::npos);
  EXPECT_EQ(bridge->broker_filters(), 1u);  // a's filter stays; the refused one is not held
  ASSERT_EQ(reg->attach_policy(arn, mos::cloud::kConsolePolicyName), mos::registry::Err::kOk);
}

TEST_F(BridgeE2E, AnInactiveConsoleCertificateIsRefusedAndSaysWhy) {
  std::string id;
  for (const auto& c : reg->certificates(true))
    if (c.subject == "CN=mos-cloud-console") id = c.id;
  ASSERT_FALSE(id.empty());
  ASSERT_EQ(reg->set_certificate_status(id, "INACTIVE", 1), mos::registry::Err::kOk);
  ASSERT_TRUE(wait_for([&] { return !bridge->connected(); }, 5s)) << "the plugin did not drop the console";
  std::pair<int, std::string> r;
  ASSERT_TRUE(wait_for([&] {
    r = subscribe(a, "x", 0);
    return r.second.find("CONNACK 5") != std::string::npos;
  }, 10s)) << r.second << "\n" << log();
  EXPECT_NE(r.second.find("mos cloud denials --client-id mos-cloud-console"), std::string::npos);
  ASSERT_EQ(reg->set_certificate_status(id, "ACTIVE", 2), mos::registry::Err::kOk);
  EXPECT_TRUE(wait_for([&] { return bridge->connected(); }, 40s)) << "no reconnect after reactivation";
}

TEST_F(BridgeE2E, RenewsSubscriptionsAfterTheBrokerRestarts) {
  EXPECT_EQ(subscribe(a, "dev/#", 1).first, 1);
  stop_broker();
  ASSERT_TRUE(wait_for([&] { return !bridge->connected(); }));
  auto r = subscribe(b, "x", 0);
  EXPECT_EQ(r.first, -1);
  EXPECT_NE(r.second.find("not connected to the broker"), std::string::npos);
  start_broker();
  ASSERT_TRUE(wait_for([&] { return bridge->connected(); }, 15s)) << log();
  ASSERT_TRUE(wait_for([&] {
    publish("dev/9", "back", 0);
    return a->count("dev/9") > 0;
  }, 15s)) << log();
  EXPECT_TRUE(a->lost.empty());
}

}  // namespace

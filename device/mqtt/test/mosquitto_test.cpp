// Interoperability with a real broker: /usr/sbin/mosquitto (Debian 12's 2.0)
// started by the test on 127.0.0.1 at a free port, driven through the POSIX
// TCP transport and a poll() loop, stopped afterwards.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "mos/log.h"
#include "mos/mqtt/session.h"
#include "mos/net/poll_waiter.h"
#include "mos/net/tcp_transport.h"

namespace mos::mqtt {
namespace {

constexpr const char* kMosquitto = "/usr/sbin/mosquitto";

uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

class Broker {
 public:
  bool start() {
    char tmpl[] = "/tmp/mos-mqtt-e2e-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) return false;
    dir_ = tmpl;
    port_ = free_port();
    closed_port_ = free_port();
    // A second listener that refuses anonymous clients (CONNACK 5).
    std::ofstream conf(dir_ + "/mosquitto.conf");
    conf << "per_listener_settings true\npersistence false\nuser root\n"
         << "log_dest file " << dir_ << "/mosquitto.log\nlog_type all\n"
         << "listener " << port_ << " 127.0.0.1\nallow_anonymous true\n"
         << "listener " << closed_port_ << " 127.0.0.1\nallow_anonymous false\n";
    conf.close();
    pid_ = ::fork();
    if (pid_ == 0) {
      std::string c = dir_ + "/mosquitto.conf";
      ::execl(kMosquitto, kMosquitto, "-c", c.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    // Ready once it accepts a TCP connection.
    for (int i = 0; i < 100; ++i) {
      int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(port_);
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
      ::close(fd);
      if (ok) return true;
      ::usleep(50 * 1000);
    }
    return false;
  }
  void stop() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
    if (!dir_.empty()) {
      std::string cmd = "rm -rf '" + dir_ + "'";
      (void)::system(cmd.c_str());
      dir_.clear();
    }
  }
  std::string log() const {
    std::ifstream f(dir_ + "/mosquitto.log");
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
  }
  uint16_t port() const { return port_; }
  uint16_t closed_port() const { return closed_port_; }

 private:
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  uint16_t closed_port_ = 0;
  std::string dir_;
};

class SteadyClock : public Clock {
 public:
  uint64_t now_ms() const override {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::steady_clock::now().time_since_epoch())
                                     .count());
  }
};

class HostRandom : public Random {
 public:
  uint32_t next_u32() override { return static_cast<uint32_t>(gen_()); }

 private:
  std::mt19937 gen_{std::random_device{}()};
};

struct Received {
  std::string topic, payload;
  uint8_t qos;
};

// One MQTT client: session, transport and what its handler saw.
struct Client {
  Client() : session(transport, clock, random, mem.buffers()) {}
  static void handler(const Event& e, void* ctx) {
    auto* c = static_cast<Client*>(ctx);
    switch (e.type) {
      case EventType::kConnected: ++c->connects; break;
      case EventType::kDisconnected: c->disconnects.emplace_back(e.disconnected.reason); break;
      case EventType::kMessage:
        c->messages.push_back({std::string(e.message.topic),
                               std::string(as_string(e.message.payload)), e.message.qos});
        break;
      case EventType::kPuback: c->pubacks.push_back(e.puback.packet_id); break;
      case EventType::kSubscribed: c->granted.push_back(e.subscribed.granted_qos); break;
    }
    if (c->on_event) c->on_event(e);
  }
  // The session copies its Config; the strings stay ours and outlive it.
  Status start(const Config& c) {
    config = c;
    return session.start(config, handler, this);
  }

  SteadyClock clock;
  HostRandom random;
  net::TcpTransport transport;
  StaticBuffers<> mem;
  Session session;
  Config config;
  int connects = 0;
  std::vector<std::string> disconnects;
  std::vector<Received> messages;
  std::vector<uint16_t> pubacks;
  std::vector<uint8_t> granted;
  std::function<void(const Event&)> on_event;
};

class MosquittoTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (::access(kMosquitto, X_OK) != 0) return;
    broker_ = new Broker;
    if (!broker_->start()) {
      delete broker_;
      broker_ = nullptr;
    }
  }
  static void TearDownTestSuite() {
    if (broker_ != nullptr) broker_->stop();
    delete broker_;
    broker_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(broker_, nullptr) << "could not start " << kMosquitto
                                << " (install it with scripts/setup.sh)";
  }
  Config config(const char* id) {
    Config c;
    c.host = "127.0.0.1";
    c.port = broker_->port();
    c.client_id = id;
    c.keep_alive_s = 30;
    c.reconnect_timeout_min_s = 1;
    c.reconnect_timeout_max_s = 4;
    return c;
  }
  // Runs the clients' loop until pred() or timeout; true if pred() held.
  bool run(std::vector<Client*> clients, const std::function<bool()>& pred, int timeout_ms) {
    net::PollWaiter waiter;
    for (Client* c : clients) EXPECT_EQ(waiter.watch(&c->transport), Status::kOk);
    auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < end) {
      for (Client* c : clients) c->session.poll(c->clock.now_ms());
      if (pred()) return true;
      waiter.wait(20);
    }
    return pred();
  }
  static Broker* broker_;
};
Broker* MosquittoTest::broker_ = nullptr;

TEST_F(MosquittoTest, SubscribeAndRoundTripQos0AndQos1) {
  Client a;
  uint16_t q1_id = 0;
  a.on_event = [&](const Event& e) {
    if (e.type == EventType::kConnected) {
      EXPECT_EQ(a.session.subscribe("mos/e2e/rt/#", 1), Status::kOk);
    }
    if (e.type == EventType::kSubscribed) {
      EXPECT_EQ(a.session.publish("mos/e2e/rt/q0", as_bytes("hello qos0"), 0, false), Status::kOk);
      EXPECT_EQ(a.session.publish("mos/e2e/rt/q1", as_bytes("{gpio:{pin:2,state:0}}"), 1, false,
                                  &q1_id),
                Status::kOk);
    }
  };
  ASSERT_EQ(a.start(config("mos-e2e-rt")), Status::kOk);
  ASSERT_TRUE(run({&a}, [&] { return a.messages.size() >= 2 && !a.pubacks.empty(); }, 5000))
      << broker_->log();
  ASSERT_EQ(a.granted.size(), 1u);
  EXPECT_EQ(a.granted[0], 1);
  EXPECT_EQ(a.messages[0].topic, "mos/e2e/rt/q0");
  EXPECT_EQ(a.messages[0].payload, "hello qos0");
  EXPECT_EQ(a.messages[0].qos, 0);
  EXPECT_EQ(a.messages[1].topic, "mos/e2e/rt/q1");
  EXPECT_EQ(a.messages[1].payload, "{gpio:{pin:2,state:0}}");
  EXPECT_EQ(a.messages[1].qos, 1);
  EXPECT_EQ(a.pubacks[0], q1_id);
  EXPECT_EQ(a.session.inflight_count(), 0u);
  a.session.stop();
  EXPECT_TRUE(a.disconnects.empty());
}

TEST_F(MosquittoTest, WillDeliveredAfterAbruptClose) {
  Client watcher;
  watcher.on_event = [&](const Event& e) {
    if (e.type == EventType::kConnected) {
      EXPECT_EQ(watcher.session.subscribe("mos/e2e/will/+", 0), Status::kOk);
    }
  };
  ASSERT_EQ(watcher.start(config("mos-e2e-watcher")), Status::kOk);
  ASSERT_TRUE(run({&watcher}, [&] { return !watcher.granted.empty(); }, 5000)) << broker_->log();

  Client dying;
  Config cfg = config("mos-e2e-dying");
  cfg.will_topic = "mos/e2e/will/dying";
  cfg.will_message = "offline";
  ASSERT_EQ(dying.start(cfg), Status::kOk);
  ASSERT_TRUE(run({&watcher, &dying}, [&] { return dying.session.connected(); }, 5000));
  EXPECT_TRUE(watcher.messages.empty());
  // Abrupt: the socket closes without DISCONNECT, as when a board loses power.
  dying.transport.close();
  ASSERT_TRUE(run({&watcher}, [&] { return !watcher.messages.empty(); }, 5000))
      << "will not delivered\n" << broker_->log();
  EXPECT_EQ(watcher.messages[0].topic, "mos/e2e/will/dying");
  EXPECT_EQ(watcher.messages[0].payload, "offline");
  watcher.session.stop();
}

TEST_F(MosquittoTest, IdleSessionOutlivesTwiceKeepAlive) {
  Client a;
  Config cfg = config("mos-e2e-idle");
  // Mosquitto drops a client silent for 1.5 x keep_alive, but 2.0.11 checks
  // only every few seconds: without PINGREQ this test fails after ~6 s.
  cfg.keep_alive_s = 1;
  a.on_event = [&](const Event& e) {
    if (e.type == EventType::kConnected) {
      EXPECT_EQ(a.session.subscribe("mos/e2e/idle", 1), Status::kOk);
    }
  };
  ASSERT_EQ(a.start(cfg), Status::kOk);
  ASSERT_TRUE(run({&a}, [&] { return !a.granted.empty(); }, 5000));
  auto t0 = std::chrono::steady_clock::now();
  run({&a}, [&] { return !a.disconnects.empty(); }, 8000);  // 8 x keep_alive, idle
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(7900));
  EXPECT_TRUE(a.disconnects.empty()) << (a.disconnects.empty() ? "" : a.disconnects[0]);
  EXPECT_EQ(a.connects, 1);
  EXPECT_TRUE(a.session.connected());
  // Still usable after the idle time.
  ASSERT_EQ(a.session.publish("mos/e2e/idle", as_bytes("still here"), 1, false), Status::kOk);
  ASSERT_TRUE(run({&a}, [&] { return !a.messages.empty() && !a.pubacks.empty(); }, 3000));
  EXPECT_EQ(a.messages[0].payload, "still here");
  EXPECT_EQ(a.connects, 1);
  a.session.stop();
}

TEST_F(MosquittoTest, Qos1QueuedOfflineArrivesAfterConnect) {
  Client sub;
  sub.on_event = [&](const Event& e) {
    if (e.type == EventType::kConnected) {
      EXPECT_EQ(sub.session.subscribe("mos/e2e/persist", 1), Status::kOk);
    }
  };
  ASSERT_EQ(sub.start(config("mos-e2e-persist-sub")), Status::kOk);
  ASSERT_TRUE(run({&sub}, [&] { return !sub.granted.empty(); }, 5000));
  Client pub;
  Config cfg = config("mos-e2e-persist-pub");
  cfg.clean_session = false;
  ASSERT_EQ(pub.start(cfg), Status::kOk);
  // Published before the connection exists: kept in flight, sent after CONNACK.
  ASSERT_EQ(pub.session.publish("mos/e2e/persist", as_bytes("queued"), 1, false), Status::kOk);
  ASSERT_TRUE(run({&sub, &pub}, [&] { return !sub.messages.empty() && !pub.pubacks.empty(); },
                  5000));
  EXPECT_EQ(sub.messages[0].payload, "queued");
  pub.session.stop();
  sub.session.stop();
}

TEST_F(MosquittoTest, ReconnectsAfterTheBrokerDropsTheConnection) {
  Client a;
  Config cfg = config("mos-e2e-dup");
  a.on_event = [&](const Event& e) {
    if (e.type == EventType::kConnected) {
      EXPECT_EQ(a.session.subscribe("mos/e2e/re", 0), Status::kOk);
    }
  };
  ASSERT_EQ(a.start(cfg), Status::kOk);
  ASSERT_TRUE(run({&a}, [&] { return !a.granted.empty(); }, 5000));
  // A second client with the same id makes Mosquitto drop the first
  // (§3.1.4: the server disconnects the existing client).
  Client b;
  ASSERT_EQ(b.start(cfg), Status::kOk);
  ASSERT_TRUE(run({&a, &b}, [&] { return !a.disconnects.empty(); }, 5000));
  b.session.stop();
  // a comes back after its back-off and re-subscribes.
  ASSERT_TRUE(run({&a}, [&] { return a.connects == 2 && a.granted.size() == 2; }, 5000))
      << broker_->log();
  a.session.stop();
}

TEST_F(MosquittoTest, RefusalIsLoggedByNameAndRetriedWithBackoff) {
  std::vector<std::string> lines;
  set_log_sink(
      [](LogLevel, std::string_view line, void* ctx) {
        static_cast<std::vector<std::string>*>(ctx)->emplace_back(line);
      },
      &lines);
  Client a;
  Config cfg = config("mos-e2e-refused");
  cfg.port = broker_->closed_port();  // allow_anonymous false
  ASSERT_EQ(a.start(cfg), Status::kOk);
  auto refusals = [&] {
    size_t n = 0;
    for (const std::string& l : lines) {
      n += l.find("MQTT connection refused: not authorized (CONNACK 5)") != std::string::npos;
    }
    return n;
  };
  // First attempt at once, the second after 1 s +- 10 %, the third 2 s later.
  bool two = run({&a}, [&] { return refusals() >= 2; }, 2500);
  set_log_sink(nullptr, nullptr);
  EXPECT_TRUE(two) << broker_->log();
  EXPECT_EQ(a.connects, 0);
  EXPECT_LT(refusals(), 3u) << "retried faster than the back-off";
  a.session.stop();
}

}  // namespace
}  // namespace mos::mqtt

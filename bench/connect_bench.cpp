// Connect time and publish latency against one Mosquitto, like with like:
//   - libmosquitto (OpenSSL) in-process: mosquitto_connect() to the CONNACK
//     callback, the same client the broker bench and mos-cloud's publisher use;
//   - mos's device client (BearSSL TlsTransport + mqtt::Session, MFL 2048
//     buffers as c_mqtt uses) in-process: Session::start() to kConnected;
//   - publish-to-delivery: libmosquitto publisher -> broker -> libmosquitto
//     subscriber, QoS 0, small payload, one message in flight at a time.
// Same broker, same certificates, interleaved runs, medians. Run it against a
// broker with set_tcp_nodelay false and one with true (bench/run_connect_bench.sh).
//
//   connect_bench time HOST PORT CA CERT KEY [RUNS]
//   connect_bench once-openssl|once-mos HOST PORT CA CERT KEY
// The once-* modes make a warm-up connection, then one inside
// measured_openssl() / measured_mos() for `valgrind --tool=callgrind
// --toggle-collect=...` (certificate loading and context set-up excluded).
#include <mosquitto.h>
#include <poll.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <new>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "mos/mqtt/session.h"
#include "mos/net/tcp_transport.h"
#include "mos/tls.h"

namespace {

namespace tls = mos::tls;
using mos::ByteSpan;
using mos::Status;

struct Args {
  std::string host;
  int port = 0;
  std::string ca, cert, key;
};

double since_ms(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n == 0 ? 0 : (n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2);
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// ---- libmosquitto (OpenSSL) -------------------------------------------------
struct MosqClient {
  mosquitto* m = nullptr;
  std::atomic<bool> connected{false};
  std::atomic<int> rc{-1};
  std::atomic<long long> received_ns{0};
};

void on_connect(mosquitto*, void* ud, int rc) {
  auto* c = static_cast<MosqClient*>(ud);
  c->rc = rc;
  c->connected = true;
}

void on_message(mosquitto*, void* ud, const mosquitto_message*) {
  auto* c = static_cast<MosqClient*>(ud);
  c->received_ns = std::chrono::steady_clock::now().time_since_epoch().count();
}

MosqClient* mosq_new(const Args& a, const char* id) {
  auto* c = new MosqClient;
  c->m = mosquitto_new(id, true, c);
  mosquitto_connect_callback_set(c->m, on_connect);
  mosquitto_message_callback_set(c->m, on_message);
  if (mosquitto_tls_set(c->m, a.ca.c_str(), nullptr, a.cert.c_str(), a.key.c_str(), nullptr) != MOSQ_ERR_SUCCESS) {
    std::fprintf(stderr, "mosquitto_tls_set failed\n");
    std::exit(1);
  }
  return c;
}

// TCP + TLS handshake + CONNECT -> CONNACK, in this thread.
__attribute__((noinline)) bool handshake_openssl(MosqClient* c, const Args& a) {
  if (mosquitto_connect(c->m, a.host.c_str(), a.port, 60) != MOSQ_ERR_SUCCESS) return false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!c->connected && std::chrono::steady_clock::now() < deadline) mosquitto_loop(c->m, 10, 1);
  return c->connected && c->rc == 0;
}

void mosq_free(MosqClient* c) {
  mosquitto_disconnect(c->m);
  mosquitto_loop(c->m, 0, 1);
  mosquitto_destroy(c->m);
  delete c;
}

// ---- mos (BearSSL) ------------------------------------------------------------
struct SteadyClock : mos::Clock {
  uint64_t now_ms() const override {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::steady_clock::now().time_since_epoch())
                                     .count());
  }
};

struct XorShift : mos::Random {
  uint32_t s = 88172645u;
  uint32_t next_u32() override {
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    return s;
  }
};

class HostWall : public tls::WallClock {
 public:
  int64_t unix_seconds() const override { return static_cast<int64_t>(::time(nullptr)); }
};

// The device's connection state in static storage, as firmware keeps it.
struct Device {
  mos::net::TcpTransport tcp;
  tls::TrustAnchorStore<1, 768> anchors;
  tls::ClientIdentityStore<1536> identity;
  uint8_t tls_buf[BR_SSL_BUFSIZE_BIDI];
  uint8_t mqtt_rx[MOS_MQTT_MAX_PACKET], mqtt_tx[MOS_MQTT_MAX_PACKET], mqtt_inflight[MOS_MQTT_MAX_PACKET];
  alignas(tls::kHandshakeScratchAlign) uint8_t scratch[tls::kHandshakeScratchSize];
  SteadyClock clock;
  XorShift random;
  HostWall wall;
  bool connected = false;
};

void on_event(const mos::mqtt::Event& e, void* ctx) {
  if (e.type == mos::mqtt::EventType::kConnected) static_cast<Device*>(ctx)->connected = true;
}

bool mos_load(Device& d, const Args& a) {
  if (d.anchors.add_pem(read_file(a.ca)) != Status::kOk) {
    std::fprintf(stderr, "CA: %s\n", d.anchors.error());
    return false;
  }
  if (d.identity.load_pem(read_file(a.cert), read_file(a.key)) != Status::kOk) {
    std::fprintf(stderr, "client: %s\n", d.identity.error());
    return false;
  }
  return true;
}

// TCP + TLS handshake + CONNECT -> CONNACK with c_mqtt's default buffers (MFL 2048).
__attribute__((noinline)) bool handshake_mos(Device& d, tls::TlsTransport& t, mos::mqtt::Session& s,
                                             const Args& a) {
  mos::mqtt::Config mc;
  mc.host = a.host.c_str();
  mc.port = static_cast<uint16_t>(a.port);
  mc.client_id = "bench-mos";
  d.connected = false;
  if (s.start(mc, on_event, &d) != Status::kOk) return false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    s.poll(d.clock.now_ms());
    if (d.connected) return true;
    pollfd p{d.tcp.fd(), POLLIN, 0};
    if (d.tcp.connecting() || d.tcp.write_blocked()) p.events |= POLLOUT;
    ::poll(&p, p.fd >= 0 ? 1 : 0, 20);
  }
  (void)t;
  return false;
}

// One mos connection, built and torn down; -1 on failure.
double mos_connect_once(Device& d, const Args& a) {
  size_t in = tls::input_buffer_size(2048), out = tls::output_buffer_size(2048);
  tls::TlsTransport t(d.tcp, ByteSpan(d.tls_buf, in), ByteSpan(d.tls_buf + in, out));
  mos::mqtt::Session s(t, d.clock, d.random,
                       mos::mqtt::Buffers{ByteSpan(d.mqtt_rx, sizeof(d.mqtt_rx)), ByteSpan(d.mqtt_tx, sizeof(d.mqtt_tx)),
                                          ByteSpan(d.mqtt_inflight, sizeof(d.mqtt_inflight))});
  tls::TlsConfig tc;
  tc.anchors = &d.anchors;
  tc.identity = &d.identity;
  tc.wall_clock = &d.wall;
  tc.handshake_scratch = ByteSpan(d.scratch, sizeof(d.scratch));
  if (t.configure(tc) != Status::kOk) {
    std::fprintf(stderr, "mos TLS configure: %s\n", t.last_error());
    return -1;
  }
  auto t0 = std::chrono::steady_clock::now();
  bool ok = handshake_mos(d, t, s, a);
  double ms = since_ms(t0);
  if (!ok) std::fprintf(stderr, "mos connect failed: %s\n", t.last_error());
  s.stop();
  return ok ? ms : -1;
}

// What callgrind collects in the once-* modes (--toggle-collect=*measured_*):
// the second connection of the process, after a warm-up one.
__attribute__((noinline)) bool measured_openssl(MosqClient* c, const Args& a) { return handshake_openssl(c, a); }
__attribute__((noinline)) double measured_mos(Device& d, const Args& a) { return mos_connect_once(d, a); }

// ---- publish -> delivery --------------------------------------------------------
// A subscriber in its own network thread; the publisher sends one message and
// waits for it to arrive before the next.
std::vector<double> publish_latency(const Args& a, int n) {
  MosqClient* sub = mosq_new(a, "bench-sub");
  MosqClient* pub = mosq_new(a, "bench-pub");
  std::vector<double> out;
  if (!handshake_openssl(sub, a) || !handshake_openssl(pub, a)) {
    std::fprintf(stderr, "latency clients cannot connect\n");
    return out;
  }
  int mid = 0;
  mosquitto_subscribe(sub->m, &mid, "bench/latency", 0);
  for (int i = 0; i < 50; ++i) mosquitto_loop(sub->m, 10, 1);  // SUBACK
  mosquitto_loop_start(sub->m);
  const char payload[] = "{\"t\":1}";
  for (int i = 0; i < n; ++i) {
    sub->received_ns = 0;
    auto t0 = std::chrono::steady_clock::now();
    mosquitto_publish(pub->m, nullptr, "bench/latency", sizeof(payload) - 1, payload, 0, false);
    mosquitto_loop_write(pub->m, 1);
    auto deadline = t0 + std::chrono::seconds(2);
    while (sub->received_ns == 0 && std::chrono::steady_clock::now() < deadline) {
      mosquitto_loop_read(pub->m, 1);  // keep the publisher serviced without blocking
      std::this_thread::yield();
    }
    if (sub->received_ns == 0) continue;
    out.push_back(static_cast<double>(sub->received_ns - t0.time_since_epoch().count()) / 1e6);
  }
  mosquitto_disconnect(sub->m);
  mosquitto_loop_stop(sub->m, true);
  mosquitto_destroy(sub->m);
  delete sub;
  mosq_free(pub);
  return out;
}

int timing(const Args& a, int runs) {
  static Device d;
  if (!mos_load(d, a)) return 1;
  std::vector<double> ossl, bear;
  for (int i = 0; i < runs; ++i) {  // interleaved: machine load hits both alike
    MosqClient* c = mosq_new(a, "bench-openssl");
    auto t0 = std::chrono::steady_clock::now();
    bool ok = handshake_openssl(c, a);
    double ms = since_ms(t0);
    mosq_free(c);
    if (!ok) {
      std::fprintf(stderr, "libmosquitto connect failed\n");
      return 1;
    }
    ossl.push_back(ms);
    double m = mos_connect_once(d, a);
    if (m < 0) return 1;
    bear.push_back(m);
  }
  std::vector<double> lat = publish_latency(a, runs * 10);
  std::printf("openssl_connect_ms %.3f\nmos_connect_ms %.3f\npublish_latency_ms %.3f\nlatency_samples %zu\n",
              median(ossl), median(bear), median(lat), lat.size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 7) {
    std::fprintf(stderr, "usage: %s time|once-openssl|once-mos HOST PORT CA CERT KEY [RUNS]\n", argv[0]);
    return 2;
  }
  Args a{argv[2], std::atoi(argv[3]), argv[4], argv[5], argv[6]};
  std::string mode = argv[1];
  mosquitto_lib_init();
  int rc = 2;
  if (mode == "time") {
    rc = timing(a, argc > 7 ? std::atoi(argv[7]) : 21);
  } else if (mode == "once-openssl") {
    // A warm-up connect first (libmosquitto builds its SSL_CTX and loads the
    // PEM files on the first one), then the measured reconnect.
    MosqClient* c = mosq_new(a, "bench-openssl");
    bool ok = handshake_openssl(c, a);
    mosquitto_disconnect(c->m);
    mosquitto_loop(c->m, 0, 1);
    c->connected = false;
    ok = ok && measured_openssl(c, a);
    rc = ok ? 0 : 1;
    mosq_free(c);
  } else if (mode == "once-mos") {
    static Device d;
    rc = mos_load(d, a) && mos_connect_once(d, a) >= 0 && measured_mos(d, a) >= 0 ? 0 : 1;
  } else {
    std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
  }
  mosquitto_lib_cleanup();
  return rc;
}

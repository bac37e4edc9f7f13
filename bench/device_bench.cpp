// Device-side benches for one mutual-TLS MQTT connection (ARCHITECTURE.md
// "Targets"): RAM per TLS buffer configuration, and connect time against
// mosquitto_pub with the same certificate, key, CA and broker.
//
//   device_bench ram  HOST PORT CA CERT KEY
//   device_bench time HOST PORT CA CERT KEY RUNS
//
// RAM = what the connection reserves (TLS engine context, TLS record buffers,
// MQTT session and buffers, decoded credentials) + heap allocated by the
// device code + the deepest stack reached, measured by painting the stack of
// the thread that runs the client. The X.509 validation context lives in the
// handshake scratch the transport borrows until the handshake ends: it counts
// in the peak, and in "connected" only if the transport still holds it or
// wrote to it after connecting (the bench scribbles over it and checks). The host TCP transport (device/net) stands in
// for lwIP; its getaddrinfo() allocations are reported apart.
#include <poll.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <new>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "mos/defaults.h"
#include "mos/log.h"
#include "mos/mqtt/session.h"
#include "mos/net/tcp_transport.h"
#include "mos/tls.h"

// ---- heap accounting: glibc lets the executable interpose malloc ----------
extern "C" void* __libc_malloc(size_t);
extern "C" void* __libc_calloc(size_t, size_t);
extern "C" void* __libc_realloc(void*, size_t);
extern "C" void __libc_free(void*);

namespace {
__thread bool t_count_device = false;  // initial-exec TLS: no allocation to reach it
__thread bool t_count_port = false;
struct HeapCount {
  size_t calls = 0, bytes = 0;
};
HeapCount g_device_heap, g_port_heap;  // touched only by the client thread

void note(size_t n) {
  if (t_count_port) {
    g_port_heap.calls++;
    g_port_heap.bytes += n;
  } else if (t_count_device) {
    g_device_heap.calls++;
    g_device_heap.bytes += n;
  }
}
}  // namespace

extern "C" void* malloc(size_t n) {
  note(n);
  return __libc_malloc(n);
}
extern "C" void* calloc(size_t a, size_t b) {
  note(a * b);
  return __libc_calloc(a, b);
}
extern "C" void* realloc(void* p, size_t n) {
  note(n);
  return __libc_realloc(p, n);
}
extern "C" void free(void* p) { __libc_free(p); }

namespace {

using mos::ByteSpan;
using mos::ConstByteSpan;
using mos::Status;
using mos::Transport;
namespace tls = mos::tls;

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// The device's TCP, with its (host-only) allocations attributed to the port.
class PortTcp : public Transport {
 public:
  // The resolver and connect of the host OS stand in for lwIP: their stack
  // depth is recorded apart and then erased from the painted stack.
  Status connect(std::string_view h, uint16_t p) override;
  int32_t write(ConstByteSpan d) override {
    Guard g;
    return tcp_.write(d);
  }
  int32_t read(ByteSpan o) override {
    Guard g;
    return tcp_.read(o);
  }
  void close() override {
    Guard g;
    tcp_.close();
  }
  bool connected() const override { return tcp_.connected(); }
  const char* last_error() const override { return tcp_.last_error(); }
  const mos::net::TcpTransport& tcp() const { return tcp_; }

 private:
  struct Guard {
    bool was = t_count_port;
    Guard() { t_count_port = true; }
    ~Guard() { t_count_port = was; }
  };
  mos::net::TcpTransport tcp_;
};

// ---- painted stack ---------------------------------------------------------
constexpr size_t kStackSize = 256 * 1024;
constexpr uint8_t kPaint = 0xA5;
uint8_t* g_stack = nullptr;   // the client thread's stack while measuring
uintptr_t g_entry = 0;        // its entry frame
size_t g_port_depth = 0;      // deepest stack inside the host TCP connect

size_t depth_from(uint8_t* stack, uintptr_t entry) {
  uint8_t* p = stack;
  while (p < stack + kStackSize && *p == kPaint) ++p;
  return entry - reinterpret_cast<uintptr_t>(p);
}

__attribute__((noinline)) void repaint_below(uint8_t* stack, uintptr_t here) {
  // Leave 512 bytes under the caller's frame alone (this frame and memset's).
  uintptr_t top = here - 512;
  std::memset(stack, kPaint, top - reinterpret_cast<uintptr_t>(stack));
}

Status PortTcp::connect(std::string_view h, uint16_t p) {
  Status s;
  {
    Guard g;
    s = tcp_.connect(h, p);
  }
  if (g_stack != nullptr) {
    volatile uint8_t here = 0;
    g_port_depth = std::max(g_port_depth, depth_from(g_stack, g_entry));
    repaint_below(g_stack, reinterpret_cast<uintptr_t>(&here));
  }
  return s;
}

class HostWall : public tls::WallClock {
 public:
  int64_t unix_seconds() const override { return static_cast<int64_t>(::time(nullptr)); }
};

// ---- everything one connection reserves, as a device would have it -------
struct Config {
  const char* name;
  size_t in, out;  // TLS record buffers; out 0 = half duplex
  size_t rx = MOS_MQTT_MAX_PACKET, tx = MOS_MQTT_MAX_PACKET, inflight = MOS_MQTT_MAX_PACKET;  // MQTT buffers
  const br_ec_impl* ec = nullptr;  // nullptr: BearSSL's default for this CPU
  const char* ec_name = "default";
  size_t mqtt() const { return rx + tx + inflight; }
};

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

// The device's connection state, in static storage as firmware keeps it; the
// transport and session are built in place per run (placement new) so none
// of it lands on the measured stack.
struct Device {
  PortTcp tcp;
  tls::TrustAnchorStore<1, 768> anchors;    // one EC CA
  tls::ClientIdentityStore<1536> identity;  // EC P-256 certificate + key
  uint8_t tls_buf[BR_SSL_BUFSIZE_BIDI];     // first in+out bytes used per config
  uint8_t mqtt_rx[MOS_MQTT_MAX_PACKET];
  uint8_t mqtt_tx[MOS_MQTT_MAX_PACKET];
  uint8_t mqtt_inflight[MOS_MQTT_MAX_PACKET];
  // Lent to the TLS transport for the handshake (TlsConfig::handshake_scratch).
  alignas(tls::kHandshakeScratchAlign) uint8_t scratch[tls::kHandshakeScratchSize];
  alignas(tls::TlsTransport) unsigned char tls_mem[sizeof(tls::TlsTransport)];
  alignas(mos::mqtt::Session) unsigned char session_mem[sizeof(mos::mqtt::Session)];
  SteadyClock clock;
  XorShift random;
  HostWall wall;
};

constexpr uint8_t kScribble = 0x3C;

struct Args {
  std::string host;
  uint16_t port;
  std::string ca, cert, key;
};

struct Flags {
  bool connected = false, subscribed = false, puback = false, message = false;
};

void on_event(const mos::mqtt::Event& e, void* ctx) {
  auto* f = static_cast<Flags*>(ctx);
  switch (e.type) {
    case mos::mqtt::EventType::kConnected: f->connected = true; break;
    case mos::mqtt::EventType::kSubscribed: f->subscribed = true; break;
    case mos::mqtt::EventType::kPuback: f->puback = true; break;
    case mos::mqtt::EventType::kMessage: f->message = true; break;
    case mos::mqtt::EventType::kDisconnected: break;
  }
}

// One connection: the TLS transport and the MQTT session over it.
struct Link {
  tls::TlsTransport* tls = nullptr;
  mos::mqtt::Session* session = nullptr;
  Flags flags;

  Link(Device& d, const Config& c) {
    tls = new (d.tls_mem) tls::TlsTransport(d.tcp, ByteSpan(d.tls_buf, c.in),
                                            c.out ? ByteSpan(d.tls_buf + c.in, c.out) : ByteSpan());
    session = new (d.session_mem) mos::mqtt::Session(
        *tls, d.clock, d.random,
        mos::mqtt::Buffers{ByteSpan(d.mqtt_rx, c.rx), ByteSpan(d.mqtt_tx, c.tx), ByteSpan(d.mqtt_inflight, c.inflight)});
  }
  ~Link() {
    session->~Session();
    tls->~TlsTransport();
  }
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;
};

Status configure(Device& d, Link& l, const Config& c) {
  tls::TlsConfig tc;
  tc.anchors = &d.anchors;
  tc.identity = &d.identity;
  tc.wall_clock = &d.wall;
  tc.ec = c.ec;
  tc.handshake_scratch = ByteSpan(d.scratch, sizeof(d.scratch));
  return l.tls->configure(tc);
}

// Runs the session (as the device's event loop would: poll, then sleep on the
// socket) until `done` or 10 s.
template <class Done>
bool run_until(Device& d, Link& l, Done done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    l.session->poll(d.clock.now_ms());
    if (done()) return true;
    pollfd p{d.tcp.tcp().fd(), POLLIN, 0};
    if (d.tcp.tcp().connecting() || d.tcp.tcp().write_blocked()) p.events |= POLLOUT;
    ::poll(&p, p.fd >= 0 ? 1 : 0, 20);
  }
  return false;
}

// TCP + TLS handshake + CONNECT -> CONNACK (the session's kConnected).
bool connect_mqtt(Device& d, Link& l, const Args& a, const char* client_id) {
  mos::mqtt::Config mc;
  mc.host = a.host;
  mc.port = a.port;
  mc.client_id = client_id;
  if (l.session->start(mc, on_event, &l.flags) != Status::kOk) return false;
  return run_until(d, l, [&] { return l.flags.connected; });
}

// ---- RAM ---------------------------------------------------------------------
struct RamResult {
  bool ok = false;
  std::string error;
  size_t stack_handshake = 0;  // deepest stack below the entry frame, connect
  size_t stack_connected = 0;  // deepest for SUBSCRIBE + QoS 1 PUBLISH echo
  size_t max_fragment = 0;
  size_t port_stack = 0;  // host getaddrinfo + connect, not counted
  bool scratch_released = false;  // returned at connect and untouched while connected
  HeapCount device_heap, port_heap;
};

struct RamJob {
  Device* dev;
  const Config* cfg;
  const Args* args;
  uint8_t* stack;
  RamResult result;
};

void* ram_thread(void* arg) {
  auto* job = static_cast<RamJob*>(arg);
  volatile uint8_t marker = 0;
  uintptr_t entry = reinterpret_cast<uintptr_t>(&marker);
  g_stack = job->stack;
  g_entry = entry;
  g_port_depth = 0;
  Device& d = *job->dev;
  const Config& c = *job->cfg;
  g_device_heap = HeapCount{};
  g_port_heap = HeapCount{};
  t_count_device = true;
  {
    Link l(d, c);
    if (configure(d, l, c) == Status::kOk && connect_mqtt(d, l, *job->args, "bench-ram")) {
      job->result.stack_handshake = depth_from(job->stack, entry);
      job->result.max_fragment = l.tls->max_fragment();
      // The app may now reuse the scratch: scribble over it, and check after
      // the connected phase that the connection neither needed nor wrote it.
      bool lent_back = !l.tls->scratch_borrowed();
      std::memset(d.scratch, kScribble, sizeof(d.scratch));
      // Steady state: repaint, then MQTT traffic while connected.
      volatile uint8_t here = 0;
      repaint_below(job->stack, reinterpret_cast<uintptr_t>(&here));
      bool ok = l.session->subscribe("bench/echo", 1) == Status::kOk &&
                run_until(d, l, [&] { return l.flags.subscribed; }) &&
                l.session->publish("bench/echo", mos::as_bytes("{gpio: {pin: 2, state: 0}}"), 1, false) ==
                    Status::kOk &&
                run_until(d, l, [&] { return l.flags.puback && l.flags.message; });
      job->result.stack_connected = depth_from(job->stack, entry);
      job->result.ok = ok;
      job->result.scratch_released =
          lent_back && !l.tls->scratch_borrowed() &&
          std::all_of(d.scratch, d.scratch + sizeof(d.scratch), [](uint8_t b) { return b == kScribble; });
      if (!ok) job->result.error = std::string("no echo: ") + l.tls->last_error();
    } else {
      job->result.error = l.tls->last_error();
    }
    l.session->stop();
  }
  t_count_device = false;
  g_stack = nullptr;
  job->result.port_stack = g_port_depth;
  job->result.device_heap = g_device_heap;
  job->result.port_heap = g_port_heap;
  return nullptr;
}

RamResult measure(Device& d, const Config& c, const Args& a) {
  static uint8_t* stack = static_cast<uint8_t*>(std::aligned_alloc(4096, kStackSize));
  std::memset(stack, kPaint, kStackSize);
  RamJob job{&d, &c, &a, stack, {}};
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstack(&attr, stack, kStackSize);
  pthread_t th;
  pthread_create(&th, &attr, ram_thread, &job);
  pthread_join(th, nullptr);
  pthread_attr_destroy(&attr);
  return job.result;
}

// Stack used to decode the PEM credentials at start-up (BearSSL's PEM,
// X.509 and key decoders are stack objects that live only for the call).
struct DecodeJob {
  std::string ca, cert, key;
  uint8_t* stack;
  size_t depth = 0;
  bool ok = false;
};

void* decode_thread(void* arg) {
  auto* job = static_cast<DecodeJob*>(arg);
  volatile uint8_t marker = 0;
  uintptr_t entry = reinterpret_cast<uintptr_t>(&marker);
  static tls::TrustAnchorStore<1, 768> anchors;
  static tls::ClientIdentityStore<1536> identity;
  anchors.clear();
  job->ok = anchors.add_pem(job->ca) == Status::kOk && identity.load_pem(job->cert, job->key) == Status::kOk;
  job->depth = depth_from(job->stack, entry);
  return nullptr;
}

size_t decode_stack(const Args& a) {
  static uint8_t* stack = static_cast<uint8_t*>(std::aligned_alloc(4096, kStackSize));
  std::memset(stack, kPaint, kStackSize);
  DecodeJob job{read_file(a.ca), read_file(a.cert), read_file(a.key), stack};
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstack(&attr, stack, kStackSize);
  pthread_t th;
  pthread_create(&th, &attr, decode_thread, &job);
  pthread_join(th, nullptr);
  pthread_attr_destroy(&attr);
  return job.ok ? job.depth : 0;
}

bool load(Device& d, const Args& a) {
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

int ram(const Args& a) {
  static Device d;  // .bss, as on a device
  if (!load(d, a)) return 1;
  using tls::input_buffer_size;
  using tls::output_buffer_size;
  // MQTT buffers sized for the job: rx holds the largest incoming packet
  // (a longer one drops the connection with a logged reason), tx queues
  // outgoing packets, inflight keeps QoS 1 publishes until PUBACK.
  constexpr size_t kRx = 512, kTx = 256, kInflight = 256;
  constexpr size_t kDef = MOS_MQTT_MAX_PACKET;
  const Config configs[] = {
      {"MFL 512, half duplex (BearSSL minimum)", input_buffer_size(512), 0, kRx, kTx, kInflight},
      {"MFL 512, half duplex, default MQTT buffers", input_buffer_size(512), 0, kDef, kDef, kDef},
      {"MFL 1024, half duplex", input_buffer_size(1024), 0, kRx, kTx, kInflight},
      {"MFL 2048, half duplex", input_buffer_size(2048), 0, kRx, kTx, kInflight},
      {"MFL 2048, full duplex (c_mqtt default)", input_buffer_size(2048), output_buffer_size(2048), kDef, kDef, kDef},
      {"16 KB in + 512 out, full duplex", BR_SSL_BUFSIZE_INPUT, output_buffer_size(512), kRx, kTx, kInflight},
      {"16 KB, half duplex (MONO)", BR_SSL_BUFSIZE_MONO, 0, kRx, kTx, kInflight},
      {"16 KB in + 16 KB out (BIDI)", BR_SSL_BUFSIZE_INPUT, BR_SSL_BUFSIZE_OUTPUT, kDef, kDef, kDef},
      // The EC code a 32-bit MCU picks (br_ec_all_m31; m15 for cores without
      // a 32x32->64 multiplier) instead of x86-64's 64-bit code.
      {"MFL 512, half duplex", input_buffer_size(512), 0, kRx, kTx, kInflight, &br_ec_all_m31, "m31"},
      {"MFL 512, half duplex", input_buffer_size(512), 0, kRx, kTx, kInflight, &br_ec_all_m15, "m15"},
      {"16 KB, half duplex (MONO)", BR_SSL_BUFSIZE_MONO, 0, kRx, kTx, kInflight, &br_ec_all_m31, "m31"},
      {"16 KB, half duplex (MONO)", BR_SSL_BUFSIZE_MONO, 0, kRx, kTx, kInflight, &br_ec_all_m15, "m15"},
  };
  // A device formats its log lines for the console: count that stack too.
  const char* nolog = std::getenv("MOS_BENCH_NOLOG");  // to see the logging's share
  if (nolog == nullptr || *nolog == '\0') mos::set_log_sink([](mos::LogLevel, std::string_view, void*) {}, nullptr);
  // Warm-up, not reported: the host resolver loads its NSS modules on first
  // use, a host-only cost in the first connection's stack.
  measure(d, configs[0], a);
  const size_t contexts = sizeof(tls::TlsTransport);
  const size_t scratch = tls::kHandshakeScratchSize;
  const size_t session = sizeof(mos::mqtt::Session);
  const size_t creds = d.anchors.bytes_used() + sizeof(br_x509_trust_anchor) + d.identity.bytes_used() +
                       sizeof(tls::ClientIdentity);
  std::printf("Device RAM for one mutual-TLS MQTT connection (EC P-256 client certificate, x86-64 build)\n");
  std::printf("  TLS: sizeof(TlsTransport) = %zu (br_ssl_client_context %zu + state) + handshake scratch %zu "
              "(br_x509_minimal_context, lent by the app for the handshake only) + the record buffers below\n",
              contexts, sizeof(br_ssl_client_context), scratch);
  std::printf("  MQTT: sizeof(mqtt::Session) = %zu + the rx/tx/inflight buffers below\n", session);
  std::printf("  credentials decoded: %zu bytes (CA anchor %zu, client chain + key %zu, + their descriptors); "
              "decoding them at start-up takes %zu B of stack and the PEM text in RAM, before any connection "
              "(the PEM buffer can be the one later lent as handshake scratch)\n",
              creds, d.anchors.bytes_used(), d.identity.bytes_used(), decode_stack(a));
  std::printf("  targets (issue #3): with max_fragment_length peak <= 16 KB and connected <= 10 KB; with a full "
              "16 KB input record buffer peak <= 30 KB\n\n");
  std::printf("| buffer configuration | EC code | TLS in+out | MQTT rx/tx/inflight | MFL | stack peak | "
              "stack connected | heap (device) | peak RAM | peak target | connected RAM | connected target |\n"
              "|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  int failures = 0;
  RamResult port;
  for (const Config& c : configs) {
    RamResult r = measure(d, c, a);
    if (!r.ok) {
      std::printf("| %s | %s | %zu+%zu | %zu/%zu/%zu | - | FAILED: %s |\n", c.name, c.ec_name, c.in, c.out, c.rx,
                  c.tx, c.inflight, r.error.c_str());
      ++failures;
      continue;
    }
    size_t fixed = contexts + c.in + c.out + session + c.mqtt() + creds;
    size_t peak = fixed + scratch + r.stack_handshake + r.device_heap.bytes;
    // The scratch counts while connected unless it was returned and left alone.
    size_t conn = fixed + (r.scratch_released ? 0 : scratch) + r.stack_connected;
    bool full_input = c.in >= BR_SSL_BUFSIZE_INPUT;
    size_t peak_target = full_input ? 30 * 1024 : 16 * 1024;
    char conn_col[32] = "-";
    if (!full_input) {
      std::snprintf(conn_col, sizeof(conn_col), "<= 10 KB %s", conn <= 10 * 1024 ? "PASS" : "MISS");
    }
    std::printf("| %s | %s | %zu+%zu | %zu/%zu/%zu | %zu | %zu | %zu | %zu calls / %zu B | %.1f KB | <= %zu KB %s | "
                "%.1f KB%s | %s |\n",
                c.name, c.ec_name, c.in, c.out, c.rx, c.tx, c.inflight, r.max_fragment, r.stack_handshake,
                r.stack_connected, r.device_heap.calls, r.device_heap.bytes, static_cast<double>(peak) / 1024.0,
                peak_target / 1024, peak <= peak_target ? "PASS" : "MISS", static_cast<double>(conn) / 1024.0,
                r.scratch_released ? "" : " (scratch still held!)", conn_col);
    if (&c == &configs[0]) port = r;
  }
  std::printf("\npeak = TLS context + handshake scratch + TLS buffers + MQTT session and buffers + credentials + "
              "stack high-water of connect (TCP, TLS handshake, CONNECT/CONNACK) + heap; connected = the same "
              "without the scratch (returned at the end of the handshake, then overwritten by the bench and "
              "verified untouched) and with the stack high-water of SUBSCRIBE/SUBACK and a QoS 1 PUBLISH echoed "
              "back with PUBACK. 1 KB = 1024 B.\nNot counted (the host TCP port standing in for lwIP): %zu heap "
              "calls / %zu B and %zu B of stack in getaddrinfo()+connect(). x86-64 has 8-byte pointers and wider "
              "frames: the contexts are smaller on Cortex-M4 (below).\n",
              port.port_heap.calls, port.port_heap.bytes, port.port_stack);
  return failures == 0 ? 0 : 1;
}

// ---- connect time ----------------------------------------------------------
double since_ms(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

double time_process(const std::vector<std::string>& argv) {
  std::vector<char*> av;
  for (const std::string& s : argv) av.push_back(const_cast<char*>(s.c_str()));
  av.push_back(nullptr);
  auto t0 = std::chrono::steady_clock::now();
  pid_t pid = ::fork();
  if (pid == 0) {
    std::freopen("/dev/null", "w", stdout);
    std::freopen("/dev/null", "w", stderr);
    ::execvp(av[0], av.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  double ms = since_ms(t0);
  if (!WIFEXITED(status) || (WEXITSTATUS(status) != 0 && argv.back() != "--help")) return -1;
  return ms;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n == 0 ? 0 : (n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2);
}

int timing(const Args& a, int runs) {
  static Device d;
  if (!load(d, a)) return 1;
  // c_mqtt's default (MFL 2048, full duplex) and full-size buffers.
  const Config cfgs[] = {
      {"mos (BearSSL, MFL 2048)", tls::input_buffer_size(2048), tls::output_buffer_size(2048)},
      {"mos (BearSSL, 16 KB)", BR_SSL_BUFSIZE_INPUT, BR_SSL_BUFSIZE_OUTPUT}};
  std::vector<double> mos_ms[2], pub_ms, help_ms;
  const std::string port = std::to_string(a.port);
  std::vector<std::string> pub = {"mosquitto_pub", "-h", a.host, "-p", port, "--cafile", a.ca, "--cert", a.cert,
                                  "--key", a.key, "-t", "bench/x", "-n", "-q", "0"};
  // Interleaved, so load on this shared machine hits every contender alike.
  for (int i = 0; i < runs; ++i) {
    for (int k = 0; k < 2; ++k) {
      Link l(d, cfgs[k]);
      if (configure(d, l, cfgs[k]) != Status::kOk) return 1;
      auto t0 = std::chrono::steady_clock::now();
      bool ok = connect_mqtt(d, l, a, "bench-time");
      double ms = since_ms(t0);
      if (!ok) {
        std::fprintf(stderr, "mos connect failed: %s\n", l.tls->last_error());
        return 1;
      }
      l.session->stop();
      mos_ms[k].push_back(ms);
    }
    double p = time_process(pub);
    if (p < 0) {
      std::fprintf(stderr, "mosquitto_pub failed\n");
      return 1;
    }
    pub_ms.push_back(p);
    help_ms.push_back(time_process({"mosquitto_pub", "--help"}));
  }
  double pub_med = median(pub_ms), help_med = median(help_ms);
  double pub_net = pub_med - help_med;
  std::printf("Connect time, TCP + TLS 1.2 mutual auth (EC P-256) + CONNECT->CONNACK, loopback, median of %d\n\n",
              runs);
  std::printf("| client | median ms | ratio vs mosquitto_pub | ratio vs mosquitto_pub minus start-up |\n");
  std::printf("|---|---|---|---|\n");
  for (int k = 0; k < 2; ++k) {
    double m = median(mos_ms[k]);
    std::printf("| %s | %.2f | %.2f | %.2f |\n", cfgs[k].name, m, m / pub_med, m / pub_net);
  }
  std::printf("| mosquitto_pub -n (OpenSSL, whole process) | %.2f | 1.00 | - |\n", pub_med);
  std::printf("| mosquitto_pub --help (process start-up only) | %.2f | - | - |\n", help_med);
  std::printf("| mosquitto_pub minus start-up | %.2f | - | 1.00 |\n", pub_net);
  std::printf("\nmos: the mqtt::Session's start() to its kConnected event, in-process. mosquitto_pub: fork+exec to "
              "exit, which also loads OpenSSL, sends PUBLISH and DISCONNECT.\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 7) {
    std::fprintf(stderr, "usage: %s ram|time HOST PORT CA CERT KEY [RUNS]\n", argv[0]);
    return 2;
  }
  Args a{argv[2], static_cast<uint16_t>(std::atoi(argv[3])), argv[4], argv[5], argv[6]};
  std::string mode = argv[1];
  if (mode == "ram") return ram(a);
  if (mode == "time") return timing(a, argc > 7 ? std::atoi(argv[7]) : 21);
  std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
  return 2;
}

// broker_bench: MQTT-over-mTLS load generator (libmosquitto), one thread,
// many clients driven by one poll() loop. Driven by bench/broker_throughput.py,
// which runs it against plain Mosquitto and Mosquitto + mos policy plugin.
//
//   broker_bench throughput --port P [--port2 P2] --cafile CA --certs DIR --clients 100 --qos 0|1
//     clients/2 publisher->subscriber pairs over topics bench/<i> per broker;
//     each pair keeps at most --window messages outstanding (published, not
//     yet received), so the broker is the bottleneck, not client-side queues.
//     Reports messages received per second per window.
//   broker_bench connect --port P [--port2 P2] --cafile CA --certs DIR --clients N --parallel K
//     K concurrent connect -> CONNACK -> DISCONNECT cycles with certificate
//     (i mod N). Reports connections per second per window.
//
// With --port2 both brokers are measured in --windows alternating windows of
// --seconds each (A B B A A B ...), after a --warmup: adjacent windows see the
// same machine load, which a loaded 2-core machine needs for a fair ratio.
// --pid/--pid2 add each broker's CPU time per operation (/proc/<pid>/stat).
//
// DIR holds client<i>.pem / client<i>.key for i in [0, clients).
// Output: one JSON object on stdout.
#include <mosquitto.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string mode;
  std::string host = "127.0.0.1";
  int port = 0;
  std::string cafile;
  std::string certs;
  int clients = 100;
  int qos = 0;
  double seconds = 5;
  double warmup = 0.5;
  int window = 32;
  int parallel = 4;
  int payload = 64;
  int pid = 0;  // broker process: its CPU time over the measurement is reported
  int port2 = 0;  // optional second broker, measured in alternating windows
  int pid2 = 0;
  int windows = 10;
};

// utime + stime of a process in seconds (proc(5): fields 14 and 15), or -1.
double cpu_seconds(int pid) {
  if (pid <= 0) return -1;
  std::string path = "/proc/" + std::to_string(pid) + "/stat";
  FILE* f = std::fopen(path.c_str(), "r");
  if (!f) return -1;
  char buf[1024];
  size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  buf[n] = 0;
  // The command name (field 2) may contain spaces: fields restart after ')'.
  const char* p = std::strrchr(buf, ')');
  if (!p) return -1;
  unsigned long utime = 0, stime = 0;
  if (std::sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2) return -1;
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "broker_bench: %s\n", what.c_str());
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  if (argc < 2) die("usage: broker_bench throughput|connect --port P --cafile CA --certs DIR [...]");
  o.mode = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--host") o.host = v;
    else if (k == "--port") o.port = std::atoi(v.c_str());
    else if (k == "--cafile") o.cafile = v;
    else if (k == "--certs") o.certs = v;
    else if (k == "--clients") o.clients = std::atoi(v.c_str());
    else if (k == "--qos") o.qos = std::atoi(v.c_str());
    else if (k == "--seconds") o.seconds = std::atof(v.c_str());
    else if (k == "--warmup") o.warmup = std::atof(v.c_str());
    else if (k == "--window") o.window = std::atoi(v.c_str());
    else if (k == "--parallel") o.parallel = std::atoi(v.c_str());
    else if (k == "--payload") o.payload = std::atoi(v.c_str());
    else if (k == "--pid") o.pid = std::atoi(v.c_str());
    else if (k == "--port2") o.port2 = std::atoi(v.c_str());
    else if (k == "--pid2") o.pid2 = std::atoi(v.c_str());
    else if (k == "--windows") o.windows = std::atoi(v.c_str());
    else die("unknown option " + k);
  }
  if (o.port <= 0 || o.cafile.empty() || o.certs.empty()) die("--port, --cafile and --certs are required");
  if (o.clients < 2 || o.qos < 0 || o.qos > 1 || o.seconds <= 0 || o.windows < 1 || o.parallel < 1) {
    die("bad --clients/--qos/--seconds/--windows/--parallel");
  }
  return o;
}

struct Client {
  mosquitto* m = nullptr;
  std::string id;
  bool connected = false;
  int connack = -1;
  bool subscribed = false;
  long published = 0;  // publisher: messages handed to libmosquitto
  long received = 0;   // subscriber: messages delivered
  Client* peer = nullptr;
};

void on_connect(mosquitto*, void* ud, int rc) {
  auto* c = static_cast<Client*>(ud);
  c->connack = rc;
  c->connected = rc == 0;
}
void on_subscribe(mosquitto*, void* ud, int, int count, const int* granted) {
  auto* c = static_cast<Client*>(ud);
  // MQTT 3.1.1 §3.9.3: 0x80 in the SUBACK means the subscription was refused.
  for (int i = 0; i < count; ++i) {
    if (granted[i] == 0x80) die("the broker refused the subscription of " + c->id + " (check its policy)");
  }
  c->subscribed = true;
}
void on_message(mosquitto*, void* ud, const mosquitto_message*) { ++static_cast<Client*>(ud)->received; }

mosquitto* make_client(const Options& o, const std::string& id, int cert, Client* ud) {
  mosquitto* m = mosquitto_new(id.c_str(), true, ud);
  if (!m) die("mosquitto_new failed");
  std::string pem = o.certs + "/client" + std::to_string(cert) + ".pem";
  std::string key = o.certs + "/client" + std::to_string(cert) + ".key";
  if (mosquitto_tls_set(m, o.cafile.c_str(), nullptr, pem.c_str(), key.c_str(), nullptr) != MOSQ_ERR_SUCCESS) {
    die("mosquitto_tls_set failed for " + pem);
  }
  mosquitto_tls_opts_set(m, 1, "tlsv1.2", nullptr);
  mosquitto_connect_callback_set(m, on_connect);
  mosquitto_subscribe_callback_set(m, on_subscribe);
  mosquitto_message_callback_set(m, on_message);
  return m;
}

// One poll() round over all live clients.
void pump(std::vector<Client*>& cs, int timeout_ms) {
  std::vector<pollfd> fds;
  std::vector<Client*> who;
  fds.reserve(cs.size());
  for (Client* c : cs) {
    int fd = mosquitto_socket(c->m);
    if (fd < 0) continue;
    short ev = POLLIN;
    if (mosquitto_want_write(c->m)) ev |= POLLOUT;
    fds.push_back(pollfd{fd, ev, 0});
    who.push_back(c);
  }
  if (fds.empty()) return;
  int n = poll(fds.data(), fds.size(), timeout_ms);
  if (n < 0) return;
  for (size_t i = 0; i < fds.size(); ++i) {
    if (fds[i].revents & (POLLIN | POLLERR | POLLHUP)) mosquitto_loop_read(who[i]->m, 1);
    if (fds[i].revents & POLLOUT) mosquitto_loop_write(who[i]->m, 1);
  }
}

void wait_for(std::vector<Client*>& cs, double seconds, const char* what, bool (*done)(const Client*)) {
  auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
  for (;;) {
    bool all = true;
    for (const Client* c : cs) {
      if (c->connack > 0) die(std::string("connection refused for ") + c->id + " (CONNACK " +
                              std::to_string(c->connack) + ")");
      all = all && done(c);
    }
    if (all) return;
    if (Clock::now() > deadline) die(std::string("timed out waiting for ") + what);
    pump(cs, 10);
    for (Client* c : cs) mosquitto_loop_misc(c->m);
  }
}

// One broker under test: its port and process id (for its CPU time).
struct Target {
  int port = 0;
  int pid = 0;
};

std::vector<Target> targets(const Options& o) {
  std::vector<Target> t{{o.port, o.pid}};
  if (o.port2 > 0) t.push_back({o.port2, o.pid2});
  return t;
}

// Windows alternate between the targets as A B B A A B ... so that slow
// drifts in machine load hit both alike.
size_t target_for(int window, int slot, size_t n) {
  if (n == 1) return 0;
  return static_cast<size_t>(((window % 2) == 0 ? slot : 1 - slot));
}

void print_result(const char* mode, const Options& o, const std::vector<Target>& ts,
                  const std::vector<std::vector<double>>& rates, const std::vector<std::vector<double>>& cpu_us) {
  std::printf("{\"mode\":\"%s\",\"qos\":%d,\"clients\":%d,\"window_seconds\":%.2f,\"targets\":[", mode, o.qos,
              o.clients, o.seconds);
  for (size_t t = 0; t < ts.size(); ++t) {
    std::printf("%s{\"port\":%d,\"rates\":[", t ? "," : "", ts[t].port);
    for (size_t i = 0; i < rates[t].size(); ++i) std::printf("%s%.1f", i ? "," : "", rates[t][i]);
    std::printf("],\"cpu_us_per_op\":[");
    for (size_t i = 0; i < cpu_us[t].size(); ++i) std::printf("%s%.2f", i ? "," : "", cpu_us[t][i]);
    std::printf("]}");
  }
  std::printf("]}\n");
}

double per_op_us(double cpu_s, long ops) {
  return cpu_s >= 0 && ops > 0 ? cpu_s * 1e6 / static_cast<double>(ops) : -1;
}

struct Fleet {  // the publisher->subscriber pairs connected to one target
  std::vector<Client> subs, pubs;
  std::vector<Client*> all;
  long received() const {
    long n = 0;
    for (const auto& s : subs) n += s.received;
    return n;
  }
};

void connect_fleet(const Options& o, const Target& t, int index, Fleet* f) {
  const int pairs = o.clients / 2;
  f->subs.resize(static_cast<size_t>(pairs));
  f->pubs.resize(static_cast<size_t>(pairs));
  for (int i = 0; i < pairs; ++i) {
    auto& s = f->subs[static_cast<size_t>(i)];
    auto& p = f->pubs[static_cast<size_t>(i)];
    s.id = "bench-sub-" + std::to_string(index) + "-" + std::to_string(i);
    p.id = "bench-pub-" + std::to_string(index) + "-" + std::to_string(i);
    s.m = make_client(o, s.id, i, &s);
    p.m = make_client(o, p.id, pairs + i, &p);
    p.peer = &s;
    f->all.push_back(&s);
    f->all.push_back(&p);
  }
  for (Client* c : f->all) {
    int rc = mosquitto_connect(c->m, o.host.c_str(), t.port, 60);
    if (rc != MOSQ_ERR_SUCCESS) die("connect " + c->id + ": " + mosquitto_strerror(rc));
  }
  wait_for(f->all, 60, "CONNACKs", [](const Client* c) { return c->connected; });
  for (int i = 0; i < pairs; ++i) {
    std::string topic = "bench/" + std::to_string(i);
    mosquitto_subscribe(f->subs[static_cast<size_t>(i)].m, nullptr, topic.c_str(), o.qos);
  }
  std::vector<Client*> subp;
  for (auto& s : f->subs) subp.push_back(&s);
  wait_for(subp, 30, "SUBACKs", [](const Client* c) { return c->subscribed; });
}

// Publishes for `seconds` keeping each pair's window full; returns messages
// received in that time.
long drive(const Options& o, Fleet& f, double seconds, const std::string& payload) {
  // Let what is still in flight from the previous window arrive first.
  auto settle = Clock::now() + std::chrono::milliseconds(30);
  while (Clock::now() < settle) pump(f.all, 5);
  for (auto& p : f.pubs) p.published = p.peer->received;  // outstanding = 0
  const long base = f.received();
  const auto end = Clock::now() + std::chrono::duration<double>(seconds);
  int misc = 0;
  while (Clock::now() < end) {
    for (size_t i = 0; i < f.pubs.size(); ++i) {
      Client& p = f.pubs[i];
      std::string topic = "bench/" + std::to_string(i);
      while (p.published - p.peer->received < o.window && !mosquitto_want_write(p.m)) {
        int rc = mosquitto_publish(p.m, nullptr, topic.c_str(), o.payload, payload.data(), o.qos, false);
        if (rc != MOSQ_ERR_SUCCESS) die("publish " + p.id + ": " + mosquitto_strerror(rc));
        ++p.published;
      }
    }
    pump(f.all, 5);
    if (++misc % 64 == 0) {
      for (Client* c : f.all) mosquitto_loop_misc(c->m);
    }
  }
  return f.received() - base;
}

int throughput(const Options& o) {
  const auto ts = targets(o);
  std::vector<Fleet> fleets(ts.size());
  for (size_t t = 0; t < ts.size(); ++t) connect_fleet(o, ts[t], static_cast<int>(t), &fleets[t]);
  std::string payload(static_cast<size_t>(o.payload), 'x');
  for (size_t t = 0; t < ts.size(); ++t) drive(o, fleets[t], o.warmup, payload);  // warm-up
  std::vector<std::vector<double>> rates(ts.size()), cpu(ts.size());
  for (int w = 0; w < o.windows; ++w) {
    for (int slot = 0; slot < static_cast<int>(ts.size()); ++slot) {
      size_t t = target_for(w, slot, ts.size());
      double cpu0 = cpu_seconds(ts[t].pid);
      long n = drive(o, fleets[t], o.seconds, payload);
      double cpu1 = cpu_seconds(ts[t].pid);
      rates[t].push_back(static_cast<double>(n) / o.seconds);
      cpu[t].push_back(per_op_us(cpu0 >= 0 ? cpu1 - cpu0 : -1, n));
    }
  }
  print_result("throughput", o, ts, rates, cpu);
  for (auto& f : fleets) {
    for (Client* c : f.all) {
      mosquitto_disconnect(c->m);
      mosquitto_loop_write(c->m, 1);
      mosquitto_destroy(c->m);
    }
  }
  return 0;
}

// connect -> CONNACK -> DISCONNECT cycles on `parallel` slots for `seconds`;
// returns completed handshakes (refusals abort: the setup is wrong).
long connect_window(const Options& o, const Target& t, double seconds, long* seq) {
  struct Slot {
    Client c;
    Clock::time_point started;
    bool live = false;
  };
  std::vector<Slot> slots(static_cast<size_t>(o.parallel));
  long done = 0;
  auto start_slot = [&](Slot& s) {
    int cert = static_cast<int>(*seq % o.clients);
    s.c = Client{};
    s.c.id = "bench-conn-" + std::to_string((*seq)++);
    s.c.m = make_client(o, s.c.id, cert, &s.c);
    s.started = Clock::now();
    s.live = true;
    int rc = mosquitto_connect(s.c.m, o.host.c_str(), t.port, 60);
    if (rc != MOSQ_ERR_SUCCESS) die("connect: " + std::string(mosquitto_strerror(rc)));
  };
  auto finish_slot = [&](Slot& s) {
    mosquitto_disconnect(s.c.m);
    mosquitto_loop_write(s.c.m, 1);
    mosquitto_destroy(s.c.m);
    s.live = false;
  };
  for (auto& s : slots) start_slot(s);
  const auto end = Clock::now() + std::chrono::duration<double>(seconds);
  bool open = true;
  for (;;) {
    open = Clock::now() < end;
    std::vector<Client*> live;
    for (auto& s : slots) {
      if (s.live) live.push_back(&s.c);
    }
    if (live.empty()) break;
    pump(live, 5);
    for (auto& s : slots) {
      if (!s.live) continue;
      if (s.c.connack > 0) die("connection refused for " + s.c.id + " (CONNACK " + std::to_string(s.c.connack) + ")");
      bool lost = s.c.connack < 0 && mosquitto_socket(s.c.m) < 0;
      bool stuck = Clock::now() - s.started > std::chrono::seconds(10);
      if (lost || stuck) die("connection of " + s.c.id + " was lost before its CONNACK");
      if (s.c.connack != 0) continue;
      // Only handshakes completed inside the window count.
      if (open) ++done;
      finish_slot(s);
      if (open) start_slot(s);
    }
  }
  return done;
}

int connect_rate(const Options& o) {
  const auto ts = targets(o);
  long seq = 0;
  for (const auto& t : ts) connect_window(o, t, o.warmup, &seq);
  std::vector<std::vector<double>> rates(ts.size()), cpu(ts.size());
  for (int w = 0; w < o.windows; ++w) {
    for (int slot = 0; slot < static_cast<int>(ts.size()); ++slot) {
      size_t t = target_for(w, slot, ts.size());
      double cpu0 = cpu_seconds(ts[t].pid);
      long n = connect_window(o, ts[t], o.seconds, &seq);
      double cpu1 = cpu_seconds(ts[t].pid);
      rates[t].push_back(static_cast<double>(n) / o.seconds);
      cpu[t].push_back(per_op_us(cpu0 >= 0 ? cpu1 - cpu0 : -1, n));
    }
  }
  print_result("connect", o, ts, rates, cpu);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  mosquitto_lib_init();
  int rc = o.mode == "throughput" ? throughput(o) : o.mode == "connect" ? connect_rate(o) : (die("unknown mode " + o.mode), 2);
  mosquitto_lib_cleanup();
  return rc;
}

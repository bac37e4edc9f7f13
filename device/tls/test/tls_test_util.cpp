#include "tls_test_util.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace mos::tls::testing {

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

int run(const std::string& cmd) {
  int rc = std::system((cmd + " >/dev/null 2>&1").c_str());
  if (rc != 0) std::fprintf(stderr, "command failed (%d): %s\n", rc, cmd.c_str());
  return rc;
}

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

TempDir::TempDir() {
  char tmpl[] = "/tmp/mos-tls-XXXXXX";
  path_ = ::mkdtemp(tmpl);
}

TempDir::~TempDir() { run("rm -rf '" + path_ + "'"); }

void Pki::key(const std::string& path, const std::string& kind, const std::string& format) {
  if (kind == "ec") {
    if (format == "sec1") {
      run("openssl ecparam -name prime256v1 -genkey -noout -out '" + path + "'");
    } else {
      run("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out '" + path + "'");
    }
  } else {
    run("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out '" + path + "'");
    if (format == "pkcs1") run("openssl rsa -in '" + path + "' -traditional -out '" + path + "'");
  }
}

CertFiles Pki::ca(const std::string& name, const std::string& kind) {
  CertFiles f{dir_ + "/" + name + ".pem", dir_ + "/" + name + ".key"};
  key(f.key, kind, "pkcs8");
  run("openssl req -x509 -new -key '" + f.key + "' -subj '/CN=" + name +
      "' -days 30 -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign -out '" +
      f.cert + "'");
  return f;
}

CertFiles Pki::leaf(const std::string& name, const CertFiles& ca, const std::string& kind, const std::string& san,
                    const std::string& key_format) {
  CertFiles f{dir_ + "/" + name + ".pem", dir_ + "/" + name + ".key"};
  key(f.key, kind, key_format);
  std::string csr = dir_ + "/" + name + ".csr";
  std::string ext = dir_ + "/" + name + ".ext";
  run("openssl req -new -key '" + f.key + "' -subj '/CN=" + name + "' -out '" + csr + "'");
  std::ofstream(ext) << "basicConstraints=CA:FALSE\n" << (san.empty() ? "" : "subjectAltName=" + san + "\n");
  run("openssl x509 -req -in '" + csr + "' -CA '" + ca.cert + "' -CAkey '" + ca.key +
      "' -CAcreateserial -days 30 -sha256 -extfile '" + ext + "' -out '" + f.cert + "'");
  return f;
}

CertFiles Pki::leaf_dated(const std::string& name, const CertFiles& ca, const std::string& start,
                          const std::string& end, const std::string& san) {
  CertFiles f{dir_ + "/" + name + ".pem", dir_ + "/" + name + ".key"};
  key(f.key, "ec", "pkcs8");
  std::string csr = dir_ + "/" + name + ".csr";
  std::string db = dir_ + "/" + name + "-ca";
  run("mkdir -p '" + db + "' && : > '" + db + "/index.txt'");
  std::ofstream(db + "/ca.cnf") << "[ca]\ndefault_ca=d\n[d]\ndatabase=" << db << "/index.txt\nnew_certs_dir=" << db
                                << "\nserial=" << db << "/serial\ndefault_md=sha256\npolicy=p\n"
                                << "unique_subject=no\nx509_extensions=e\n[p]\ncommonName=supplied\n"
                                << "[e]\nbasicConstraints=CA:FALSE\nsubjectAltName=" << san << "\n";
  std::ofstream(db + "/serial") << "1000\n";
  run("openssl req -new -key '" + f.key + "' -subj '/CN=" + name + "' -out '" + csr + "'");
  run("openssl ca -batch -notext -config '" + db + "/ca.cnf' -cert '" + ca.cert + "' -keyfile '" + ca.key +
      "' -startdate " + start + " -enddate " + end + " -in '" + csr + "' -out '" + f.cert + "'");
  return f;
}

Pki cached_pki(const std::string& tag, const std::function<void(Pki&)>& make) {
#ifdef MOS_TLS_TEST_CACHE
  std::string base = MOS_TLS_TEST_CACHE;
#else
  std::string base = "/tmp/mos-tls-test-cache";
#endif
  run("mkdir -p '" + base + "'");
  std::string dir = base + "/" + tag;
  int lock = ::open((dir + ".lock").c_str(), O_CREAT | O_RDWR, 0600);
  ::flock(lock, LOCK_EX);
  struct stat st {};
  bool fresh = ::stat((dir + "/done").c_str(), &st) == 0 && ::time(nullptr) - st.st_mtime < 12 * 3600;
  if (!fresh) {
    run("rm -rf '" + dir + "' && mkdir -p '" + dir + "'");
    Pki pki(dir);
    make(pki);
    std::ofstream(dir + "/done") << "ok\n";
  }
  ::flock(lock, LOCK_UN);
  ::close(lock);
  return Pki(dir);
}

Mosquitto::Mosquitto(const std::string& dir, const CertFiles& ca, const CertFiles& server, const std::string& extra)
    : dir_(dir), conf_(dir + "/mosquitto.conf"), log_(dir + "/mosquitto.log") {
  port_ = free_port();
  std::ofstream(conf_) << "per_listener_settings false\nallow_anonymous true\nlog_dest file " << log_
                       << "\nlog_type all\nconnection_messages true\npersistence false\nuser root\n"
                       << "listener " << port_ << " 127.0.0.1\ncafile " << ca.cert << "\ncertfile " << server.cert
                       << "\nkeyfile " << server.key
                       << "\ntls_version tlsv1.2\nrequire_certificate true\nuse_identity_as_username true\n"
                       << extra;
}

Mosquitto::~Mosquitto() { stop(); }

bool Mosquitto::start() {
  pid_t pid = ::fork();
  if (pid == 0) {
    int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(devnull, 1);
    ::dup2(devnull, 2);
    ::execl("/usr/sbin/mosquitto", "mosquitto", "-c", conf_.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  pid_ = pid;
  for (int i = 0; i < 200; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port_);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
    ::close(fd);
    if (rc == 0) return true;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return false;
}

void Mosquitto::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  int status = 0;
  for (int i = 0; i < 100; ++i) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::string Mosquitto::log() const { return read_file(log_); }

void wait_socket(const net::TcpTransport& tcp, int ms) {
  pollfd p{tcp.fd(), POLLIN, 0};
  if (tcp.connecting() || tcp.write_blocked()) p.events |= POLLOUT;
  ::poll(&p, p.fd >= 0 ? 1 : 0, ms);
}

bool run_handshake(TlsTransport& tls, const net::TcpTransport& tcp, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (tls.connected()) return true;
    if (!tls.pump()) return false;
    if (!tls.connected()) wait_socket(tcp, 20);
  }
  return tls.connected();
}

int mqtt_connect(mos::Transport& t, const net::TcpTransport& tcp, const std::string& client_id, int timeout_ms) {
  // Fixed header 0x10, remaining length; variable header: protocol name
  // "MQTT", level 4, flags 0x02 (clean session), keep alive 60 s.
  uint8_t pkt[128];
  size_t n = 0;
  size_t rem = 10 + 2 + client_id.size();
  if (rem > 127 || client_id.size() > 64) return -1;
  pkt[n++] = 0x10;
  pkt[n++] = static_cast<uint8_t>(rem);
  const uint8_t vh[] = {0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 60};
  std::memcpy(pkt + n, vh, sizeof(vh));
  n += sizeof(vh);
  pkt[n++] = 0;
  pkt[n++] = static_cast<uint8_t>(client_id.size());
  std::memcpy(pkt + n, client_id.data(), client_id.size());
  n += client_id.size();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  size_t sent = 0;
  while (sent < n && std::chrono::steady_clock::now() < deadline) {
    int32_t w = t.write(ConstByteSpan(pkt + sent, n - sent));
    if (w < 0) return -1;
    if (w == 0) wait_socket(tcp, 20);
    sent += static_cast<size_t>(w);
  }
  uint8_t ack[4];
  size_t got = 0;
  while (got < 4 && std::chrono::steady_clock::now() < deadline) {
    int32_t r = t.read(ByteSpan(ack + got, 4 - got));
    if (r < 0) return -1;
    if (r == 0) wait_socket(tcp, 20);
    got += static_cast<size_t>(r);
  }
  // §3.2: 0x20, remaining length 2, session present flags, return code.
  if (got < 4 || ack[0] != 0x20 || ack[1] != 2) return -1;
  return ack[3];
}

}  // namespace mos::tls::testing

// Test helpers for mos_tls: certificates made with the openssl CLI, a real
// Mosquitto on 127.0.0.1 at a free port, and poll() loops over device/net's
// TCP transport. Host-only, POSIX.
#pragma once
#include <cstdint>
#include <ctime>
#include <functional>
#include <string>

#include "mos/hal.h"
#include "mos/net/tcp_transport.h"
#include "mos/tls.h"

namespace mos::tls::testing {

std::string read_file(const std::string& path);
// Runs a shell command; returns its exit status (stdout/stderr to `log`).
int run(const std::string& cmd);
uint16_t free_port();

// The memory TlsConfig::handshake_scratch lends to a transport's handshake.
struct Scratch {
  alignas(kHandshakeScratchAlign) uint8_t bytes[kHandshakeScratchSize];
  ByteSpan span() { return ByteSpan(bytes, sizeof(bytes)); }
};

// A scratch directory removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

struct CertFiles {
  std::string cert;  // PEM paths
  std::string key;
};

// Keys and certificates made by openssl. kind: "ec" (P-256) or "rsa" (2048).
class Pki {
 public:
  explicit Pki(std::string dir) : dir_(std::move(dir)) {}
  CertFiles ca(const std::string& name, const std::string& kind = "ec");
  // A leaf signed by `ca`; san like "DNS:localhost,IP:127.0.0.1" (may be empty).
  CertFiles leaf(const std::string& name, const CertFiles& ca, const std::string& kind = "ec",
                 const std::string& san = "", const std::string& key_format = "pkcs8");
  // A leaf with an explicit validity window ("YYYYMMDDHHMMSSZ"), through
  // `openssl ca` since OpenSSL 3.0's `x509 -req` cannot set past dates.
  CertFiles leaf_dated(const std::string& name, const CertFiles& ca, const std::string& start,
                       const std::string& end, const std::string& san);
  const std::string& dir() const { return dir_; }
  // The files leaf()/ca() made under `name`.
  CertFiles files(const std::string& name) const { return {dir_ + "/" + name + ".pem", dir_ + "/" + name + ".key"}; }

 private:
  void key(const std::string& path, const std::string& kind, const std::string& format);
  std::string dir_;
};

// Certificates shared by every test process of one build tree: ctest runs
// each test case in its own process, and RSA key generation is slow. `make`
// runs once under a file lock; its files are reused for 12 hours.
Pki cached_pki(const std::string& tag, const std::function<void(Pki&)>& make);

// Mosquitto with one mTLS listener (require_certificate,
// use_identity_as_username, tls_version tlsv1.2).
class Mosquitto {
 public:
  Mosquitto(const std::string& dir, const CertFiles& ca, const CertFiles& server, const std::string& extra = "");
  ~Mosquitto();
  bool start();
  void stop();
  uint16_t port() const { return port_; }
  std::string log() const;

 private:
  std::string dir_, conf_, log_;
  uint16_t port_ = 0;
  int pid_ = -1;
};

class SystemWallClock : public WallClock {
 public:
  int64_t unix_seconds() const override { return static_cast<int64_t>(::time(nullptr)) + offset_; }
  int64_t offset_ = 0;
};

// Sleeps up to `ms` in poll() until `tcp` can make progress.
void wait_socket(const net::TcpTransport& tcp, int ms);

// Drives `tls` until connected or failed (or timeout). True when connected.
bool run_handshake(TlsTransport& tls, const net::TcpTransport& tcp, int timeout_ms = 10000);

// MQTT 3.1.1 §3.1 CONNECT with clean session and the given client id; writes
// it over `t` and waits for CONNACK (§3.2). Returns the return code, or -1.
int mqtt_connect(mos::Transport& t, const net::TcpTransport& tcp, const std::string& client_id,
                 int timeout_ms = 5000);

}  // namespace mos::tls::testing

// mos_tls against a real Mosquitto (Debian's, OpenSSL 3) with mutual TLS:
// certificates made here with the openssl CLI; every failure is checked by
// the line last_error() gives a person.
#include <gtest/gtest.h>

#include <memory>

#include "tls_test_util.h"

namespace mos::tls {
namespace {

using testing::CertFiles;
using testing::Mosquitto;
using testing::Pki;
using testing::read_file;
using testing::SystemWallClock;
using testing::TempDir;

struct World {
  TempDir dir;  // the broker's config and log
  CertFiles ca, server, client_ec, client_ec_sec1, client_rsa, client_rsa_pkcs8, rogue_ca, rogue_client, expired,
      future;
  std::unique_ptr<Mosquitto> broker;
};
World* g = nullptr;

class TlsMosquitto : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    g = new World;
    Pki pki = testing::cached_pki("mosquitto-v1", [](Pki& p) {
      CertFiles ca = p.ca("mos-test-ca", "ec");
      p.leaf("broker", ca, "ec", "DNS:localhost,IP:127.0.0.1");
      p.leaf("dev-ec", ca, "ec");
      p.leaf("dev-ec-sec1", ca, "ec", "", "sec1");
      p.leaf("dev-rsa", ca, "rsa", "", "pkcs1");
      p.leaf("dev-rsa8", ca, "rsa", "", "pkcs8");
      CertFiles rogue = p.ca("rogue-ca", "rsa");
      p.leaf("dev-rogue", rogue, "ec");
      p.leaf_dated("broker-expired", ca, "20200101000000Z", "20210101000000Z", "DNS:localhost");
      p.leaf_dated("broker-future", ca, "20900101000000Z", "20910101000000Z", "DNS:localhost");
    });
    g->ca = pki.files("mos-test-ca");
    g->server = pki.files("broker");
    g->client_ec = pki.files("dev-ec");
    g->client_ec_sec1 = pki.files("dev-ec-sec1");
    g->client_rsa = pki.files("dev-rsa");
    g->client_rsa_pkcs8 = pki.files("dev-rsa8");
    g->rogue_ca = pki.files("rogue-ca");
    g->rogue_client = pki.files("dev-rogue");
    g->expired = pki.files("broker-expired");
    g->future = pki.files("broker-future");
    g->broker = std::make_unique<Mosquitto>(g->dir.path(), g->ca, g->server);
    ASSERT_TRUE(g->broker->start()) << g->broker->log();
  }
  static void TearDownTestSuite() {
    delete g;
    g = nullptr;
  }

  // Everything one connection needs, with the buffer sizes under test.
  struct Client {
    Client(size_t in_size, size_t out_size) : in(new uint8_t[in_size]), out(new uint8_t[out_size]),
        tls(tcp, ByteSpan(in.get(), in_size), ByteSpan(out.get(), out_size)) {}
    net::TcpTransport tcp;
    std::unique_ptr<uint8_t[]> in, out;
    TrustAnchorStore<> anchors;
    ClientIdentityStore<> identity;
    SystemWallClock wall;
    TlsTransport tls;
    testing::Scratch scratch;
  };

  static std::unique_ptr<Client> make(const CertFiles* client, size_t in_size = BR_SSL_BUFSIZE_INPUT,
                                      size_t out_size = BR_SSL_BUFSIZE_OUTPUT, const std::string& ca = "",
                                      std::string_view suites = "", std::string_view server_name = "") {
    auto c = std::make_unique<Client>(in_size, out_size);
    EXPECT_EQ(c->anchors.add_pem(read_file(ca.empty() ? g->ca.cert : ca)), Status::kOk) << c->anchors.error();
    TlsConfig cfg;
    cfg.handshake_scratch = c->scratch.span();
    cfg.anchors = &c->anchors;
    cfg.wall_clock = &c->wall;
    cfg.cipher_suites = suites;
    cfg.server_name = server_name;
    if (client != nullptr) {
      EXPECT_EQ(c->identity.load_pem(read_file(client->cert), read_file(client->key)), Status::kOk)
          << c->identity.error();
      cfg.identity = &c->identity;
    }
    EXPECT_EQ(c->tls.configure(cfg), Status::kOk) << c->tls.last_error();
    return c;
  }

  static bool connect(Client& c, uint16_t port, std::string_view host = "localhost") {
    Status s = c.tls.connect(host, port);
    if (s != Status::kOk && s != Status::kWouldBlock) return false;
    return testing::run_handshake(c.tls, c.tcp);
  }
};

TEST_F(TlsMosquitto, EcClientFullBuffersConnectsAndGetsConnack) {
  auto c = make(&g->client_ec);
  ASSERT_TRUE(connect(*c, g->broker->port())) << c->tls.last_error();
  EXPECT_EQ(c->tls.max_fragment(), 16384u);
  EXPECT_EQ(testing::mqtt_connect(c->tls, c->tcp, "dev-ec"), 0);
  c->tls.close();
}

TEST_F(TlsMosquitto, EcSec1KeyWithMinimalHalfDuplexBufferUsesMaxFragmentLength) {
  // 837 bytes: one 512-byte fragment plus BearSSL's record overhead.
  auto c = make(&g->client_ec_sec1, input_buffer_size(512), 0);
  ASSERT_TRUE(connect(*c, g->broker->port())) << c->tls.last_error();
  EXPECT_EQ(c->tls.max_fragment(), 512u);
  EXPECT_EQ(testing::mqtt_connect(c->tls, c->tcp, "dev-ec-sec1"), 0);
  c->tls.close();
}

TEST_F(TlsMosquitto, RsaPkcs1ClientWith2KFragments) {
  auto c = make(&g->client_rsa, input_buffer_size(2048), output_buffer_size(2048));
  ASSERT_TRUE(connect(*c, g->broker->port())) << c->tls.last_error();
  EXPECT_EQ(c->tls.max_fragment(), 2048u);
  EXPECT_EQ(testing::mqtt_connect(c->tls, c->tcp, "dev-rsa"), 0);
}

TEST_F(TlsMosquitto, RsaPkcs8ClientWith1KHalfDuplex) {
  auto c = make(&g->client_rsa_pkcs8, input_buffer_size(1024), 0);
  ASSERT_TRUE(connect(*c, g->broker->port())) << c->tls.last_error();
  EXPECT_EQ(c->tls.max_fragment(), 1024u);
  EXPECT_EQ(testing::mqtt_connect(c->tls, c->tcp, "dev-rsa8"), 0);
}

TEST_F(TlsMosquitto, CipherSuiteListIsHonoured) {
  {
    auto c = make(&g->client_ec, BR_SSL_BUFSIZE_INPUT, BR_SSL_BUFSIZE_OUTPUT, "", "ECDHE-ECDSA-CHACHA20-POLY1305");
    ASSERT_TRUE(connect(*c, g->broker->port())) << c->tls.last_error();
    EXPECT_EQ(c->tls.cipher_suite(), 0xCCA9);
  }
  {
    auto c = make(&g->client_ec, BR_SSL_BUFSIZE_INPUT, BR_SSL_BUFSIZE_OUTPUT, "",
                  "TLS-ECDHE-ECDSA-WITH-AES-256-GCM-SHA384:TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
    ASSERT_TRUE(connect(*c, g->broker->port())) << c->tls.last_error();
    EXPECT_EQ(c->tls.cipher_suite(), 0xC02C);
  }
  {
    // Only RSA-certificate suites: the broker's certificate is EC, no overlap.
    auto c = make(&g->client_ec, BR_SSL_BUFSIZE_INPUT, BR_SSL_BUFSIZE_OUTPUT, "", "ECDHE-RSA-AES128-GCM-SHA256");
    EXPECT_FALSE(connect(*c, g->broker->port()));
    EXPECT_NE(std::string(c->tls.last_error()).find("alert 40 (handshake_failure)"), std::string::npos)
        << c->tls.last_error();
  }
}

TEST_F(TlsMosquitto, WrongCaOnDevice) {
  auto c = make(&g->client_ec, BR_SSL_BUFSIZE_INPUT, BR_SSL_BUFSIZE_OUTPUT, g->rogue_ca.cert);
  EXPECT_FALSE(connect(*c, g->broker->port()));
  EXPECT_EQ(c->tls.bearssl_error(), BR_ERR_X509_NOT_TRUSTED);
  EXPECT_NE(std::string(c->tls.last_error()).find("server certificate of localhost is not signed by any CA in "
                                                  "mqtt.ssl_ca_cert"),
            std::string::npos)
      << c->tls.last_error();
}

TEST_F(TlsMosquitto, ClientCertificateNotTrustedByBroker) {
  auto c = make(&g->rogue_client, input_buffer_size(1024), 0);
  EXPECT_FALSE(connect(*c, g->broker->port()));
  EXPECT_NE(std::string(c->tls.last_error()).find("rejected the client certificate: TLS alert 48 (unknown_ca)"),
            std::string::npos)
      << c->tls.last_error();
}

TEST_F(TlsMosquitto, NoClientCertificate) {
  auto c = make(nullptr);
  EXPECT_FALSE(connect(*c, g->broker->port()));
  EXPECT_NE(std::string(c->tls.last_error()).find("client certificate"), std::string::npos) << c->tls.last_error();
}

TEST_F(TlsMosquitto, HostnameMismatch) {
  auto c = make(&g->client_ec, BR_SSL_BUFSIZE_INPUT, BR_SSL_BUFSIZE_OUTPUT, "", "", "broker.example.com");
  EXPECT_FALSE(connect(*c, g->broker->port(), "127.0.0.1"));
  EXPECT_EQ(c->tls.bearssl_error(), BR_ERR_X509_BAD_SERVER_NAME);
  EXPECT_NE(std::string(c->tls.last_error()).find("does not match host name 'broker.example.com'"),
            std::string::npos)
      << c->tls.last_error();
}

TEST_F(TlsMosquitto, ExpiredAndNotYetValidServerCertificates) {
  for (const CertFiles* cert : {&g->expired, &g->future}) {
    TempDir d;
    Mosquitto broker(d.path(), g->ca, *cert);
    ASSERT_TRUE(broker.start()) << broker.log();
    auto c = make(&g->client_ec);
    EXPECT_FALSE(connect(*c, broker.port()));
    EXPECT_EQ(c->tls.bearssl_error(), BR_ERR_X509_EXPIRED);
    EXPECT_NE(std::string(c->tls.last_error()).find("expired or not yet valid"), std::string::npos)
        << c->tls.last_error();
  }
}

TEST_F(TlsMosquitto, ValidityUsesTheInjectedClock) {
  // The broker's certificate is valid for 30 days from today.
  auto c = make(&g->client_ec);
  c->wall.offset_ = 60LL * 86400;
  EXPECT_FALSE(connect(*c, g->broker->port()));
  EXPECT_EQ(c->tls.bearssl_error(), BR_ERR_X509_EXPIRED) << c->tls.last_error();
  c->wall.offset_ = 0;
  EXPECT_TRUE(connect(*c, g->broker->port())) << c->tls.last_error();
}

TEST_F(TlsMosquitto, ConnectionRefused) {
  auto c = make(&g->client_ec);
  uint16_t port = testing::free_port();  // nothing listens there
  EXPECT_FALSE(connect(*c, port));
  EXPECT_NE(std::string(c->tls.last_error()).find("connection refused"), std::string::npos) << c->tls.last_error();
}

TEST_F(TlsMosquitto, ReconnectsWithTheSameObjects) {
  auto c = make(&g->client_ec, input_buffer_size(512), 0);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(connect(*c, g->broker->port())) << i << ": " << c->tls.last_error();
    EXPECT_EQ(testing::mqtt_connect(c->tls, c->tcp, "dev-ec-again"), 0);
    c->tls.close();
    EXPECT_FALSE(c->tls.connected());
  }
}

}  // namespace
}  // namespace mos::tls

// Hermetic tests of mos_tls: PEM decoding into caller storage, the cipher
// list, error lines, and the engine pump over a scripted fake transport.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "in_memory_server.h"
#include "tls_test_util.h"

namespace mos::tls {
namespace {

using testing::read_file;

const char* kCaDir = MOS_TESTDATA_CA_DIR;

std::string amazon_bundle() {
  return read_file(std::string(kCaDir) + "AmazonRootCA1.pem") + read_file(std::string(kCaDir) + "AmazonRootCA3.pem") +
         read_file(std::string(kCaDir) + "StarfieldServicesRootG2.pem") +
         read_file(std::string(kCaDir) + "VeriSignClass3PublicPrimaryG5.pem");
}

TEST(CipherSuites, AcceptsOpensslRfcMbedtlsAndBearsslNames) {
  uint16_t ids[8];
  char err[200] = "";
  int n = parse_cipher_suites(
      "ECDHE-ECDSA-AES128-GCM-SHA256:TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, "
      "TLS-ECDHE-ECDSA-WITH-CHACHA20-POLY1305-SHA256 BR_TLS_RSA_WITH_AES_128_CBC_SHA\n"
      "ecdhe-ecdsa-aes128-gcm-sha256",
      Span<uint16_t>(ids, 8), err, sizeof(err));
  ASSERT_EQ(n, 4) << err;  // the lower-case repeat is a duplicate
  EXPECT_EQ(ids[0], 0xC02B);
  EXPECT_EQ(ids[1], 0xC030);
  EXPECT_EQ(ids[2], 0xCCA9);
  EXPECT_EQ(ids[3], 0x002F);
  EXPECT_STREQ(cipher_suite_name(0xCCA9), "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256");
}

TEST(CipherSuites, EmptyMeansDefaultsAndUnknownNamesAreReported) {
  uint16_t ids[2];
  char err[200] = "";
  EXPECT_EQ(parse_cipher_suites("", Span<uint16_t>(ids, 2), err, sizeof(err)), 0);
  EXPECT_EQ(parse_cipher_suites(" : ,", Span<uint16_t>(ids, 2), err, sizeof(err)), 0);
  EXPECT_LT(parse_cipher_suites("ECDHE-ECDSA-AES128-GCM-SHA256:RC4-MD5", Span<uint16_t>(ids, 2), err, sizeof(err)),
            0);
  EXPECT_NE(std::string(err).find("unknown or unsupported cipher suite 'RC4-MD5'"), std::string::npos) << err;
  EXPECT_LT(parse_cipher_suites("AES128-SHA AES256-SHA DES-CBC3-SHA", Span<uint16_t>(ids, 2), err, sizeof(err)), 0);
  EXPECT_NE(std::string(err).find("more than 2"), std::string::npos) << err;
}

TEST(TrustAnchors, DecodesTheAwsBundleIntoCallerStorage) {
  TrustAnchorStore<4, 4096> ta;
  ASSERT_EQ(ta.add_pem(amazon_bundle()), Status::kOk) << ta.error();
  ASSERT_EQ(ta.size(), 4u);
  // AmazonRootCA1 is RSA-2048, AmazonRootCA3 is EC P-256.
  EXPECT_EQ(ta.data()[0].pkey.key_type, BR_KEYTYPE_RSA);
  EXPECT_EQ(ta.data()[0].pkey.key.rsa.nlen, 256u);
  EXPECT_EQ(ta.data()[1].pkey.key_type, BR_KEYTYPE_EC);
  EXPECT_EQ(ta.data()[1].pkey.key.ec.curve, BR_EC_secp256r1);
  EXPECT_EQ(ta.data()[1].pkey.key.ec.qlen, 65u);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(ta.data()[i].flags, static_cast<unsigned>(BR_X509_TA_CA));
  // The subject DN of AmazonRootCA1 ends with CN=Amazon Root CA 1.
  std::string dn(reinterpret_cast<const char*>(ta.data()[0].dn.data), ta.data()[0].dn.len);
  EXPECT_NE(dn.find("Amazon Root CA 1"), std::string::npos);
  EXPECT_LT(ta.bytes_used(), 4096u);
}

TEST(TrustAnchors, LastLineWithoutNewlineAndOtherObjectsAreFine) {
  std::string pem = read_file(std::string(kCaDir) + "AmazonRootCA3.pem");
  while (!pem.empty() && (pem.back() == '\n' || pem.back() == '\r')) pem.pop_back();
  pem = "some comment\n-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n" + pem;
  TrustAnchorStore<2, 1024> ta;
  ASSERT_EQ(ta.add_pem(pem), Status::kOk) << ta.error();
  EXPECT_EQ(ta.size(), 1u);
}

TEST(TrustAnchors, RejectsGarbageWithoutChangingWhatWasLoaded) {
  TrustAnchorStore<4, 4096> ta;
  ASSERT_EQ(ta.add_pem(read_file(std::string(kCaDir) + "AmazonRootCA3.pem")), Status::kOk);
  size_t used = ta.bytes_used();
  EXPECT_EQ(ta.add_pem("not a certificate"), Status::kMalformed);
  EXPECT_NE(std::string(ta.error()).find("no -----BEGIN CERTIFICATE"), std::string::npos) << ta.error();
  EXPECT_EQ(ta.add_pem("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"), Status::kMalformed);
  EXPECT_EQ(ta.add_pem("-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n"), Status::kMalformed);
  EXPECT_EQ(ta.add_pem("-----BEGIN CERTIFICATE-----\nMIIB\n"), Status::kMalformed);
  EXPECT_EQ(ta.size(), 1u);
  EXPECT_EQ(ta.bytes_used(), used);
}

TEST(TrustAnchors, ReportsWhenStorageIsTooSmall) {
  TrustAnchorStore<4, 300> small_bytes;
  EXPECT_EQ(small_bytes.add_pem(amazon_bundle()), Status::kNoSpace);
  EXPECT_NE(std::string(small_bytes.error()).find("raise MOS_TLS_MAX_ANCHORS or MOS_TLS_ANCHOR_BYTES"),
            std::string::npos);
  EXPECT_EQ(small_bytes.size(), 0u);
  TrustAnchorStore<2, 8192> few_slots;
  EXPECT_EQ(few_slots.add_pem(amazon_bundle()), Status::kNoSpace);
  EXPECT_EQ(few_slots.size(), 0u);
}

// Keys and certificates in every supported encoding, made once by openssl.
class Identity : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    testing::Pki pki = testing::cached_pki("unit-v1", [](testing::Pki& p) {
      testing::CertFiles ca = p.ca("ca", "ec");
      p.leaf("ec8", ca, "ec", "", "pkcs8");
      p.leaf("ec1", ca, "ec", "", "sec1");
      p.leaf("rsa1", ca, "rsa", "", "pkcs1");
      p.leaf("rsa8", ca, "rsa", "", "pkcs8");
      p.leaf("server", ca, "ec", "DNS:localhost");
    });
    ca_ = new testing::CertFiles(pki.files("ca"));
    ec8_ = new testing::CertFiles(pki.files("ec8"));
    ec1_ = new testing::CertFiles(pki.files("ec1"));
    rsa1_ = new testing::CertFiles(pki.files("rsa1"));
    rsa8_ = new testing::CertFiles(pki.files("rsa8"));
    server_ = new testing::CertFiles(pki.files("server"));
  }
  static void TearDownTestSuite() {
    delete ca_;
    delete ec8_;
    delete ec1_;
    delete rsa1_;
    delete rsa8_;
    delete server_;
  }
  static testing::CertFiles *ca_, *ec8_, *ec1_, *rsa1_, *rsa8_, *server_;
};
testing::CertFiles *Identity::ca_, *Identity::ec8_, *Identity::ec1_, *Identity::rsa1_, *Identity::rsa8_,
    *Identity::server_;

TEST_F(Identity, EcKeysInSec1AndPkcs8) {
  for (const testing::CertFiles* f : {ec8_, ec1_}) {
    std::string key = read_file(f->key);
    ASSERT_NE(key.find(f == ec8_ ? "BEGIN PRIVATE KEY" : "BEGIN EC PRIVATE KEY"), std::string::npos);
    ClientIdentityStore<> id;
    ASSERT_EQ(id.load_pem(read_file(f->cert) + read_file(ca_->cert), key), Status::kOk) << id.error();
    EXPECT_EQ(id.key_type(), BR_KEYTYPE_EC);
    EXPECT_EQ(id.ec_key().curve, BR_EC_secp256r1);
    EXPECT_EQ(id.ec_key().xlen, 32u);
    EXPECT_EQ(id.chain_len(), 2u);
    EXPECT_EQ(id.issuer_key_type(), static_cast<unsigned>(BR_KEYTYPE_EC));
    // The chain is kept as DER: a SEQUENCE with a two-byte length.
    EXPECT_EQ(id.chain()[0].data[0], 0x30);
    EXPECT_EQ(id.chain()[0].data[1], 0x82);
    EXPECT_EQ(id.chain()[0].data_len, 4u + ((size_t{id.chain()[0].data[2]} << 8) | id.chain()[0].data[3]));
  }
}

TEST_F(Identity, RsaKeysInPkcs1AndPkcs8) {
  for (const testing::CertFiles* f : {rsa1_, rsa8_}) {
    std::string key = read_file(f->key);
    ASSERT_NE(key.find(f == rsa1_ ? "BEGIN RSA PRIVATE KEY" : "BEGIN PRIVATE KEY"), std::string::npos);
    ClientIdentityStore<> id;
    ASSERT_EQ(id.load_pem(read_file(f->cert), key), Status::kOk) << id.error();
    EXPECT_EQ(id.key_type(), BR_KEYTYPE_RSA);
    EXPECT_EQ(id.rsa_key().n_bitlen, 2048u);
    EXPECT_EQ(id.rsa_key().plen, 128u);
    EXPECT_EQ(id.chain_len(), 1u);
  }
}

TEST_F(Identity, MismatchedPairAndBadInputs) {
  ClientIdentityStore<> id;
  EXPECT_EQ(id.load_pem(read_file(ec8_->cert), read_file(rsa1_->key)), Status::kInvalidArg);
  EXPECT_NE(std::string(id.error()).find("mqtt.ssl_key is an RSA key but mqtt.ssl_cert holds an EC key"),
            std::string::npos)
      << id.error();
  EXPECT_FALSE(id.loaded());
  EXPECT_EQ(id.load_pem(read_file(ec8_->cert), ""), Status::kMalformed);
  EXPECT_NE(std::string(id.error()).find("mqtt.ssl_key: no EC PRIVATE KEY"), std::string::npos) << id.error();
  EXPECT_EQ(id.load_pem(read_file(ec8_->key), read_file(ec8_->key)), Status::kMalformed);
  EXPECT_EQ(id.load_pem(read_file(ec8_->cert),
                        "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----\n"),
            Status::kMalformed);
  ClientIdentityStore<600> tiny;
  EXPECT_EQ(tiny.load_pem(read_file(rsa1_->cert), read_file(rsa1_->key)), Status::kNoSpace);
  EXPECT_NE(std::string(tiny.error()).find("MOS_TLS_IDENTITY_BYTES"), std::string::npos) << tiny.error();
}

// A lower transport whose peer is a script: it records what the TLS engine
// sends and answers with canned bytes.
class ScriptedTransport : public Transport {
 public:
  Status connect(std::string_view, uint16_t) override {
    if (refuse) {
      return Status::kIoError;
    }
    open = true;
    return Status::kWouldBlock;
  }
  int32_t write(ConstByteSpan d) override {
    if (fail_writes) open = false;  // like a TCP transport after a reset...
    if (!open) return kError;
    sent.insert(sent.end(), d.begin(), d.end());
    return static_cast<int32_t>(d.size());
  }
  int32_t read(ByteSpan out) override {
    // ...which still hands out what arrived before the reset (device/net).
    if (!open && (!fail_writes || reply.empty())) return kError;
    if (reply.empty()) return eof ? kClosed : kWouldBlock;
    size_t n = std::min(out.size(), reply.size());
    std::memcpy(out.data(), reply.data(), n);
    reply.erase(reply.begin(), reply.begin() + static_cast<long>(n));
    return static_cast<int32_t>(n);
  }
  void close() override { open = false; }
  bool connected() const override { return open; }
  const char* last_error() const override { return refuse ? "TCP connect to x:1 failed: connection refused" : ""; }

  bool refuse = false, open = false, eof = false, fail_writes = false;
  std::vector<uint8_t> sent, reply;
};

class Pump : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(anchors.add_pem(read_file(std::string(kCaDir) + "AmazonRootCA3.pem")), Status::kOk);
    cfg.anchors = &anchors;
    cfg.handshake_scratch = scratch.span();
  }
  TrustAnchorStore<> anchors;
  testing::Scratch scratch;
  TlsConfig cfg;
  ScriptedTransport lower;
  uint8_t buf[input_buffer_size(512)];
};

TEST_F(Pump, SendsAClientHelloWithSniAndMaxFragmentLength) {
  TlsTransport tls(lower, ByteSpan(buf, sizeof(buf)));
  ASSERT_EQ(tls.configure(cfg), Status::kOk) << tls.last_error();
  EXPECT_EQ(tls.connect("broker.example.com", 8883), Status::kWouldBlock);
  EXPECT_FALSE(tls.connected());
  ASSERT_GT(lower.sent.size(), 9u);
  EXPECT_EQ(lower.sent[0], 22);  // handshake record (RFC 5246 §6.2.1)
  EXPECT_EQ(lower.sent[5], 1);   // ClientHello (§7.4.1.2)
  std::string hello(lower.sent.begin(), lower.sent.end());
  EXPECT_NE(hello.find("broker.example.com"), std::string::npos);
  // max_fragment_length (RFC 6066 §4): type 1, length 1, value 1 = 2^9.
  const uint8_t mfl[] = {0x00, 0x01, 0x00, 0x01, 0x01};
  EXPECT_NE(std::search(lower.sent.begin(), lower.sent.end(), mfl, mfl + 5), lower.sent.end());
  EXPECT_EQ(tls.write(as_bytes("early")), Transport::kWouldBlock);
  EXPECT_TRUE(tls.wants_read());
}

TEST_F(Pump, FullBufferSendsNoMaxFragmentLength) {
  static uint8_t big[BR_SSL_BUFSIZE_BIDI];
  TlsTransport tls(lower, ByteSpan(big, BR_SSL_BUFSIZE_INPUT), ByteSpan(big + BR_SSL_BUFSIZE_INPUT, BR_SSL_BUFSIZE_OUTPUT));
  ASSERT_EQ(tls.configure(cfg), Status::kOk);
  EXPECT_EQ(tls.connect("h", 1), Status::kWouldBlock);
  const uint8_t mfl[] = {0x00, 0x01, 0x00, 0x01};
  EXPECT_EQ(std::search(lower.sent.begin(), lower.sent.end(), mfl, mfl + 4), lower.sent.end());
}

// The max_fragment_length value in a ClientHello record (RFC 6066 §4: 1..4
// for 2^9..2^12), or 0 when the extension is absent. Walks the message
// (RFC 5246 §7.4.1.2) rather than searching bytes: the random could match.
int mfl_code(const std::vector<uint8_t>& rec) {
  size_t p = 5 + 4 + 2 + 32;  // record header, handshake header, version, random
  auto u8 = [&](size_t at) { return at < rec.size() ? rec[at] : 0u; };
  auto u16 = [&](size_t at) { return (u8(at) << 8) | u8(at + 1); };
  p += 1 + u8(p);          // session id
  p += 2 + u16(p);         // cipher suites
  p += 1 + u8(p);          // compression methods
  size_t end = p + 2 + u16(p);
  for (p += 2; p + 4 <= end && p + 4 <= rec.size(); p += 4 + u16(p + 2)) {
    if (u16(p) == 1) return static_cast<int>(u8(p + 4));
  }
  return 0;
}

TEST_F(Pump, ClientHelloAsksForWhatRequestedFragmentSays) {
  // Buffers from the smallest to full records, both duplex modes: the
  // ClientHello carries exactly requested_fragment(), which mirrors BearSSL's
  // rule below full records (a check that it still does, should BearSSL change).
  static uint8_t in[BR_SSL_BUFSIZE_INPUT + 100], out[BR_SSL_BUFSIZE_OUTPUT];
  const size_t ins[] = {input_buffer_size(512), input_buffer_size(1024) - 1, input_buffer_size(1024),
                        input_buffer_size(3000), input_buffer_size(4096), input_buffer_size(8192),
                        BR_SSL_BUFSIZE_INPUT - 1, BR_SSL_BUFSIZE_INPUT, sizeof(in)};
  const size_t outs[] = {0, output_buffer_size(512), output_buffer_size(2048), output_buffer_size(4096),
                         BR_SSL_BUFSIZE_OUTPUT};
  for (size_t i : ins) {
    for (size_t o : outs) {
      ScriptedTransport t;
      TlsTransport tls(t, ByteSpan(in, i), ByteSpan(o == 0 ? nullptr : out, o));
      ASSERT_EQ(tls.configure(cfg), Status::kOk) << tls.last_error();
      ASSERT_EQ(tls.connect("h", 1), Status::kWouldBlock);
      size_t want = requested_fragment(i, o);
      int code = mfl_code(t.sent);
      EXPECT_EQ(code == 0 ? kFullRecord : size_t{1} << (code + 8), want) << "in " << i << " out " << o;
      EXPECT_EQ(tls.max_fragment(), want);
    }
  }
  EXPECT_EQ(requested_fragment(input_buffer_size(16384), output_buffer_size(2048)), kFullRecord);
  EXPECT_EQ(requested_fragment(input_buffer_size(4096), output_buffer_size(2048)), 2048u);
  EXPECT_EQ(requested_fragment(input_buffer_size(8192), 0), 4096u);  // 2^13 is no RFC 6066 value
  EXPECT_EQ(input_record_limit(input_buffer_size(3000)), 3000u);
  EXPECT_EQ(input_record_limit(sizeof(in)), 16384u);
}

TEST_F(Pump, AlertFromTheServerIsReported) {
  TlsTransport tls(lower, ByteSpan(buf, sizeof(buf)));
  ASSERT_EQ(tls.configure(cfg), Status::kOk);
  ASSERT_EQ(tls.connect("broker.example.com", 8883), Status::kWouldBlock);
  lower.reply = {21, 3, 3, 0, 2, 2, 40};  // fatal handshake_failure
  EXPECT_FALSE(tls.pump());
  EXPECT_EQ(tls.bearssl_error(), BR_ERR_RECV_FATAL_ALERT + 40);
}

TEST_F(Pump, PlaintextAlertBeforeAFailedWriteIsReported) {
  // The server already answered with an alert and reset the connection
  // while our flight is still going out: the write fails, the alert says why.
  lower.reply = {21, 3, 3, 0, 2, 2, 40};
  lower.fail_writes = true;
  TlsTransport tls(lower, ByteSpan(buf, sizeof(buf)));
  ASSERT_EQ(tls.configure(cfg), Status::kOk);
  EXPECT_EQ(tls.connect("broker.example.com", 8883), Status::kIoError);
  EXPECT_EQ(tls.bearssl_error(), BR_ERR_RECV_FATAL_ALERT + 40);
  EXPECT_NE(std::string(tls.last_error()).find("TLS alert 40 (handshake_failure)"), std::string::npos)
      << tls.last_error();
}

TEST_F(Pump, PeerClosingDuringHandshake) {
  TlsTransport tls(lower, ByteSpan(buf, sizeof(buf)));
  ASSERT_EQ(tls.configure(cfg), Status::kOk);
  ASSERT_EQ(tls.connect("broker.example.com", 8883), Status::kWouldBlock);
  lower.eof = true;
  EXPECT_FALSE(tls.pump());
  EXPECT_NE(std::string(tls.last_error()).find("closed the connection during the TLS handshake"), std::string::npos)
      << tls.last_error();
}

TEST_F(Pump, ConnectFailureOfTheLowerTransportIsPassedOn) {
  lower.refuse = true;
  TlsTransport tls(lower, ByteSpan(buf, sizeof(buf)));
  ASSERT_EQ(tls.configure(cfg), Status::kOk);
  EXPECT_EQ(tls.connect("x", 1), Status::kIoError);
  EXPECT_NE(std::string(tls.last_error()).find("connection refused"), std::string::npos);
}

TEST_F(Pump, ConfigureRejectsBadSettings) {
  TlsTransport tls(lower, ByteSpan(buf, sizeof(buf) - 1));
  EXPECT_EQ(tls.configure(cfg), Status::kInvalidArg);
  EXPECT_NE(std::string(tls.last_error()).find("TLS buffer too small: need at least 837"), std::string::npos);
  TlsTransport ok_size(lower, ByteSpan(buf, sizeof(buf)));
  TlsConfig no_ca;
  EXPECT_EQ(ok_size.configure(no_ca), Status::kInvalidArg);
  EXPECT_NE(std::string(ok_size.last_error()).find("set mqtt.ssl_ca_cert"), std::string::npos);
  TlsConfig bad_suite = cfg;
  bad_suite.cipher_suites = "NOPE";
  EXPECT_EQ(ok_size.configure(bad_suite), Status::kInvalidArg);
  EXPECT_NE(std::string(ok_size.last_error()).find("'NOPE'"), std::string::npos);
  EXPECT_EQ(ok_size.connect("x", 1), Status::kInvalidArg);
  // The X.509 context has to live somewhere: a scratch too small, misaligned
  // or missing is refused with the size to provide.
  for (ByteSpan bad : {ByteSpan(), ByteSpan(scratch.bytes, sizeof(scratch.bytes) - 1),
                       ByteSpan(scratch.bytes + 1, sizeof(scratch.bytes) - 1)}) {
    TlsConfig no_scratch = cfg;
    no_scratch.handshake_scratch = bad;
    EXPECT_EQ(ok_size.configure(no_scratch), Status::kInvalidArg);
    EXPECT_NE(std::string(ok_size.last_error()).find("handshake scratch missing or too small: need " +
                                                     std::to_string(kHandshakeScratchSize)),
              std::string::npos)
        << ok_size.last_error();
    EXPECT_FALSE(ok_size.scratch_borrowed());
  }
  EXPECT_EQ(ok_size.configure(cfg), Status::kOk);
  EXPECT_FALSE(ok_size.scratch_borrowed());  // configure() lends it back on return
}

// The in-memory BearSSL server (in_memory_server.h): a full handshake and
// application data with no sockets.
class InMemory : public Identity {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server.start(*server_));
    ASSERT_EQ(anchors.add_pem(read_file(ca_->cert)), Status::kOk);
    cfg.anchors = &anchors;
    cfg.wall_clock = &wall;
    cfg.handshake_scratch = scratch.span();
  }

  void serve() { server.serve(); }

  bool handshake(TlsTransport& tls) {
    if (tls.connect("localhost", 8883) == Status::kIoError) return false;
    for (int i = 0; i < 100 && !tls.connected(); ++i) {
      serve();
      if (!tls.pump()) return false;
    }
    return tls.connected();
  }

  // Sends n bytes (0, 1, 2, ...); returns the largest record payload used.
  size_t server_send(size_t n) {
    std::vector<uint8_t> data(n);
    for (size_t i = 0; i < n; ++i) data[i] = static_cast<uint8_t>(i);
    return server.send(ConstByteSpan(data.data(), n));
  }

  // Reads until `n` bytes arrived or the connection failed; returns what came.
  std::vector<uint8_t> client_read(TlsTransport& tls, size_t n) {
    std::vector<uint8_t> all;
    uint8_t chunk[700];
    for (int i = 0; i < 200 && all.size() < n; ++i) {
      int32_t got = tls.read(ByteSpan(chunk, sizeof(chunk)));
      if (got < 0) break;
      all.insert(all.end(), chunk, chunk + got);
      serve();
    }
    return all;
  }

  testing::InMemoryServer server;
  Transport& pipe = server.client_side();
  br_ssl_server_context& sc = server.sc;
  TrustAnchorStore<> anchors;
  testing::SystemWallClock wall;
  testing::Scratch scratch;
  TlsConfig cfg;
};

TEST_F(InMemory, HandshakeAndApplicationDataBothWays) {
  uint8_t in[input_buffer_size(1024)], out[output_buffer_size(1024)];
  TlsTransport tls(pipe, ByteSpan(in, sizeof(in)), ByteSpan(out, sizeof(out)));
  ASSERT_EQ(tls.configure(cfg), Status::kOk);
  ASSERT_TRUE(handshake(tls)) << tls.last_error();
  EXPECT_EQ(tls.max_fragment(), 1024u);
  EXPECT_EQ(tls.write(as_bytes("ping")), 4);
  serve();
  size_t len = 0;
  unsigned char* got = br_ssl_engine_recvapp_buf(&sc.eng, &len);
  ASSERT_EQ(len, 4u);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(got), 4), "ping");
  br_ssl_engine_recvapp_ack(&sc.eng, 4);
  // 3000 bytes arrive as three records of at most 1024.
  EXPECT_EQ(server_send(3000), 1024u);
  std::vector<uint8_t> all;
  uint8_t chunk[700];
  for (int i = 0; i < 20 && all.size() < 3000; ++i) {
    int32_t n = tls.read(ByteSpan(chunk, sizeof(chunk)));
    ASSERT_GE(n, 0) << tls.last_error();
    all.insert(all.end(), chunk, chunk + n);
    serve();
  }
  ASSERT_EQ(all.size(), 3000u);
  for (size_t i = 0; i < all.size(); ++i) ASSERT_EQ(all[i], static_cast<uint8_t>(i));
  // close_notify reaches the server.
  tls.close();
  serve();
  EXPECT_EQ(br_ssl_engine_current_state(&sc.eng), static_cast<unsigned>(BR_SSL_CLOSED));
}

TEST_F(InMemory, HandshakeScratchIsLentOnlyDuringTheHandshake) {
  uint8_t in[input_buffer_size(512)];
  TlsTransport tls(pipe, ByteSpan(in, sizeof(in)));
  ASSERT_EQ(tls.configure(cfg), Status::kOk);
  for (int round = 0; round < 2; ++round) {  // a reconnect borrows it again
    std::memset(scratch.bytes, 0, sizeof(scratch.bytes));
    ASSERT_EQ(tls.connect("localhost", 8883), Status::kWouldBlock);
    EXPECT_TRUE(tls.scratch_borrowed());
    for (int i = 0; i < 100 && !tls.connected(); ++i) {
      serve();
      ASSERT_TRUE(tls.pump()) << tls.last_error();
    }
    ASSERT_TRUE(tls.connected());
    EXPECT_FALSE(tls.scratch_borrowed());
    // The chain was validated in the scratch...
    size_t touched = 0;
    for (uint8_t b : scratch.bytes) touched += b != 0;
    EXPECT_GT(touched, 100u);
    // ...and nothing reads or writes it once connected: the application's
    // data there survives traffic both ways and a garbage context does not
    // disturb the connection.
    std::memset(scratch.bytes, 0xC3, sizeof(scratch.bytes));
    EXPECT_EQ(tls.write(as_bytes("ping")), 4);
    serve();
    size_t len = 0;
    unsigned char* got = br_ssl_engine_recvapp_buf(&sc.eng, &len);
    ASSERT_EQ(len, 4u);
    br_ssl_engine_recvapp_ack(&sc.eng, len);
    EXPECT_EQ(got[0], 'p');
    server_send(2000);
    size_t total = 0;
    uint8_t chunk[300];
    for (int i = 0; i < 40 && total < 2000; ++i) {
      int32_t n = tls.read(ByteSpan(chunk, sizeof(chunk)));
      ASSERT_GE(n, 0) << tls.last_error();
      total += static_cast<size_t>(n);
      serve();
    }
    EXPECT_EQ(total, 2000u);
    for (size_t i = 0; i < sizeof(scratch.bytes); ++i) ASSERT_EQ(scratch.bytes[i], 0xC3) << "written at " << i;
    tls.close();
    serve();
    server.reset();
  }
}

TEST_F(InMemory, FailedHandshakeReturnsTheScratch) {
  uint8_t in[input_buffer_size(512)];
  TlsTransport tls(pipe, ByteSpan(in, sizeof(in)));
  cfg.server_name = "other.example";
  ASSERT_EQ(tls.configure(cfg), Status::kOk);
  EXPECT_FALSE(handshake(tls));
  EXPECT_FALSE(tls.scratch_borrowed());
}

TEST_F(InMemory, ServerIgnoringMaxFragmentLengthGetsTheSizeToRaise) {
  uint8_t in[input_buffer_size(512)];
  TlsTransport tls(pipe, ByteSpan(in, sizeof(in)));
  ASSERT_EQ(tls.configure(cfg), Status::kOk);
  ASSERT_TRUE(handshake(tls)) << tls.last_error();
  EXPECT_EQ(tls.max_fragment(), 512u);
  server.ignore_max_fragment_length();
  ASSERT_GT(server_send(4000), 512u);
  // The first record may still be small; a larger one must fail cleanly.
  uint8_t chunk[64];
  int32_t n = 0;
  size_t got = 0;
  for (int i = 0; i < 100 && (n = tls.read(ByteSpan(chunk, sizeof(chunk)))) >= 0; ++i) got += static_cast<size_t>(n);
  EXPECT_EQ(n, Transport::kError);
  EXPECT_LE(got, 512u);
  EXPECT_EQ(tls.bearssl_error(), BR_ERR_TOO_LARGE);
  EXPECT_NE(std::string(tls.last_error()).find("larger than the 837-byte input buffer"), std::string::npos)
      << tls.last_error();
  EXPECT_NE(std::string(tls.last_error()).find("mos config-set mqtt.ssl_rx_buf_size=16384"), std::string::npos);
}

TEST_F(InMemory, FullInputBufferTakes16KRecordsWithA2KOutputBuffer) {
  // What a device talking to AWS IoT Core needs: a 16 KB input record buffer,
  // a small output one, and no max_fragment_length asked (the server sends
  // full records anyway). 16000 bytes arrive in one record.
  static uint8_t in[input_buffer_size(16384)];
  uint8_t out[output_buffer_size(2048)];
  TlsTransport tls(pipe, ByteSpan(in, sizeof(in)), ByteSpan(out, sizeof(out)));
  ASSERT_EQ(tls.configure(cfg), Status::kOk);
  ASSERT_TRUE(handshake(tls)) << tls.last_error();
  EXPECT_EQ(tls.max_fragment(), 16384u);
  EXPECT_EQ(tls.input_record_limit(), 16384u);
  EXPECT_EQ(server_send(16000), 16000u);
  std::vector<uint8_t> got = client_read(tls, 16000);
  ASSERT_EQ(got.size(), 16000u) << tls.last_error();
  for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], static_cast<uint8_t>(i));
  // Our own records stay within the output buffer: 5000 bytes go out in
  // records of at most 2048.
  std::string msg(5000, 'm');
  size_t sent = 0;
  for (int i = 0; i < 20 && sent < msg.size(); ++i) {
    int32_t n = tls.write(as_bytes(std::string_view(msg).substr(sent)));
    ASSERT_GE(n, 0) << tls.last_error();
    EXPECT_LE(n, 2048);
    sent += static_cast<size_t>(n);
    serve();
  }
  EXPECT_EQ(server.take_received(), msg);
}

TEST_F(InMemory, RenegotiationIsRefused) {
  uint8_t in[input_buffer_size(1024)];
  TlsTransport tls(pipe, ByteSpan(in, sizeof(in)));
  ASSERT_EQ(tls.configure(cfg), Status::kOk);
  ASSERT_TRUE(handshake(tls)) << tls.last_error();
  // The server sends HelloRequest (RFC 5246 §7.4.1.1); the client answers
  // with a no_renegotiation alert (100, RFC 5246 §7.2.2) instead of a new
  // handshake. BearSSL's server then gives up the connection.
  ASSERT_EQ(br_ssl_engine_renegotiate(&sc.eng), 1);
  serve();
  uint8_t chunk[16];
  EXPECT_EQ(tls.read(ByteSpan(chunk, sizeof(chunk))), Transport::kWouldBlock) << tls.last_error();
  serve();
  EXPECT_EQ(br_ssl_engine_last_error(&sc.eng), BR_ERR_RECV_FATAL_ALERT + 100);
}

TEST_F(InMemory, WrongHostNameAndUnknownTimeFailTheirOwnWay) {
  uint8_t in[input_buffer_size(512)];
  TlsTransport tls(pipe, ByteSpan(in, sizeof(in)));
  cfg.server_name = "other.example";
  ASSERT_EQ(tls.configure(cfg), Status::kOk);
  EXPECT_FALSE(handshake(tls));
  EXPECT_EQ(tls.bearssl_error(), BR_ERR_X509_BAD_SERVER_NAME) << tls.last_error();
}

TEST(Errors, EachCommonFailureHasAnActionableLine) {
  char out[256];
  EXPECT_NE(std::string(describe_error(BR_ERR_X509_NOT_TRUSTED, "h", true, 837, out, sizeof(out)))
                .find("not signed by any CA in mqtt.ssl_ca_cert"),
            std::string::npos);
  EXPECT_NE(std::string(describe_error(BR_ERR_X509_BAD_SERVER_NAME, "h", true, 837, out, sizeof(out)))
                .find("does not match host name 'h'"),
            std::string::npos);
  EXPECT_NE(std::string(describe_error(BR_ERR_X509_EXPIRED, "h", true, 837, out, sizeof(out)))
                .find("expired or not yet valid"),
            std::string::npos);
  EXPECT_NE(std::string(describe_error(BR_ERR_RECV_FATAL_ALERT + 42, "h", true, 837, out, sizeof(out)))
                .find("rejected the client certificate: TLS alert 42 (bad_certificate)"),
            std::string::npos);
  EXPECT_NE(std::string(describe_error(BR_ERR_RECV_FATAL_ALERT + 116, "h", false, 837, out, sizeof(out)))
                .find("requires a client certificate"),
            std::string::npos);
  // A tiny output buffer is still terminated.
  char small[8];
  describe_error(BR_ERR_TOO_LARGE, "host", true, 837, small, sizeof(small));
  EXPECT_EQ(std::strlen(small), 7u);
}

TEST(EpochClockTest, AddsMonotonicTimeToTheLearnedEpoch) {
  struct FakeClock : Clock {
    uint64_t now_ms() const override { return t; }
    uint64_t t = 5000;
  } clock;
  EpochClock wall(clock);
  EXPECT_LT(wall.unix_seconds(), 0);
  wall.set(1700000000, 5000);
  clock.t = 65500;
  EXPECT_EQ(wall.unix_seconds(), 1700000060);
}

}  // namespace
}  // namespace mos::tls

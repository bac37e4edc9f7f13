// The BearSSL engine pump: records move between the engine's buffers and the
// lower transport without copies; application bytes are copied once into and
// out of the engine (bearssl_ssl.h "I/O API").
#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "mos/assert.h"
#include "mos/log.h"
#include "mos/tls.h"

namespace mos::tls {
namespace {

// 1970-01-01 counted in days since January 1st, 0 AD (proleptic Gregorian),
// the epoch of br_x509_minimal_set_time().
constexpr uint32_t kUnixEpochBearsslDays = 719528;

// What the engine points at while the handshake scratch is not lent: an X.509
// "validator" that refuses every chain. With renegotiation refused it is never
// called; if it were, the connection would fail instead of touching memory the
// application owns again.
void refuse_start_chain(const br_x509_class**, const char*) {}
void refuse_start_cert(const br_x509_class**, uint32_t) {}
void refuse_append(const br_x509_class**, const unsigned char*, size_t) {}
void refuse_end_cert(const br_x509_class**) {}
unsigned refuse_end_chain(const br_x509_class**) { return BR_ERR_X509_NOT_TRUSTED; }
const br_x509_pkey* refuse_get_pkey(const br_x509_class* const*, unsigned*) { return nullptr; }
const br_x509_class kRefuseClass = {sizeof(const br_x509_class*), refuse_start_chain, refuse_start_cert,
                                    refuse_append, refuse_end_cert, refuse_end_chain, refuse_get_pkey};
const br_x509_class* g_refuse = &kRefuseClass;  // BearSSL wants a non-const pointer to it

}  // namespace

TlsTransport::TlsTransport(Transport& lower, ByteSpan in, ByteSpan out) : lower_(lower), in_(in), out_(out) {
  std::memset(&cc_, 0, sizeof(cc_));
}

void TlsTransport::borrow_scratch() {
  // configure() checked size and alignment; the context is plain C data.
  MOS_ASSERT(config_.handshake_scratch.size() >= kHandshakeScratchSize &&
             reinterpret_cast<uintptr_t>(config_.handshake_scratch.data()) % kHandshakeScratchAlign == 0);
  xc_ = reinterpret_cast<br_x509_minimal_context*>(config_.handshake_scratch.data());
  // Everything BearSSL implements (suites, hashes, PRF, ciphers, RSA/EC code,
  // an X.509 minimal context over the anchors); the suite list and the client
  // key narrow it in connect(). This also zeroes the engine, so nothing from
  // a previous connection survives.
  br_ssl_client_init_full(&cc_, xc_, config_.anchors->data(), config_.anchors->size());
}

void TlsTransport::release_scratch() {
  if (xc_ == nullptr) return;
  br_ssl_engine_set_x509(&cc_.eng, &g_refuse);
  xc_ = nullptr;
}

void TlsTransport::fail(const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(error_, sizeof(error_), fmt, args);
  va_end(args);
  state_ = State::kFailed;
  release_scratch();
}

Status TlsTransport::configure(const TlsConfig& config) {
  configured_ = false;
  config_ = config;
  if (config.anchors == nullptr || config.anchors->size() == 0) {
    fail("no CA certificates: set mqtt.ssl_ca_cert to the CA bundle that signed the server's certificate");
    return Status::kInvalidArg;
  }
  // BearSSL refuses fragments below 512 bytes (RFC 6066 §4 minimum).
  if (in_.size() < input_buffer_size(kMinFragment) ||
      (!out_.empty() && out_.size() < output_buffer_size(kMinFragment))) {
    fail("TLS buffer too small: need at least %zu bytes in and %zu out", input_buffer_size(kMinFragment),
         output_buffer_size(kMinFragment));
    return Status::kInvalidArg;
  }
  if (config.identity != nullptr && !config.identity->loaded()) {
    fail("client certificate not loaded: %s", config.identity->error());
    return Status::kInvalidArg;
  }
  ByteSpan scratch = config.handshake_scratch;
  if (scratch.size() < kHandshakeScratchSize ||
      reinterpret_cast<uintptr_t>(scratch.data()) % kHandshakeScratchAlign != 0) {
    fail("TLS handshake scratch missing or too small: need %zu bytes aligned to %zu (TlsConfig::handshake_scratch)",
         kHandshakeScratchSize, kHandshakeScratchAlign);
    return Status::kInvalidArg;
  }
  // Borrowed for this call only: the engine's suite list checks the names.
  borrow_scratch();
  uint16_t suites[MOS_TLS_MAX_SUITES];
  int n = parse_cipher_suites(config.cipher_suites, Span<uint16_t>(suites, MOS_TLS_MAX_SUITES), error_,
                              sizeof(error_));
  if (n < 0) {
    state_ = State::kFailed;
    release_scratch();
    return Status::kInvalidArg;
  }
  for (size_t i = 0; i < static_cast<size_t>(n); ++i) {
    bool known = false;
    for (size_t k = 0; k < cc_.eng.suites_num; ++k) known = known || cc_.eng.suites_buf[k] == suites[i];
    if (!known) {
      fail("mqtt.ssl_cipher_suites: %s is not implemented by this BearSSL", cipher_suite_name(suites[i]));
      return Status::kInvalidArg;
    }
  }
  release_scratch();
  configured_ = true;
  state_ = State::kIdle;
  error_[0] = '\0';
  return Status::kOk;
}

void TlsTransport::set_time() {
  if (config_.wall_clock == nullptr) return;  // BearSSL reads the OS clock if built with one
  int64_t t = config_.wall_clock->unix_seconds();
  if (t < 0) {
    // Leave days = seconds = 0: BearSSL then reports BR_ERR_X509_TIME_UNKNOWN
    // on a build without an OS clock; on the host it falls back to time().
    MOS_LOGW("TLS: wall-clock time unknown; certificate validity cannot be checked");
    return;
  }
  uint32_t days = static_cast<uint32_t>(t / 86400) + kUnixEpochBearsslDays;
  uint32_t secs = static_cast<uint32_t>(t % 86400);
  br_x509_minimal_set_time(xc_, days, secs);
}

Status TlsTransport::connect(std::string_view host, uint16_t port) {
  if (!configured_) {
    if (error_[0] == '\0') std::snprintf(error_, sizeof(error_), "TLS transport not configured");
    return Status::kInvalidArg;
  }
  std::string_view name = config_.server_name.empty() ? host : config_.server_name;
  if (name.size() > MOS_TLS_MAX_HOST) {
    fail("server name longer than %d characters", MOS_TLS_MAX_HOST);
    return Status::kInvalidArg;
  }
  // BearSSL copies the name into the engine (eng.server_name) at reset; the
  // messages below read it from there rather than keeping a second copy.
  char sni[MOS_TLS_MAX_HOST + 1];
  std::memcpy(sni, name.data(), name.size());
  sni[name.size()] = '\0';
  br_err_ = 0;
  error_[0] = '\0';

  // The scratch is lent from here to the end of the handshake; the engine is
  // rebuilt from zero, so re-apply every setting.
  borrow_scratch();
  if (out_.empty()) {
    br_ssl_engine_set_buffer(&cc_.eng, in_.data(), in_.size(), 0);
  } else {
    br_ssl_engine_set_buffers_bidi(&cc_.eng, in_.data(), in_.size(), out_.data(), out_.size());
  }
  if (in_.size() >= BR_SSL_BUFSIZE_INPUT) {
    // Every record the server may send fits (RFC 5246 §6.2.1), so ask for no
    // max_fragment_length: it would only limit a server that honours it, and
    // AWS IoT Core ignores it anyway. BearSSL has no switch for "full input,
    // small output": it derives the request from the smaller buffer. Its
    // ClientHello omits the extension when the engine's log_max_frag_len is
    // 14 (ssl_hs_client.t0, ext-frag-length), and it reads that field for
    // nothing else but checking the server's echo (read-server-frag; none
    // may come for an extension not sent). Our records out stay bound by
    // eng.max_frag_len and the output buffer (ssl_engine.c make_ready_out).
    cc_.eng.log_max_frag_len = 14;
  }
  // The suite list is parsed again rather than kept: configure() validated
  // it and the caller keeps the text (TlsConfig's views outlive connections).
  uint16_t suites[MOS_TLS_MAX_SUITES];
  int suite_count = parse_cipher_suites(config_.cipher_suites, Span<uint16_t>(suites, MOS_TLS_MAX_SUITES), error_,
                                        sizeof(error_));
  if (suite_count < 0) {  // the text changed under us since configure()
    state_ = State::kFailed;
    release_scratch();
    return Status::kInvalidArg;
  }
  if (suite_count > 0) br_ssl_engine_set_suites(&cc_.eng, suites, static_cast<size_t>(suite_count));
  // TLS 1.2 only: the contract (ARCHITECTURE.md "TLS") and what AWS IoT needs.
  br_ssl_engine_set_versions(&cc_.eng, BR_TLS12, BR_TLS12);
  // Refuse renegotiation (RFC 5746 is supported, but an MQTT broker has no
  // reason to renegotiate): the X.509 context then serves the initial
  // handshake only, and no second handshake can strike mid-session.
  br_ssl_engine_add_flags(&cc_.eng, BR_OPT_NO_RENEGOTIATION);
  const br_ec_impl* ec = config_.ec != nullptr ? config_.ec : br_ec_get_default();
  if (config_.ec != nullptr) {
    br_ssl_engine_set_ec(&cc_.eng, ec);
    br_x509_minimal_set_ecdsa(xc_, ec, br_ecdsa_vrfy_asn1_get_default());
  }
  const ClientIdentity* id = config_.identity;
  if (id != nullptr) {
    if (id->key_type() == BR_KEYTYPE_EC) {
      // ECDSA signing only: static ECDH (KEYX) suites are not used with a
      // client certificate in TLS 1.2 practice.
      br_ssl_client_set_single_ec(&cc_, id->chain(), id->chain_len(), &id->ec_key(), BR_KEYTYPE_SIGN,
                                  id->issuer_key_type(), ec, br_ecdsa_sign_asn1_get_default());
    } else {
      br_ssl_client_set_single_rsa(&cc_, id->chain(), id->chain_len(), &id->rsa_key(),
                                   br_rsa_pkcs1_sign_get_default());
    }
  }
  set_time();
  if (config_.random != nullptr) {
    uint32_t seed[8];
    for (uint32_t& w : seed) w = config_.random->next_u32();
    br_ssl_engine_inject_entropy(&cc_.eng, seed, sizeof(seed));
  }
  if (br_ssl_client_reset(&cc_, sni, 0) == 0) {
    br_err_ = br_ssl_engine_last_error(&cc_.eng);
    describe_error(br_err_, sni, id != nullptr, in_.size(), error_, sizeof(error_));
    state_ = State::kFailed;
    release_scratch();
    return Status::kIoError;
  }
  Status s = lower_.connect(host, port);
  if (s != Status::kOk && s != Status::kWouldBlock) {
    fail("%s", lower_.last_error()[0] != '\0' ? lower_.last_error() : to_string(s));
    return s;
  }
  state_ = State::kHandshake;
  // Send the ClientHello only: the server's flight is processed by the next
  // read()/write()/pump(). Certificate checks and ECDSA are the deepest
  // stack of the whole connection, and the caller's connect() path (e.g. the
  // MQTT session's begin_connect with its log line) is deeper than its
  // regular poll path, so keep them off it.
  pump_io(false);
  if (state_ == State::kFailed) return Status::kIoError;
  return state_ == State::kOpen ? Status::kOk : Status::kWouldBlock;
}

void TlsTransport::fail_engine() {
  br_err_ = br_ssl_engine_last_error(&cc_.eng);
  if (br_err_ == BR_ERR_OK) {
    // A clean close_notify from the peer.
    state_ = State::kClosed;
    std::snprintf(error_, sizeof(error_), "server %.80s closed the TLS connection", host());
    release_scratch();
    return;
  }
  describe_error(br_err_, host(), config_.identity != nullptr, in_.size(), error_, sizeof(error_));
  state_ = State::kFailed;
  release_scratch();
}

bool TlsTransport::pump_io(bool receive) {
  if (state_ != State::kHandshake && state_ != State::kOpen && state_ != State::kClosing) return false;
  br_ssl_engine_context* eng = &cc_.eng;
  for (;;) {
    unsigned st = br_ssl_engine_current_state(eng);
    if (st & BR_SSL_CLOSED) {
      fail_engine();
      lower_.close();
      return false;
    }
    if (state_ == State::kHandshake && (st & (BR_SSL_SENDAPP | BR_SSL_RECVAPP)) != 0) {
      // Both Finished messages are through (RFC 5246 §7.4.9): the server's
      // chain and key were used for the last time (ServerKeyExchange,
      // ClientKeyExchange), so the X.509 context goes back to the caller.
      release_scratch();
      state_ = State::kOpen;
      // cipher_suite() and the log line are kept out of this frame: it sits
      // under the handshake's deepest stack (ECDSA inside the engine).
      if (max_fragment() < kFullRecord) {
        MOS_LOGI("TLS: connected to %.80s, %s, max_fragment_length %zu", host(),
                 cipher_suite_name(cipher_suite()), max_fragment());
      } else {
        MOS_LOGI("TLS: connected to %.80s, %s, full %zu-byte records", host(), cipher_suite_name(cipher_suite()),
                 input_record_limit());
      }
    }
    bool progress = false;
    if (st & BR_SSL_SENDREC) {
      size_t len = 0;
      unsigned char* buf = br_ssl_engine_sendrec_buf(eng, &len);
      int32_t n = lower_.write(ConstByteSpan(buf, len));
      if (n > 0) {
        br_ssl_engine_sendrec_ack(eng, static_cast<size_t>(n));
        progress = true;
      } else if (n < 0) {
        const char* why = lower_.last_error();
        if (state_ == State::kHandshake && salvage_alert()) {
          // The server refused part of our flight and closed; its reason
          // arrived before the close.
        } else if (state_ == State::kHandshake || why[0] != '\0') {
          fail("%s", why[0] != '\0' ? why : "connection lost while sending");
        } else {
          fail("connection to %.80s lost while sending", host());
        }
        lower_.close();
        return false;
      }
    }
    if (!progress && receive && (st & BR_SSL_RECVREC)) {
      size_t len = 0;
      unsigned char* buf = br_ssl_engine_recvrec_buf(eng, &len);
      int32_t n = lower_.read(ByteSpan(buf, len));
      if (n > 0) {
        br_ssl_engine_recvrec_ack(eng, static_cast<size_t>(n));
        progress = true;
      } else if (n < 0) {
        const char* why = lower_.last_error();
        if (n == kClosed || why[0] == '\0') {
          fail(state_ == State::kHandshake
                   ? "server %.80s closed the connection during the TLS handshake (is it a TLS port? does it accept "
                     "this client certificate?)"
                   : "server %.80s closed the connection without a TLS close_notify",
               host());
        } else {
          fail("%s", why);
        }
        lower_.close();
        return false;
      }
    }
    if (!progress) return true;
  }
}

__attribute__((noinline)) bool TlsTransport::salvage_alert() {
  // Before the server's ChangeCipherSpec its alerts are plaintext records
  // (RFC 5246 §6.2.1, §7.2): type 21, version, length 2, level, description.
  // OpenSSL sends one and closes as soon as it rejects our Certificate, while
  // the rest of our flight is still being written; the write then fails.
  // The lower transport still hands out what arrived before the reset
  // (device/net's TcpTransport drains its socket after a failed send).
  uint8_t buf[64];
  size_t have = 0;
  for (int tries = 0; tries < 4 && have < sizeof(buf); ++tries) {
    int32_t n = lower_.read(ByteSpan(buf + have, sizeof(buf) - have));
    if (n <= 0) break;
    have += static_cast<size_t>(n);
  }
  size_t at = 0;
  while (have - at >= 5) {
    size_t len = (size_t{buf[at + 3]} << 8) | buf[at + 4];
    if (buf[at] == 21 && len == 2 && have - at >= 7) {
      br_err_ = BR_ERR_RECV_FATAL_ALERT + buf[at + 6];
      describe_error(br_err_, host(), config_.identity != nullptr, in_.size(), error_, sizeof(error_));
      state_ = State::kFailed;
      release_scratch();
      return true;
    }
    at += 5 + len;
  }
  return false;
}

bool TlsTransport::wants_write() const {
  return (state_ == State::kHandshake || state_ == State::kOpen || state_ == State::kClosing) &&
         (br_ssl_engine_current_state(&cc_.eng) & BR_SSL_SENDREC) != 0;
}

bool TlsTransport::wants_read() const {
  return (state_ == State::kHandshake || state_ == State::kOpen || state_ == State::kClosing) &&
         (br_ssl_engine_current_state(&cc_.eng) & BR_SSL_RECVREC) != 0;
}

int32_t TlsTransport::write(ConstByteSpan data) {
  if (!pump()) return state_ == State::kClosed ? kClosed : kError;
  if (state_ != State::kOpen) return kWouldBlock;
  size_t len = 0;
  unsigned char* buf = br_ssl_engine_sendapp_buf(&cc_.eng, &len);
  if (buf == nullptr || len == 0) return kWouldBlock;  // half-duplex: drain read() first
  size_t n = data.size() < len ? data.size() : len;
  std::memcpy(buf, data.data(), n);
  br_ssl_engine_sendapp_ack(&cc_.eng, n);
  // Seal the record now: MQTT packets are small and latency matters more
  // than filling a fragment.
  br_ssl_engine_flush(&cc_.eng, 0);
  if (!pump() && state_ == State::kFailed) return kError;
  return static_cast<int32_t>(n);
}

int32_t TlsTransport::read(ByteSpan out) {
  bool alive = pump();
  size_t len = 0;
  unsigned char* buf = br_ssl_engine_recvapp_buf(&cc_.eng, &len);
  if (buf != nullptr && len > 0 && state_ != State::kFailed) {
    size_t n = out.size() < len ? out.size() : len;
    std::memcpy(out.data(), buf, n);
    br_ssl_engine_recvapp_ack(&cc_.eng, n);
    pump();
    return static_cast<int32_t>(n);
  }
  if (!alive) return state_ == State::kClosed ? kClosed : kError;
  return kWouldBlock;
}

void TlsTransport::close() {
  if (state_ == State::kOpen) {
    // Best effort close_notify (RFC 5246 §7.2.1); the socket closes anyway.
    br_ssl_engine_close(&cc_.eng);
    state_ = State::kClosing;
    for (int i = 0; i < 4 && (br_ssl_engine_current_state(&cc_.eng) & BR_SSL_SENDREC) != 0; ++i) {
      size_t len = 0;
      unsigned char* buf = br_ssl_engine_sendrec_buf(&cc_.eng, &len);
      int32_t n = lower_.write(ConstByteSpan(buf, len));
      if (n <= 0) break;
      br_ssl_engine_sendrec_ack(&cc_.eng, static_cast<size_t>(n));
    }
  }
  lower_.close();
  if (state_ != State::kFailed) state_ = State::kClosed;
  release_scratch();
}

__attribute__((noinline)) uint16_t TlsTransport::cipher_suite() const {
  if (state_ != State::kOpen) return 0;
  br_ssl_session_parameters sp;
  br_ssl_engine_get_session_parameters(&cc_.eng, &sp);
  return sp.cipher_suite;
}

}  // namespace mos::tls

// TLS 1.2 client transport on BearSSL: one mos::Transport over another
// (ARCHITECTURE.md "TLS"). Nothing here allocates: the caller owns the engine
// contexts (inside TlsTransport), the record I/O buffers, and the storage the
// PEM credentials are decoded into. No POSIX either, so it ports to a device
// that has BearSSL; the host gives it a TCP transport from device/net.
//
// Lifetime: TrustAnchors and ClientIdentity must outlive every connection that
// uses them (BearSSL keeps pointers into them during the handshake).
// The X.509 validation context (br_x509_minimal_context, ~3 KB) is needed
// only while the server's chain is checked, so it lives in caller memory
// lent for the handshake alone (TlsConfig::handshake_scratch).
#pragma once
#include <bearssl.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mos/arena.h"
#include "mos/defaults.h"
#include "mos/hal.h"
#include "mos/span.h"
#include "mos/status.h"

namespace mos::tls {

// BearSSL's record overheads (bearssl_ssl.h: BR_SSL_BUFSIZE_INPUT/OUTPUT are
// 16384 plus these). A buffer of fragment + overhead holds one whole record.
constexpr size_t kInputOverhead = BR_SSL_BUFSIZE_INPUT - 16384;    // 325
constexpr size_t kOutputOverhead = BR_SSL_BUFSIZE_OUTPUT - 16384;  // 85
// The smallest max_fragment_length value (RFC 6066 §4: 2^9).
constexpr size_t kMinFragment = 512;

// The largest record plaintext TLS 1.2 allows (RFC 5246 §6.2.1: 2^14).
constexpr size_t kFullRecord = 16384;

// Input buffer size that holds records of up to `fragment` plaintext bytes.
constexpr size_t input_buffer_size(size_t fragment) { return fragment + kInputOverhead; }
constexpr size_t output_buffer_size(size_t fragment) { return fragment + kOutputOverhead; }
// The largest record plaintext an input buffer of `in` bytes takes whatever
// the cipher suite (BearSSL checks the record's whole length against it).
constexpr size_t input_record_limit(size_t in) {
  return in <= kInputOverhead ? 0 : in - kInputOverhead > kFullRecord ? kFullRecord : in - kInputOverhead;
}
// The max_fragment_length (RFC 6066 §4) that a TlsTransport with these
// buffers asks for in its ClientHello (`out` 0: one shared buffer). Below
// full records, BearSSL's rule (br_ssl_engine_set_buffers_bidi): the
// largest of 2^9..2^12 whose record fits both buffers (2^13 is no RFC 6066
// value). kFullRecord means not asked: when the input buffer takes every
// record TLS allows, whatever the output buffer (see TlsTransport).
constexpr size_t requested_fragment(size_t in, size_t out) {
  if (in >= input_buffer_size(kFullRecord)) return kFullRecord;
  if (out == 0) out = in;
  size_t f = 4096;
  while (f > kMinFragment && (in < input_buffer_size(f) || out < output_buffer_size(f))) f /= 2;
  return f;
}

// Seconds since 1970-01-01T00:00:00Z, or a negative value while unknown (no
// SNTP yet). The sim port answers with the host's time; a device adds its
// monotonic mos::Clock to the epoch learned at SNTP time (EpochClock below).
class WallClock {
 public:
  virtual ~WallClock() = default;
  virtual int64_t unix_seconds() const = 0;
};

// Wall time = an epoch learned once (SNTP, RTC) + the monotonic clock since.
class EpochClock : public WallClock {
 public:
  explicit EpochClock(const Clock& clock) : clock_(clock) {}
  // `unix_seconds` was the wall time when clock.now_ms() read `at_ms`.
  void set(int64_t unix_seconds, uint64_t at_ms) {
    epoch_ = unix_seconds;
    at_ms_ = at_ms;
    known_ = true;
  }
  int64_t unix_seconds() const override {
    if (!known_) return -1;
    return epoch_ + static_cast<int64_t>((clock_.now_ms() - at_ms_) / 1000);
  }

 private:
  const Clock& clock_;
  int64_t epoch_ = 0;
  uint64_t at_ms_ = 0;
  bool known_ = false;
};

// Decoded certificates and keys go into caller storage through a bump
// allocator with no alignment padding: DER objects arrive in chunks that must
// stay contiguous, and BearSSL reads them as bytes.
using Arena = mos::Arena;

// Trust anchors (the CAs in mqtt.ssl_ca_cert) decoded from a PEM bundle into
// caller storage: per anchor its subject DN and public key (not the whole
// certificate). Roughly 300 bytes for an EC CA, 400 for an RSA-2048 one.
class TrustAnchors {
 public:
  TrustAnchors(Span<br_x509_trust_anchor> slots, ByteSpan storage) : slots_(slots), arena_(storage) {}
  // Appends every CERTIFICATE in `pem`. On failure nothing is added and
  // error() says why (kMalformed: not PEM/X.509; kNoSpace: raise the storage).
  Status add_pem(std::string_view pem);
  void clear();
  const br_x509_trust_anchor* data() const { return slots_.data(); }
  size_t size() const { return count_; }
  size_t bytes_used() const { return arena_.used(); }
  const char* error() const { return error_; }

 private:
  Span<br_x509_trust_anchor> slots_;
  Arena arena_;
  size_t count_ = 0;
  char error_[128] = "";
};

// Fixed-capacity TrustAnchors with its storage inline.
template <size_t kAnchors = MOS_TLS_MAX_ANCHORS, size_t kBytes = MOS_TLS_ANCHOR_BYTES>
class TrustAnchorStore : public TrustAnchors {
 public:
  TrustAnchorStore() : TrustAnchors(Span<br_x509_trust_anchor>(slots_, kAnchors), ByteSpan(bytes_, kBytes)) {}

 private:
  br_x509_trust_anchor slots_[kAnchors] = {};
  uint8_t bytes_[kBytes] = {};
};

// The device's certificate chain (mqtt.ssl_cert, leaf first) and private key
// (mqtt.ssl_key: "EC PRIVATE KEY" (SEC 1), "RSA PRIVATE KEY" (PKCS#1) or
// "PRIVATE KEY" (PKCS#8 of either)), decoded into caller storage.
class ClientIdentity {
 public:
  explicit ClientIdentity(ByteSpan storage) : arena_(storage) {}
  // Decodes both; checks that the key type matches the leaf certificate's.
  Status load_pem(std::string_view cert_pem, std::string_view key_pem);
  void clear();
  bool loaded() const { return chain_len_ > 0; }
  int key_type() const { return key_type_; }  // BR_KEYTYPE_EC or BR_KEYTYPE_RSA
  const br_x509_certificate* chain() const { return chain_; }
  size_t chain_len() const { return chain_len_; }
  const br_ec_private_key& ec_key() const { return ec_; }
  const br_rsa_private_key& rsa_key() const { return rsa_; }
  unsigned issuer_key_type() const { return issuer_key_type_; }
  size_t bytes_used() const { return arena_.used(); }
  const char* error() const { return error_; }

 private:
  __attribute__((noinline)) Status load_chain(std::string_view cert_pem, int* leaf_key_type);
  __attribute__((noinline)) Status load_key(std::string_view key_pem);
  Arena arena_;
  br_x509_certificate chain_[MOS_TLS_MAX_CHAIN] = {};
  size_t chain_len_ = 0;
  int key_type_ = 0;
  unsigned issuer_key_type_ = 0;
  br_ec_private_key ec_ = {};
  br_rsa_private_key rsa_ = {};
  char error_[128] = "";
};

template <size_t kBytes = MOS_TLS_IDENTITY_BYTES>
class ClientIdentityStore : public ClientIdentity {
 public:
  ClientIdentityStore() : ClientIdentity(ByteSpan(bytes_, kBytes)) {}

 private:
  uint8_t bytes_[kBytes] = {};
};

// mqtt.ssl_cipher_suites: a list of suite names separated by ':', ',' or
// spaces. Each name is either the OpenSSL name ("ECDHE-ECDSA-AES128-GCM-SHA256")
// or the IANA/RFC name, with '_' or '-' and an optional "BR_" prefix
// ("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", mbedTLS's
// "TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256"). Order is preference order.
// Empty = BearSSL's full default list. Returns the count, or a negative value
// with `error` filled (the first name not known / not supported).
int parse_cipher_suites(std::string_view list, Span<uint16_t> out, char* error, size_t error_size);
// The IANA name of a suite id ("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"), or "?".
const char* cipher_suite_name(uint16_t id);
// The TLS alert description name (RFC 5246 §7.2, RFC 8446 §6), or "unknown".
const char* alert_name(int alert);
// A line a person can act on for a BearSSL error code; `host` names the server.
// Writes into `out` (always terminated) and returns it.
const char* describe_error(int br_err, std::string_view host, bool client_cert_sent, size_t input_capacity,
                           char* out, size_t out_size);

// The memory TlsConfig::handshake_scratch must provide: BearSSL's X.509
// validation context (3168 bytes on x86-64, ~2.9 KB on Cortex-M4).
constexpr size_t kHandshakeScratchSize = sizeof(br_x509_minimal_context);
constexpr size_t kHandshakeScratchAlign = alignof(br_x509_minimal_context);

struct TlsConfig {
  const TrustAnchors* anchors = nullptr;    // required: the server is always verified
  const ClientIdentity* identity = nullptr;  // optional client certificate (mutual TLS)
  const WallClock* wall_clock = nullptr;     // certificate validity time; nullptr = BearSSL's own
  Random* random = nullptr;                  // seeds the engine; nullptr = BearSSL's OS source
  std::string_view cipher_suites;            // mqtt.ssl_cipher_suites, see parse_cipher_suites
  // Elliptic-curve code for ECDHE, ECDSA signing and chain verification;
  // nullptr = br_ec_get_default() (64-bit code on x86-64). A Cortex-M port
  // passes &br_ec_all_m31 (or m15 on cores without a 32x32->64 multiplier).
  const br_ec_impl* ec = nullptr;
  // Overrides the name checked against the server certificate and sent as SNI
  // (RFC 6066 §3); empty = the host given to connect().
  // The transport keeps these views (cipher_suites, server_name) and reads
  // them at every connect(): their text must outlive the transport's use.
  std::string_view server_name;
  // Required: >= kHandshakeScratchSize bytes aligned to kHandshakeScratchAlign
  // that the transport borrows for the X.509 chain validation only.
  // Ownership: borrowed by configure() for the duration of the call and by
  // connect() from its start until the handshake ends, i.e. until
  // connected() first turns true or the attempt fails (last_error() set) or
  // close() is called; scratch_borrowed() tells which. Outside those windows
  // the transport never reads or writes it (BearSSL's engine is pointed at a
  // context that refuses any new chain, and renegotiation is refused), so the
  // caller may reuse it while connected: for PEM decoding at start-up, a
  // second connection's handshake, or a message pool. Its contents are not
  // kept: every connect() initialises it afresh.
  ByteSpan handshake_scratch;
};

// TLS 1.2 over `lower`. Buffers: `in` holds incoming records, `out` outgoing
// ones; `out` empty = half-duplex (one shared buffer, BearSSL "mono" mode).
// Records in may be as large as `in` holds (input_record_limit), records out
// as large as `out` holds; the two sizes need not match.
// An input buffer smaller than BR_SSL_BUFSIZE_INPUT makes the ClientHello ask
// for max_fragment_length (RFC 6066 §4) of the largest power of two that fits
// in both buffers (>= 512: in >= 837 bytes; requested_fragment()); a server
// that ignores it and sends a larger record fails the connection with
// "record too large", and last_error() says what to raise. An input buffer of
// BR_SSL_BUFSIZE_INPUT (a 16 KB record) asks for nothing, even with a small
// output buffer: every record a server may send fits.
class TlsTransport : public Transport {
 public:
  TlsTransport(Transport& lower, ByteSpan in, ByteSpan out = ByteSpan());
  TlsTransport(const TlsTransport&) = delete;
  TlsTransport& operator=(const TlsTransport&) = delete;

  // Applies the config for the next connect(); kInvalidArg with last_error()
  // for a bad cipher list, missing anchors or buffers below the minimum.
  Status configure(const TlsConfig& config);

  Status connect(std::string_view host, uint16_t port) override;
  int32_t write(ConstByteSpan data) override;
  int32_t read(ByteSpan out) override;
  void close() override;
  bool connected() const override { return state_ == State::kOpen; }
  const char* last_error() const override { return error_; }

  // Moves records between the engine and the lower transport; read() and
  // write() call it. Returns false once the connection failed or closed.
  bool pump() { return pump_io(true); }
  // True while the engine waits for the peer (the caller may sleep on the
  // lower transport's readability) rather than for the application.
  bool wants_read() const;
  bool wants_write() const;

  int bearssl_error() const { return br_err_; }
  uint16_t cipher_suite() const;
  // The record size requested with max_fragment_length (RFC 6066 §4), set
  // by the buffer sizes (requested_fragment()); 16384 = not requested.
  size_t max_fragment() const { return requested_fragment(in_.size(), out_.size()); }
  // The largest record the input buffer takes (input_record_limit()).
  size_t input_record_limit() const { return tls::input_record_limit(in_.size()); }
  const br_ssl_client_context& engine() const { return cc_; }
  // True while the handshake scratch is lent to this transport.
  bool scratch_borrowed() const { return xc_ != nullptr; }

 private:
  enum class State { kIdle, kHandshake, kOpen, kClosing, kClosed, kFailed };
  void fail_engine();
  void fail(const char* fmt, ...) __attribute__((format(printf, 2, 3)));
  void set_time();
  bool salvage_alert();
  bool pump_io(bool receive);  // receive = false: only send what is pending
  const char* host() const { return cc_.eng.server_name; }
  void borrow_scratch();
  void release_scratch();

  Transport& lower_;
  ByteSpan in_;
  ByteSpan out_;
  br_ssl_client_context cc_;
  br_x509_minimal_context* xc_ = nullptr;  // in config_.handshake_scratch while borrowed
  TlsConfig config_;
  bool configured_ = false;
  State state_ = State::kIdle;
  int br_err_ = 0;
  char error_[256] = "";  // a line of describe_error() with an 80-character host name
};

}  // namespace mos::tls

// PEM credentials -> BearSSL structures in caller storage.
// Formats: PEM (RFC 7468), X.509 (RFC 5280), SEC 1 EC keys (RFC 5915),
// PKCS#1 RSA keys (RFC 8017 A.1.2), PKCS#8 (RFC 5208); BearSSL's decoders do
// the DER work, this file routes PEM objects and copies results out of the
// decoders' temporary contexts.
#include <cstdio>
#include <cstring>

#include "mos/tls.h"

namespace mos::tls {

namespace {

// Where decoded DER bytes of the current PEM object go.
struct DerSink {
  Arena* arena = nullptr;            // append raw DER here (may be null)
  uint8_t* start = nullptr;          // first byte appended for this object
  size_t len = 0;
  bool overflow = false;
  br_x509_decoder_context* x509 = nullptr;  // and/or stream into an X.509 decoder
  br_skey_decoder_context* skey = nullptr;  // or into the private-key decoder
};

void der_sink(void* ctx, const void* data, size_t len) {
  auto* s = static_cast<DerSink*>(ctx);
  if (s->arena != nullptr && !s->overflow) {
    // Appends contiguously: the arena was not touched since the object began
    // (DN callbacks use a different arena).
    uint8_t* p = s->arena->alloc(len);
    if (p == nullptr) {
      s->overflow = true;
    } else {
      if (s->start == nullptr) s->start = p;
      std::memcpy(p, data, len);
      s->len += len;
    }
  }
  // BearSSL 0.6's decoders must not get bytes once they have finished (a
  // whole DER object decoded, or an error): their T0 machine has halted and
  // runs from a null instruction pointer (found by tls_credentials_fuzz with
  // a certificate followed by more base64 in the same PEM object). Bytes
  // after the object are ignored, as the decoders do within one push.
  if (s->x509 != nullptr && br_x509_decoder_last_error(s->x509) == BR_ERR_X509_TRUNCATED) {
    br_x509_decoder_push(s->x509, data, len);
  }
  if (s->skey != nullptr && br_skey_decoder_last_error(s->skey) == BR_ERR_X509_TRUNCATED) {
    br_skey_decoder_push(s->skey, data, len);
  }
}

// Splits a PEM text into objects: on_begin(name) decides where the bytes go
// (returns false to skip the object), on_end() checks the result.
template <class OnBegin, class OnEnd>
bool for_each_pem(std::string_view pem, DerSink* sink, OnBegin on_begin, OnEnd on_end, char* error,
                  size_t error_size) {
  br_pem_decoder_context pc;
  br_pem_decoder_init(&pc);
  bool in_object = false;
  bool wanted = false;
  const char* p = pem.data();
  size_t left = pem.size();
  // BearSSL's decoder needs a line end after the last "-----END" line.
  bool fed_newline = false;
  while (left > 0 || !fed_newline) {
    if (left == 0) {
      p = "\n";
      left = 1;
      fed_newline = true;
    }
    size_t n = br_pem_decoder_push(&pc, p, left);
    p += n;
    left -= n;
    switch (br_pem_decoder_event(&pc)) {
      case BR_PEM_BEGIN_OBJ:
        in_object = true;
        wanted = on_begin(br_pem_decoder_name(&pc));
        if (wanted) {
          br_pem_decoder_setdest(&pc, der_sink, sink);
        } else {
          br_pem_decoder_setdest(&pc, nullptr, nullptr);
        }
        break;
      case BR_PEM_END_OBJ:
        in_object = false;
        if (wanted && !on_end()) return false;
        wanted = false;
        break;
      case BR_PEM_ERROR:
        std::snprintf(error, error_size, "not valid PEM (bad base64 or a missing -----END line)");
        return false;
      default:
        break;
    }
  }
  if (in_object) {
    std::snprintf(error, error_size, "PEM object without an -----END line");
    return false;
  }
  return true;
}

void append_dn(void* ctx, const void* data, size_t len) {
  auto* s = static_cast<DerSink*>(ctx);
  if (s->overflow) return;
  uint8_t* q = s->arena->alloc(len);
  if (q == nullptr) {
    s->overflow = true;
    return;
  }
  if (s->start == nullptr) s->start = q;
  std::memcpy(q, data, len);
  s->len += len;
}

}  // namespace

void TrustAnchors::clear() {
  arena_.reset();
  count_ = 0;
  error_[0] = '\0';
}

Status TrustAnchors::add_pem(std::string_view pem) {
  const size_t mark = arena_.used();
  const size_t first = count_;
  br_x509_decoder_context dc;
  DerSink dn;  // the DN callback appends the subject into the arena
  dn.arena = &arena_;
  DerSink sink;  // PEM bytes stream into the X.509 decoder only
  sink.x509 = &dc;
  bool no_space = false;
  size_t seen = 0;
  auto on_begin = [&](const char* name) {
    if (std::strcmp(name, "CERTIFICATE") != 0 && std::strcmp(name, "X509 CERTIFICATE") != 0) return false;
    dn = DerSink();
    dn.arena = &arena_;
    br_x509_decoder_init(&dc, append_dn, &dn);
    return true;
  };
  auto on_end = [&]() -> bool {
    ++seen;
    int err = br_x509_decoder_last_error(&dc);
    const br_x509_pkey* pk = br_x509_decoder_get_pkey(&dc);
    if (err != 0 || pk == nullptr) {
      std::snprintf(error_, sizeof(error_), "CA certificate #%zu is not valid X.509 (BearSSL error %d)", seen, err);
      return false;
    }
    if (dn.overflow || count_ >= slots_.size()) {
      no_space = true;
      return false;
    }
    br_x509_trust_anchor& ta = slots_[count_];
    ta = br_x509_trust_anchor{};
    ta.dn.data = dn.start;
    ta.dn.len = dn.len;
    // Self-signed roots and intermediates alike anchor a chain; a bundle of
    // only leaf certificates is pinning, which BearSSL handles as non-CA.
    ta.flags = br_x509_decoder_isCA(&dc) ? BR_X509_TA_CA : 0;
    ta.pkey.key_type = pk->key_type;
    if (pk->key_type == BR_KEYTYPE_RSA) {
      ta.pkey.key.rsa.n = arena_.copy(pk->key.rsa.n, pk->key.rsa.nlen);
      ta.pkey.key.rsa.nlen = pk->key.rsa.nlen;
      ta.pkey.key.rsa.e = arena_.copy(pk->key.rsa.e, pk->key.rsa.elen);
      ta.pkey.key.rsa.elen = pk->key.rsa.elen;
      if (ta.pkey.key.rsa.n == nullptr || ta.pkey.key.rsa.e == nullptr) no_space = true;
    } else {
      ta.pkey.key.ec.curve = pk->key.ec.curve;
      ta.pkey.key.ec.q = arena_.copy(pk->key.ec.q, pk->key.ec.qlen);
      ta.pkey.key.ec.qlen = pk->key.ec.qlen;
      if (ta.pkey.key.ec.q == nullptr) no_space = true;
    }
    if (no_space) return false;
    ++count_;
    return true;
  };
  bool ok = for_each_pem(pem, &sink, on_begin, on_end, error_, sizeof(error_));
  if (ok && seen == 0) {
    std::snprintf(error_, sizeof(error_), "no -----BEGIN CERTIFICATE----- block found");
    ok = false;
  }
  if (!ok) {
    if (no_space) {
      std::snprintf(error_, sizeof(error_),
                    "CA bundle too large: %zu anchors / %zu bytes of storage (raise MOS_TLS_MAX_ANCHORS or "
                    "MOS_TLS_ANCHOR_BYTES)",
                    slots_.size(), arena_.capacity());
    }
    arena_.rewind(mark);
    count_ = first;
    return no_space ? Status::kNoSpace : Status::kMalformed;
  }
  return Status::kOk;
}

void ClientIdentity::clear() {
  arena_.reset();
  chain_len_ = 0;
  key_type_ = 0;
  issuer_key_type_ = 0;
  ec_ = {};
  rsa_ = {};
  error_[0] = '\0';
}

Status ClientIdentity::load_pem(std::string_view cert_pem, std::string_view key_pem) {
  clear();
  // Chain and key are decoded in separate frames so that BearSSL's X.509
  // decoder (~1.1 KB) and key decoder (~2.1 KB) are never on the stack together.
  int leaf_key_type = 0;
  Status s = load_chain(cert_pem, &leaf_key_type);
  if (s != Status::kOk) return s;
  s = load_key(key_pem);
  if (s != Status::kOk) {
    chain_len_ = 0;
    return s;
  }
  if (key_type_ != leaf_key_type) {
    std::snprintf(error_, sizeof(error_), "mqtt.ssl_key is an %s key but mqtt.ssl_cert holds an %s key: use the matching pair",
                  key_type_ == BR_KEYTYPE_EC ? "EC" : "RSA", leaf_key_type == BR_KEYTYPE_EC ? "EC" : "RSA");
    chain_len_ = 0;
    return Status::kInvalidArg;
  }
  return Status::kOk;
}

Status ClientIdentity::load_chain(std::string_view cert_pem, int* leaf_key_type_out) {
  br_x509_decoder_context dc;
  DerSink sink;
  sink.arena = &arena_;
  bool no_space = false;
  int leaf_key_type = 0;
  auto on_begin = [&](const char* name) {
    if (std::strcmp(name, "CERTIFICATE") != 0 && std::strcmp(name, "X509 CERTIFICATE") != 0) return false;
    sink = DerSink();
    sink.arena = &arena_;
    if (chain_len_ == 0) {
      // The leaf's key type must match the private key's.
      br_x509_decoder_init(&dc, nullptr, nullptr);
      sink.x509 = &dc;
    }
    return true;
  };
  auto on_end = [&]() -> bool {
    if (sink.overflow || chain_len_ >= MOS_TLS_MAX_CHAIN) {
      no_space = true;
      return false;
    }
    if (chain_len_ == 0) {
      const br_x509_pkey* pk = br_x509_decoder_get_pkey(&dc);
      if (br_x509_decoder_last_error(&dc) != 0 || pk == nullptr) {
        std::snprintf(error_, sizeof(error_), "mqtt.ssl_cert: the first certificate is not valid X.509 (BearSSL error %d)",
                      br_x509_decoder_last_error(&dc));
        return false;
      }
      leaf_key_type = pk->key_type;
      issuer_key_type_ = static_cast<unsigned>(br_x509_decoder_get_signer_key_type(&dc));
    }
    chain_[chain_len_].data = sink.start;
    chain_[chain_len_].data_len = sink.len;
    ++chain_len_;
    return true;
  };
  if (!for_each_pem(cert_pem, &sink, on_begin, on_end, error_, sizeof(error_))) {
    if (no_space) {
      std::snprintf(error_, sizeof(error_),
                    "mqtt.ssl_cert too large: %d certificates / %zu bytes of storage (raise MOS_TLS_MAX_CHAIN or "
                    "MOS_TLS_IDENTITY_BYTES)",
                    MOS_TLS_MAX_CHAIN, arena_.capacity());
    }
    Status s = no_space ? Status::kNoSpace : Status::kMalformed;
    chain_len_ = 0;
    return s;
  }
  if (chain_len_ == 0) {
    std::snprintf(error_, sizeof(error_), "mqtt.ssl_cert: no -----BEGIN CERTIFICATE----- block found");
    return Status::kMalformed;
  }
  *leaf_key_type_out = leaf_key_type;
  return Status::kOk;
}

Status ClientIdentity::load_key(std::string_view key_pem) {
  // The key decoder context is large (~1.7 KB of key buffers) but lives only
  // here, at load time; the key itself is copied into the arena.
  br_skey_decoder_context kc;
  DerSink sink;
  sink.skey = &kc;
  int objects = 0;
  auto on_begin = [&](const char* name) {
    if (std::strcmp(name, "EC PRIVATE KEY") != 0 && std::strcmp(name, "RSA PRIVATE KEY") != 0 &&
        std::strcmp(name, "PRIVATE KEY") != 0) {
      return false;
    }
    br_skey_decoder_init(&kc);
    return objects++ == 0;
  };
  auto on_end = [&]() { return true; };
  if (!for_each_pem(key_pem, &sink, on_begin, on_end, error_, sizeof(error_))) return Status::kMalformed;
  if (objects == 0) {
    std::snprintf(error_, sizeof(error_),
                  "mqtt.ssl_key: no EC PRIVATE KEY, RSA PRIVATE KEY or PRIVATE KEY block found (encrypted keys are "
                  "not supported)");
    return Status::kMalformed;
  }
  int err = br_skey_decoder_last_error(&kc);
  if (err != 0) {
    std::snprintf(error_, sizeof(error_), "mqtt.ssl_key: not a valid RSA or EC private key (BearSSL error %d)", err);
    return Status::kMalformed;
  }
  key_type_ = br_skey_decoder_key_type(&kc);
  bool ok = true;
  if (key_type_ == BR_KEYTYPE_EC) {
    const br_ec_private_key* k = br_skey_decoder_get_ec(&kc);
    ec_.curve = k->curve;
    ec_.xlen = k->xlen;
    ec_.x = arena_.copy(k->x, k->xlen);
    ok = ec_.x != nullptr;
  } else if (key_type_ == BR_KEYTYPE_RSA) {
    const br_rsa_private_key* k = br_skey_decoder_get_rsa(&kc);
    rsa_.n_bitlen = k->n_bitlen;
    rsa_.p = arena_.copy(k->p, rsa_.plen = k->plen);
    rsa_.q = arena_.copy(k->q, rsa_.qlen = k->qlen);
    rsa_.dp = arena_.copy(k->dp, rsa_.dplen = k->dplen);
    rsa_.dq = arena_.copy(k->dq, rsa_.dqlen = k->dqlen);
    rsa_.iq = arena_.copy(k->iq, rsa_.iqlen = k->iqlen);
    ok = rsa_.p && rsa_.q && rsa_.dp && rsa_.dq && rsa_.iq;
  } else {
    std::snprintf(error_, sizeof(error_), "mqtt.ssl_key: unsupported key type %d", key_type_);
    return Status::kMalformed;
  }
  // Scrub the decoder's copy of the key from the stack.
  volatile uint8_t* wipe = reinterpret_cast<volatile uint8_t*>(&kc);
  for (size_t i = 0; i < sizeof(kc); ++i) wipe[i] = 0;
  if (!ok) {
    std::snprintf(error_, sizeof(error_), "mqtt.ssl_key does not fit in %zu bytes of storage (raise MOS_TLS_IDENTITY_BYTES)",
                  arena_.capacity());
    return Status::kNoSpace;
  }
  return Status::kOk;
}

}  // namespace mos::tls

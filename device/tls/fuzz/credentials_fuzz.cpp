// Fuzzes the device's PEM credential loading (device/tls credentials.cpp):
// TrustAnchors::add_pem (mqtt.ssl_ca_cert) and ClientIdentity::load_pem
// (mqtt.ssl_cert + mqtt.ssl_key). Any FS.Put can replace those files, so
// every byte is hostile (STYLE.md §8): no crash, no read or write outside the
// caller's storage, and a result either loaded or explained.
//
// The whole input is given as the CA bundle, the certificate chain and the
// key file at once (each loader skips PEM objects of other types). It is
// loaded twice: into the default-sized storage, and into a small one whose
// size comes from the input, to reach the "no space" paths. The storage is
// heap-allocated to its exact size so ASan sees any overrun. No state is kept
// across inputs.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "mos/tls.h"

namespace {

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "credentials_fuzz: %s\n", what);
  std::abort();
}

// Reads every byte a loaded object points to, so ASan checks the pointers.
unsigned touch(const unsigned char* p, size_t n) {
  unsigned sum = 0;
  for (size_t i = 0; i < n; ++i) sum += p[i];
  return sum;
}

unsigned touch_anchor(const br_x509_trust_anchor& ta) {
  unsigned sum = touch(ta.dn.data, ta.dn.len);
  if (ta.pkey.key_type == BR_KEYTYPE_EC) {
    sum += touch(ta.pkey.key.ec.q, ta.pkey.key.ec.qlen);
  } else if (ta.pkey.key_type == BR_KEYTYPE_RSA) {
    sum += touch(ta.pkey.key.rsa.n, ta.pkey.key.rsa.nlen) + touch(ta.pkey.key.rsa.e, ta.pkey.key.rsa.elen);
  } else {
    fail("a trust anchor has no known key type");
  }
  return sum;
}

void load_anchors(std::string_view pem, size_t slots, size_t bytes) {
  std::vector<br_x509_trust_anchor> slot_storage(slots);
  std::vector<uint8_t> storage(bytes);
  mos::tls::TrustAnchors anchors(mos::Span<br_x509_trust_anchor>(slot_storage.data(), slots),
                                 mos::ByteSpan(storage.data(), storage.size()));
  mos::Status s = anchors.add_pem(pem);
  if (s == mos::Status::kOk) {
    if (anchors.size() == 0 || anchors.size() > slots) fail("add_pem ok but the anchor count is wrong");
    unsigned sum = 0;
    for (size_t i = 0; i < anchors.size(); ++i) sum += touch_anchor(anchors.data()[i]);
    (void)sum;
  } else {
    if (anchors.size() != 0) fail("add_pem failed but kept anchors");
    if (anchors.error()[0] == '\0') fail("add_pem failed without an error message");
  }
  if (anchors.bytes_used() > bytes) fail("anchors used more than their storage");
}

void load_identity(std::string_view pem, size_t bytes) {
  std::vector<uint8_t> storage(bytes);
  mos::tls::ClientIdentity id(mos::ByteSpan(storage.data(), storage.size()));
  mos::Status s = id.load_pem(pem, pem);
  if (s == mos::Status::kOk) {
    if (!id.loaded() || id.chain_len() == 0 || id.chain_len() > MOS_TLS_MAX_CHAIN) {
      fail("load_pem ok but no chain");
    }
    unsigned sum = 0;
    for (size_t i = 0; i < id.chain_len(); ++i) sum += touch(id.chain()[i].data, id.chain()[i].data_len);
    if (id.key_type() == BR_KEYTYPE_EC) {
      sum += touch(id.ec_key().x, id.ec_key().xlen);
    } else if (id.key_type() == BR_KEYTYPE_RSA) {
      const br_rsa_private_key& k = id.rsa_key();
      sum += touch(k.p, k.plen) + touch(k.q, k.qlen) + touch(k.dp, k.dplen) + touch(k.dq, k.dqlen) +
             touch(k.iq, k.iqlen);
    } else {
      fail("load_pem ok but the key type is unknown");
    }
    (void)sum;
  } else {
    if (id.loaded()) fail("load_pem failed but reports loaded()");
    if (id.error()[0] == '\0') fail("load_pem failed without an error message");
  }
  if (id.bytes_used() > bytes) fail("the identity used more than its storage");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view pem(reinterpret_cast<const char*>(data), size);
  load_anchors(pem, MOS_TLS_MAX_ANCHORS, MOS_TLS_ANCHOR_BYTES);
  load_identity(pem, MOS_TLS_IDENTITY_BYTES);
  // Small storage: 1 or 2 slots and 0..1023 bytes, chosen by the input.
  const size_t small = size == 0 ? 0 : (size_t{data[0]} | size_t{data[size - 1]} << 8) % 1024;
  load_anchors(pem, 1 + small % 2, small);
  load_identity(pem, small);
  return 0;
}

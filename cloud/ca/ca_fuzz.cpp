// Fuzzes CreateCertificateFromCsr (cloud/ca Authority::sign_csr) with any
// bytes as the CSR (STYLE.md §8): the PEM text as received, and the same bytes
// wrapped as the DER of a PEM "CERTIFICATE REQUEST", so the PKCS#10/ASN.1
// decoder sees arbitrary DER too. The outcome must be a clear error (a code
// and a message) or a certificate that parses, is signed by the CA and
// carries exactly the CSR's public key.
//
// One CA per process with a fixed key (below, made for this fuzzer only, with
// `openssl ecparam -name prime256v1` and `openssl req -x509`); sign_csr keeps
// no state between calls, so each input is reproducible on its own.
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>

#include <unistd.h>

#include "mos/ca/ca.h"

namespace {

const char kCaKey[] = R"(-----BEGIN EC PRIVATE KEY-----
MHcCAQEEIOriTQgjoHDSW7khVwzoMjbRmJo+EFKjLvHeG4Ih7T18oAoGCCqGSM49
AwEHoUQDQgAEB9u/J2r7xpsmlFibaudatuEHg6VdLbPtRs4DHji+lhv+yKgr2ACH
7T6Jb08gjLvcn9eZBr1qXFM2QJY1MdFnNg==
-----END EC PRIVATE KEY-----
)";
const char kCaCert[] = R"(-----BEGIN CERTIFICATE-----
MIIBqjCCAU+gAwIBAgIUY8h01GkxdEoSFBM4UJ+hBu2njJ0wCgYIKoZIzj0EAwIw
KTERMA8GA1UECgwIbW9zIGZ1enoxFDASBgNVBAMMC21vcyBmdXp6IENBMCAXDTI2
MTIwMTIwMjM1MloYDzIxMjYxMTA3MjAyMzUyWjApMREwDwYDVQQKDAhtb3MgZnV6
ejEUMBIGA1UEAwwLbW9zIGZ1enogQ0EwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNC
AAQH278navvGmyaUWJtq51q24QeDpV0ts+1GzgMeOL6WG/7IqCvYAIftPolvTyCM
u9yf15kGvWpcUzZAljUx0Wc2o1MwUTAdBgNVHQ4EFgQULYY4aSBoCLsfs+Es/xiq
XSDUhhswHwYDVR0jBBgwFoAULYY4aSBoCLsfs+Es/xiqXSDUhhswDwYDVR0TAQH/
BAUwAwEB/zAKBggqhkjOPQQDAgNJADBGAiEAj2s+h4X0XAu1lVEmeyIltkCwyWQw
knOSlAEwQvdu9xUCIQCvv2V69a5X0q4HPKXGJXa9L/E6LnEsE5KR1HOriky7MQ==
-----END CERTIFICATE-----
)";

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "ca_sign_csr_fuzz: %s\n", what);
  std::abort();
}

struct Ca {
  std::unique_ptr<mos::ca::Authority> authority;
  EVP_PKEY* pub = nullptr;  // the CA's public key, to check issued certificates
  Ca() {
    auto dir = std::filesystem::temp_directory_path() / ("mos-ca-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "ca.key") << kCaKey;
    std::ofstream(dir / "ca.pem") << kCaCert;
    std::string error;
    authority = mos::ca::Authority::open_or_create(dir.string(), error);
    std::filesystem::remove_all(dir);
    if (!authority) fail(error.c_str());
    BIO* b = BIO_new_mem_buf(kCaCert, -1);
    X509* x = PEM_read_bio_X509(b, nullptr, nullptr, nullptr);
    BIO_free(b);
    if (x == nullptr) fail("the fixed CA certificate does not parse");
    pub = X509_get_pubkey(x);
    X509_free(x);
  }
};

template <class T, void (*Free)(T*)>
struct Owned {
  T* p;
  explicit Owned(T* ptr) : p(ptr) {}
  ~Owned() { if (p != nullptr) Free(p); }
  Owned(const Owned&) = delete;
  Owned& operator=(const Owned&) = delete;
};

std::string pem_wrap(std::string_view der) {
  static const char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out = "-----BEGIN CERTIFICATE REQUEST-----\n";
  size_t line = 0;
  for (size_t i = 0; i < der.size(); i += 3) {
    uint32_t v = static_cast<uint32_t>(static_cast<uint8_t>(der[i])) << 16;
    if (i + 1 < der.size()) v |= static_cast<uint32_t>(static_cast<uint8_t>(der[i + 1])) << 8;
    if (i + 2 < der.size()) v |= static_cast<uint8_t>(der[i + 2]);
    out += kB64[v >> 18 & 63];
    out += kB64[v >> 12 & 63];
    out += i + 1 < der.size() ? kB64[v >> 6 & 63] : '=';
    out += i + 2 < der.size() ? kB64[v & 63] : '=';
    if (++line == 16) {
      out += '\n';
      line = 0;
    }
  }
  if (line != 0) out += '\n';
  return out + "-----END CERTIFICATE REQUEST-----\n";
}

void check(const Ca& ca, const std::string& csr_pem) {
  mos::ca::Result r = ca.authority->sign_csr(csr_pem);
  if (!r.ok()) {
    if (r.message.empty()) fail("sign_csr failed without a message");
    if (!r.cert.pem.empty()) fail("sign_csr failed but returned a certificate");
    return;
  }
  Owned<BIO, BIO_free_all> cb(BIO_new_mem_buf(r.cert.pem.data(), static_cast<int>(r.cert.pem.size())));
  Owned<X509, X509_free> cert(PEM_read_bio_X509(cb.p, nullptr, nullptr, nullptr));
  if (cert.p == nullptr) fail("sign_csr issued a certificate that does not parse");
  if (X509_verify(cert.p, ca.pub) != 1) fail("the issued certificate is not signed by the CA");
  Owned<BIO, BIO_free_all> rb(BIO_new_mem_buf(csr_pem.data(), static_cast<int>(csr_pem.size())));
  Owned<X509_REQ, X509_REQ_free> req(PEM_read_bio_X509_REQ(rb.p, nullptr, nullptr, nullptr));
  if (req.p == nullptr) fail("sign_csr accepted a CSR that does not parse");
  if (EVP_PKEY_eq(X509_get0_pubkey(cert.p), X509_REQ_get0_pubkey(req.p)) != 1) {
    fail("the issued certificate does not carry the CSR's public key");
  }
  if (r.cert.id.size() != 64 || r.cert.id != mos::ca::certificate_id(r.cert.pem)) {
    fail("the certificate id is not the SHA-256 of the certificate");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Ca ca;
  std::string in(reinterpret_cast<const char*>(data), size);
  check(ca, in);
  check(ca, pem_wrap(in));
  return 0;
}

// See x509.h.
#include "mos/aws/x509.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <ctime>
#include <memory>
#include <stdexcept>

namespace mos::aws {
namespace {

template <typename T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using Bio = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using Req = std::unique_ptr<X509_REQ, Deleter<X509_REQ, X509_REQ_free>>;
using Cert = std::unique_ptr<X509, Deleter<X509, X509_free>>;

std::string bio_string(BIO* b) {
  char* data = nullptr;
  long n = BIO_get_mem_data(b, &data);
  return std::string(data, static_cast<size_t>(n));
}

Bio mem_bio(std::string_view s) { return Bio(BIO_new_mem_buf(s.data(), static_cast<int>(s.size()))); }

Pkey read_key(std::string_view pem) {
  Bio b = mem_bio(pem);
  return Pkey(PEM_read_bio_PrivateKey(b.get(), nullptr, nullptr, nullptr));
}

Cert read_cert(std::string_view pem) {
  Bio b = mem_bio(pem);
  return Cert(PEM_read_bio_X509(b.get(), nullptr, nullptr, nullptr));
}

std::string name_line(const X509_NAME* n) {
  Bio b(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(b.get(), n, 0, XN_FLAG_RFC2253);
  return bio_string(b.get());
}

std::string time_line(const ASN1_TIME* t) {
  struct tm tm {};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return "?";
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

}  // namespace

KeyPair generate_key(KeyType type) {
  Pkey k(type == KeyType::kEcdsaP256 ? EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")
                                     : EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048}));
  if (!k) throw std::runtime_error("OpenSSL could not generate the private key");
  Bio b(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_PrivateKey(b.get(), k.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    throw std::runtime_error("OpenSSL could not write the private key");
  }
  return {bio_string(b.get())};
}

std::string make_csr(const KeyPair& key, const std::string& common_name) {
  Pkey k = read_key(key.private_key_pem);
  Req req(X509_REQ_new());
  if (!k || !req) throw std::runtime_error("OpenSSL could not read the new key");
  X509_NAME* name = X509_REQ_get_subject_name(req.get());
  if (X509_REQ_set_version(req.get(), 0) != 1 ||
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0) != 1 ||
      X509_REQ_set_pubkey(req.get(), k.get()) != 1 || X509_REQ_sign(req.get(), k.get(), EVP_sha256()) <= 0) {
    throw std::runtime_error("OpenSSL could not make the certificate request for CN=" + common_name);
  }
  Bio b(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509_REQ(b.get(), req.get());
  return bio_string(b.get());
}

CertInfo describe_certificate(std::string_view pem) {
  CertInfo info;
  Cert c = read_cert(pem);
  if (!c) return info;
  info.subject = name_line(X509_get_subject_name(c.get()));
  info.issuer = name_line(X509_get_issuer_name(c.get()));
  info.not_before = time_line(X509_get0_notBefore(c.get()));
  info.not_after = time_line(X509_get0_notAfter(c.get()));
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  X509_digest(c.get(), EVP_sha256(), md, &len);
  static const char* hex = "0123456789abcdef";
  for (unsigned i = 0; i < len; ++i) {
    info.id += hex[md[i] >> 4];
    info.id += hex[md[i] & 15];
  }
  EVP_PKEY* pub = X509_get0_pubkey(c.get());
  info.key_type = pub == nullptr ? "?" : EVP_PKEY_is_a(pub, "EC") ? "ECDSA" : EVP_PKEY_is_a(pub, "RSA") ? "RSA" : "other";
  info.ok = true;
  return info;
}

bool key_matches_certificate(std::string_view key_pem, std::string_view cert_pem) {
  Pkey k = read_key(key_pem);
  Cert c = read_cert(cert_pem);
  if (!k || !c) return false;
  return X509_check_private_key(c.get(), k.get()) == 1;
}

}  // namespace mos::aws

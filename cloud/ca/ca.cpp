#include "mos/ca/ca.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <sys/stat.h>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>

namespace mos::ca {
namespace {

// Unique-pointer wrappers for the OpenSSL objects used here.
struct Free {
  void operator()(BIO* p) const { BIO_free_all(p); }
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(X509_REQ* p) const { X509_REQ_free(p); }
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
  void operator()(BIGNUM* p) const { BN_free(p); }
};
template <class T>
using Ptr = std::unique_ptr<T, Free>;

// AWS IoT's own device certificates expire at 2049-12-31T23:59:59Z.
constexpr int64_t kDeviceNotAfter = 2524607999;

std::string read_file(const std::string& path, bool& ok) {
  std::ifstream in(path, std::ios::binary);
  ok = static_cast<bool>(in);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool write_file(const std::string& path, const std::string& data, mode_t mode) {
  std::string tmp = path + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) return false;
  ::chmod(tmp.c_str(), mode);
  bool ok = std::fwrite(data.data(), 1, data.size(), f) == data.size();
  ok = (std::fclose(f) == 0) && ok;
  return ok && std::rename(tmp.c_str(), path.c_str()) == 0;
}

Ptr<EVP_PKEY> new_ec_key() {
  return Ptr<EVP_PKEY>(EVP_EC_gen("P-256"));
}

std::string bio_string(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return len > 0 ? std::string(data, static_cast<size_t>(len)) : std::string();
}

std::string cert_pem(X509* x) {
  Ptr<BIO> b(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(b.get(), x);
  return bio_string(b.get());
}

std::string key_pem(EVP_PKEY* k) {
  Ptr<BIO> b(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(b.get(), k, nullptr, nullptr, 0, nullptr, nullptr);
  return bio_string(b.get());
}

std::string pub_pem(EVP_PKEY* k) {
  Ptr<BIO> b(BIO_new(BIO_s_mem()));
  PEM_write_bio_PUBKEY(b.get(), k);
  return bio_string(b.get());
}

std::string der_id(X509* x) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (X509_digest(x, EVP_sha256(), md, &n) != 1) return {};
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < n; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

std::string subject_line(X509_NAME* name) {
  Ptr<BIO> b(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(b.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  return bio_string(b.get());
}

int64_t asn1_unix(const ASN1_TIME* t) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return 0;
  return static_cast<int64_t>(timegm(&tm));
}

Issued describe(X509* x) {
  Issued i;
  i.pem = cert_pem(x);
  i.id = der_id(x);
  i.subject = subject_line(X509_get_subject_name(x));
  i.not_before = asn1_unix(X509_get0_notBefore(x));
  i.not_after = asn1_unix(X509_get0_notAfter(x));
  return i;
}

Ptr<X509> parse_pem(std::string_view pem) {
  Ptr<BIO> b(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return Ptr<X509>(PEM_read_bio_X509(b.get(), nullptr, nullptr, nullptr));
}

bool add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (!ext) return false;
  bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

bool random_serial(X509* x) {
  // RFC 5280 §4.1.2.2: positive, unique, at most 20 octets; 16 random bytes.
  unsigned char buf[16];
  if (RAND_bytes(buf, sizeof buf) != 1) return false;
  buf[0] &= 0x7f;
  Ptr<BIGNUM> bn(BN_bin2bn(buf, sizeof buf, nullptr));
  return bn && BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(x)) != nullptr;
}

}  // namespace

struct Authority::Impl {
  Ptr<EVP_PKEY> key;
  Ptr<X509> cert;

  // Builds and signs a certificate for `pub` with `subject` (copied).
  Ptr<X509> issue(EVP_PKEY* pub, X509_NAME* subject, int64_t not_before, int64_t not_after,
                  const std::string& san, bool server, bool ca) {
    Ptr<X509> x(X509_new());
    if (!x || X509_set_version(x.get(), 2) != 1 || !random_serial(x.get())) return nullptr;
    X509_set_subject_name(x.get(), subject);
    X509_set_issuer_name(x.get(), X509_get_subject_name(ca ? x.get() : cert.get()));
    if (ca) X509_set_issuer_name(x.get(), subject);
    ASN1_TIME_set(X509_getm_notBefore(x.get()), static_cast<time_t>(not_before));
    ASN1_TIME_set(X509_getm_notAfter(x.get()), static_cast<time_t>(not_after));
    X509_set_pubkey(x.get(), pub);
    X509* issuer = ca ? x.get() : cert.get();
    bool ok = true;
    if (ca) {
      ok = add_ext(x.get(), issuer, NID_basic_constraints, "critical,CA:TRUE") &&
           add_ext(x.get(), issuer, NID_key_usage, "critical,keyCertSign,cRLSign") &&
           add_ext(x.get(), issuer, NID_subject_key_identifier, "hash");
    } else {
      bool rsa = EVP_PKEY_get_base_id(pub) == EVP_PKEY_RSA;
      ok = add_ext(x.get(), issuer, NID_basic_constraints, "critical,CA:FALSE") &&
           add_ext(x.get(), issuer, NID_key_usage,
                   rsa ? "critical,digitalSignature,keyEncipherment" : "critical,digitalSignature") &&
           add_ext(x.get(), issuer, NID_ext_key_usage, server ? "serverAuth,clientAuth" : "clientAuth") &&
           add_ext(x.get(), issuer, NID_subject_key_identifier, "hash") &&
           add_ext(x.get(), issuer, NID_authority_key_identifier, "keyid:always");
      if (ok && !san.empty()) ok = add_ext(x.get(), issuer, NID_subject_alt_name, san.c_str());
    }
    if (!ok) return nullptr;
    if (X509_sign(x.get(), key.get(), EVP_sha256()) <= 0) return nullptr;
    return x;
  }
};

Authority::~Authority() = default;

std::unique_ptr<Authority> Authority::open_or_create(const std::string& dir, std::string& error) {
  std::unique_ptr<Authority> a(new Authority());
  a->impl_ = std::make_unique<Impl>();
  std::string cert_path = dir + "/ca.pem", key_path = dir + "/ca.key";
  bool have_cert = false, have_key = false;
  std::string cert_text = read_file(cert_path, have_cert);
  std::string key_text = read_file(key_path, have_key);
  if (have_cert != have_key) {
    error = "only one of " + cert_path + " and " + key_path +
            " exists; restore the other or remove both to create a new CA";
    return nullptr;
  }
  if (have_cert) {
    // The CA key is the root of trust: owner-only (0600), also when an older
    // version left it readable by others (as OpenSSH insists for its keys).
    ::chmod(key_path.c_str(), 0600);
    Ptr<BIO> cb(BIO_new_mem_buf(cert_text.data(), static_cast<int>(cert_text.size())));
    Ptr<BIO> kb(BIO_new_mem_buf(key_text.data(), static_cast<int>(key_text.size())));
    a->impl_->cert.reset(PEM_read_bio_X509(cb.get(), nullptr, nullptr, nullptr));
    a->impl_->key.reset(PEM_read_bio_PrivateKey(kb.get(), nullptr, nullptr, nullptr));
    if (!a->impl_->cert || !a->impl_->key || X509_check_private_key(a->impl_->cert.get(), a->impl_->key.get()) != 1) {
      error = "the CA in " + dir + " is unreadable or its key does not match its certificate";
      return nullptr;
    }
  } else {
    a->impl_->key = new_ec_key();
    if (!a->impl_->key) {
      error = "cannot generate the CA key";
      return nullptr;
    }
    Ptr<X509> tmp(X509_new());
    X509_NAME* name = X509_get_subject_name(tmp.get());
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("mos local cloud"), -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("mos-cloud local root CA"), -1, -1, 0);
    int64_t now = static_cast<int64_t>(std::time(nullptr));
    a->impl_->cert = a->impl_->issue(a->impl_->key.get(), name, now - 3600, kDeviceNotAfter + 86400,
                                     "", false, true);
    if (!a->impl_->cert) {
      error = "cannot create the CA certificate";
      return nullptr;
    }
    if (!write_file(key_path, key_pem(a->impl_->key.get()), 0600) ||
        !write_file(cert_path, cert_pem(a->impl_->cert.get()), 0644)) {
      error = "cannot write the CA to " + dir + " (is it writable?)";
      return nullptr;
    }
  }
  a->ca_pem_ = cert_pem(a->impl_->cert.get());
  a->ca_id_ = der_id(a->impl_->cert.get());
  return a;
}

Result Authority::sign_csr(std::string_view csr_pem) {
  Result r;
  Ptr<BIO> b(BIO_new_mem_buf(csr_pem.data(), static_cast<int>(csr_pem.size())));
  Ptr<X509_REQ> req(csr_pem.size() > 1 << 20 ? nullptr
                                              : PEM_read_bio_X509_REQ(b.get(), nullptr, nullptr, nullptr));
  if (!req) {
    r.error = Error::kMalformed;
    r.message = "The certificate signing request is not a valid PEM-encoded PKCS#10 request.";
    return r;
  }
  EVP_PKEY* pub = X509_REQ_get0_pubkey(req.get());
  if (!pub) {
    r.error = Error::kMalformed;
    r.message = "The certificate signing request has no usable public key.";
    return r;
  }
  // PKCS#10 (RFC 2986 §4.2): the request is signed by the key it carries.
  if (X509_REQ_verify(req.get(), pub) != 1) {
    r.error = Error::kBadSignature;
    r.message = "The certificate signing request's signature does not verify.";
    return r;
  }
  int type = EVP_PKEY_get_base_id(pub);
  bool strong = false;
  if (type == EVP_PKEY_RSA) {
    strong = EVP_PKEY_get_bits(pub) >= 2048;
  } else if (type == EVP_PKEY_EC) {
    char group[64] = {0};
    size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(pub, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len) == 1) {
      std::string g(group, len);
      strong = g == "prime256v1" || g == "secp384r1";
    }
  }
  if (!strong) {
    r.error = Error::kWeakKey;
    r.message = "The certificate signing request's key is not supported: use RSA with at least "
                "2048 bits, or EC P-256 or P-384.";
    return r;
  }
  std::lock_guard<std::mutex> lock(mu_);
  int64_t now = static_cast<int64_t>(std::time(nullptr));
  Ptr<X509> x = impl_->issue(pub, X509_REQ_get_subject_name(req.get()), now - 60, kDeviceNotAfter,
                             "", false, false);
  if (!x) {
    r.error = Error::kInternal;
    r.message = "signing failed";
    return r;
  }
  r.cert = describe(x.get());
  return r;
}

Result Authority::issue_with_key(std::string_view common_name, const std::vector<std::string>& dns,
                                 const std::vector<std::string>& ips, bool server, int days) {
  Result r;
  Ptr<EVP_PKEY> k = new_ec_key();
  Ptr<X509> tmp(X509_new());
  X509_NAME* name = X509_get_subject_name(tmp.get());
  std::string cn(common_name);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  std::string san;
  for (const auto& d : dns) san += (san.empty() ? "" : ",") + std::string("DNS:") + d;
  for (const auto& i : ips) san += (san.empty() ? "" : ",") + std::string("IP:") + i;
  std::lock_guard<std::mutex> lock(mu_);
  int64_t now = static_cast<int64_t>(std::time(nullptr));
  int64_t not_after = days > 0 ? now + int64_t{days} * 86400 : kDeviceNotAfter;
  Ptr<X509> x = k ? impl_->issue(k.get(), name, now - 60, not_after, san, server, false) : nullptr;
  if (!x) {
    r.error = Error::kInternal;
    r.message = "certificate issue failed";
    return r;
  }
  r.cert = describe(x.get());
  r.private_key_pem = key_pem(k.get());
  r.public_key_pem = pub_pem(k.get());
  return r;
}

Result Authority::create_keys_and_certificate(std::string_view common_name) {
  return issue_with_key(common_name, {}, {}, false, 0);
}

std::string certificate_id(std::string_view pem) {
  Ptr<X509> x = parse_pem(pem);
  return x ? der_id(x.get()) : std::string();
}

std::optional<Issued> describe_certificate(std::string_view pem) {
  Ptr<X509> x = parse_pem(pem);
  if (!x) return std::nullopt;
  return describe(x.get());
}

}  // namespace mos::ca

#include "mos/ca/ca.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;
using namespace mos::ca;

namespace {

std::string make_csr(EVP_PKEY* key, const char* cn) {
  X509_REQ* req = X509_REQ_new();
  X509_NAME* name = X509_REQ_get_subject_name(req);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
  X509_REQ_set_pubkey(req, key);
  X509_REQ_sign(req, key, EVP_sha256());
  BIO* b = BIO_new(BIO_s_mem());
  PEM_write_bio_X509_REQ(b, req);
  char* data = nullptr;
  long n = BIO_get_mem_data(b, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(b);
  X509_REQ_free(req);
  return out;
}

std::string csr_for(const char* kind, const char* cn = "dev1") {
  EVP_PKEY* k = nullptr;
  std::string k_s(kind);
  if (k_s == "P-256" || k_s == "P-384" || k_s == "P-521") k = EVP_EC_gen(kind);
  else if (k_s == "RSA-1024") k = EVP_RSA_gen(1024);
  else if (k_s == "RSA-2048") k = EVP_RSA_gen(2048);
  std::string csr = make_csr(k, cn);
  EVP_PKEY_free(k);
  return csr;
}

// openssl verify, in process: the issued PEM chains to the CA PEM.
bool chains_to(const std::string& leaf_pem, const std::string& ca_pem) {
  BIO* lb = BIO_new_mem_buf(leaf_pem.data(), static_cast<int>(leaf_pem.size()));
  BIO* cb = BIO_new_mem_buf(ca_pem.data(), static_cast<int>(ca_pem.size()));
  X509* leaf = PEM_read_bio_X509(lb, nullptr, nullptr, nullptr);
  X509* ca = PEM_read_bio_X509(cb, nullptr, nullptr, nullptr);
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, ca);
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, leaf, nullptr);
  X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT);
  bool ok = X509_verify_cert(ctx) == 1;
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  X509_free(leaf);
  X509_free(ca);
  BIO_free(lb);
  BIO_free(cb);
  return ok;
}

class CaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() / ("mos-ca-" + std::to_string(::getpid()) + "-" +
                                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::string err;
    ca = Authority::open_or_create(dir.string(), err);
    ASSERT_TRUE(ca) << err;
  }
  void TearDown() override { fs::remove_all(dir); }
  fs::path dir;
  std::unique_ptr<Authority> ca;
};

}  // namespace

TEST_F(CaTest, CreatedOnceAndReloaded) {
  EXPECT_TRUE(fs::exists(dir / "ca.pem"));
  EXPECT_EQ(fs::status(dir / "ca.key").permissions() & fs::perms::group_read, fs::perms::none);
  std::string err;
  auto again = Authority::open_or_create(dir.string(), err);
  ASSERT_TRUE(again) << err;
  EXPECT_EQ(again->ca_id(), ca->ca_id());
  EXPECT_EQ(again->ca_id(), certificate_id(ca->ca_pem()));
  EXPECT_EQ(ca->ca_id().size(), 64u);
}

TEST_F(CaTest, SignsStrongCsrsThatVerify) {
  for (const char* kind : {"P-256", "P-384", "RSA-2048"}) {
    SCOPED_TRACE(kind);
    Result r = ca->sign_csr(csr_for(kind, "esp8266_A1B2C3"));
    ASSERT_TRUE(r.ok()) << r.message;
    EXPECT_EQ(r.cert.subject, "CN=esp8266_A1B2C3");
    EXPECT_EQ(r.cert.id, certificate_id(r.cert.pem));
    EXPECT_EQ(r.cert.not_after, 2524607999);
    EXPECT_TRUE(chains_to(r.cert.pem, ca->ca_pem()));
  }
  // A certificate from another CA does not chain.
  std::string err;
  fs::create_directories(dir / "other");
  auto other = Authority::open_or_create((dir / "other").string(), err);
  Result r = other->sign_csr(csr_for("P-256"));
  EXPECT_FALSE(chains_to(r.cert.pem, ca->ca_pem()));
}

TEST_F(CaTest, RejectsWeakGarbageAndForgedCsrs) {
  EXPECT_EQ(ca->sign_csr(csr_for("RSA-1024")).error, Error::kWeakKey);
  EXPECT_EQ(ca->sign_csr(csr_for("P-521")).error, Error::kWeakKey);
  EXPECT_EQ(ca->sign_csr("").error, Error::kMalformed);
  EXPECT_EQ(ca->sign_csr("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n").error,
            Error::kMalformed);
  // Flip one byte inside the base64 signature area: the self-signature fails
  // (or the DER no longer parses); either way nothing is issued.
  std::string csr = csr_for("P-256");
  size_t end = csr.find("-----END");
  csr[end - 10] = csr[end - 10] == 'A' ? 'B' : 'A';
  Result r = ca->sign_csr(csr);
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(r.error == Error::kBadSignature || r.error == Error::kMalformed);
}

TEST_F(CaTest, ServerCertificateHasSans) {
  Result r = ca->issue_with_key("localhost", {"localhost"}, {"127.0.0.1"}, true, 825);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r.private_key_pem.empty());
  BIO* b = BIO_new_mem_buf(r.cert.pem.data(), static_cast<int>(r.cert.pem.size()));
  X509* x = PEM_read_bio_X509(b, nullptr, nullptr, nullptr);
  EXPECT_EQ(X509_check_host(x, "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(x, "127.0.0.1", 0), 1);
  X509_free(x);
  BIO_free(b);
  Result k = ca->create_keys_and_certificate("AWS IoT Certificate");
  ASSERT_TRUE(k.ok());
  EXPECT_NE(k.public_key_pem.find("BEGIN PUBLIC KEY"), std::string::npos);
  EXPECT_TRUE(chains_to(k.cert.pem, ca->ca_pem()));
}

// A certificate kept in the data dir (e.g. the console's) is described as the
// CA described it when issuing it, so it can be registered later.
TEST_F(CaTest, DescribesAnIssuedCertificateFromItsPem) {
  Result r = ca->issue_with_key("mos-cloud-console", {}, {}, false, 3650);
  ASSERT_TRUE(r.ok());
  auto d = describe_certificate(r.cert.pem);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->id, r.cert.id);
  EXPECT_EQ(d->subject, "CN=mos-cloud-console");
  EXPECT_EQ(d->not_before, r.cert.not_before);
  EXPECT_EQ(d->not_after, r.cert.not_after);
  EXPECT_GT(d->not_after - d->not_before, int64_t{3649} * 86400);
  EXPECT_EQ(d->pem, r.cert.pem);
  EXPECT_FALSE(describe_certificate("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").has_value());
  EXPECT_FALSE(describe_certificate("").has_value());
}

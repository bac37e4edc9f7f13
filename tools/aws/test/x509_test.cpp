// The device key and CSR: the types AWS IoT accepts, CN = the device ID.
#include <gtest/gtest.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "mos/aws/amazon_root_cas.h"
#include "mos/aws/x509.h"

namespace mos::aws {
namespace {

void check_csr(const std::string& csr_pem, const char* algo) {
  BIO* b = BIO_new_mem_buf(csr_pem.data(), static_cast<int>(csr_pem.size()));
  X509_REQ* req = PEM_read_bio_X509_REQ(b, nullptr, nullptr, nullptr);
  BIO_free(b);
  ASSERT_NE(req, nullptr);
  EVP_PKEY* pub = X509_REQ_get0_pubkey(req);
  EXPECT_TRUE(EVP_PKEY_is_a(pub, algo));
  EXPECT_EQ(X509_REQ_verify(req, pub), 1);
  char cn[64] = {};
  X509_NAME_get_text_by_NID(X509_REQ_get_subject_name(req), NID_commonName, cn, sizeof cn);
  EXPECT_STREQ(cn, "esp8266_ABCDEF");
  if (std::string(algo) == "EC") {
    char curve[32] = {};
    size_t len = 0;
    EVP_PKEY_get_utf8_string_param(pub, "group", curve, sizeof curve, &len);
    EXPECT_STREQ(curve, "prime256v1");
  } else {
    EXPECT_EQ(EVP_PKEY_get_bits(pub), 2048);
  }
  X509_REQ_free(req);
}

TEST(AwsX509, EcdsaKeyAndCsr) {
  KeyPair k = generate_key(KeyType::kEcdsaP256);
  EXPECT_EQ(k.private_key_pem.rfind("-----BEGIN PRIVATE KEY-----", 0), 0u);
  check_csr(make_csr(k, "esp8266_ABCDEF"), "EC");
}

TEST(AwsX509, RsaKeyAndCsr) {
  KeyPair k = generate_key(KeyType::kRsa2048);
  check_csr(make_csr(k, "esp8266_ABCDEF"), "RSA");
}

TEST(AwsX509, EmbeddedAmazonRootsParse) {
  std::string pem = kAmazonRootCas;
  CertInfo first = describe_certificate(pem);
  ASSERT_TRUE(first.ok);
  EXPECT_EQ(first.subject, "CN=Amazon Root CA 1,O=Amazon,C=US");
  CertInfo second = describe_certificate(pem.substr(pem.find("-----END CERTIFICATE-----") + 25));
  ASSERT_TRUE(second.ok);
  EXPECT_EQ(second.subject, "CN=Amazon Root CA 3,O=Amazon,C=US");
  EXPECT_EQ(second.key_type, "ECDSA");
  EXPECT_FALSE(describe_certificate("not a cert").ok);
  EXPECT_FALSE(key_matches_certificate(generate_key(KeyType::kEcdsaP256).private_key_pem, pem));
}

}  // namespace
}  // namespace mos::aws

// The API in-process: requests signed with the same SigV4 signer the tests
// trust (vectors), checked for AWS status codes, error types and shapes.
#include "api.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <ctime>
#include <filesystem>

namespace fs = std::filesystem;
using nlohmann::json;
using namespace mos::cloud;

namespace {

std::string csr_pem(int rsa_bits) {
  EVP_PKEY* k = rsa_bits ? EVP_RSA_gen(static_cast<unsigned>(rsa_bits)) : EVP_EC_gen("P-256");
  X509_REQ* req = X509_REQ_new();
  X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("dev1"), -1, -1, 0);
  X509_REQ_set_pubkey(req, k);
  X509_REQ_sign(req, k, EVP_sha256());
  BIO* b = BIO_new(BIO_s_mem());
  PEM_write_bio_X509_REQ(b, req);
  char* d = nullptr;
  long n = BIO_get_mem_data(b, &d);
  std::string out(d, static_cast<size_t>(n));
  BIO_free(b);
  X509_REQ_free(req);
  EVP_PKEY_free(k);
  return out;
}

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() / ("mos-api-" + std::to_string(::getpid()) + "-" +
                                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::string err;
    reg = mos::registry::Registry::open((dir / "registry.db").string(), err);
    ca = mos::ca::Authority::open_or_create(dir.string(), err);
    ASSERT_TRUE(reg && ca) << err;
    api = std::make_unique<Api>(Settings{}, *reg, *ca, [this](const std::string& t, const std::string& p, int q, bool) {
      published.push_back(t + "|" + p + "|" + std::to_string(q));
      return std::string();
    });
  }
  void TearDown() override {
    api.reset();
    reg.reset();
    fs::remove_all(dir);
  }
  Response call(const std::string& method, const std::string& target, const std::string& body = "",
                std::vector<mos::sigv4::Header> extra = {}, const std::string& service = "execute-api",
                const std::string& secret = "mos-local-secret", int64_t skew = 0) {
    mos::sigv4::Request r{method, target, {{"Host", "127.0.0.1:4567"}}, body};
    for (auto& h : extra) r.headers.push_back(h);
    int64_t now = static_cast<int64_t>(std::time(nullptr));
    mos::sigv4::sign_headers(r, {"AKIDMOSLOCAL", secret, ""}, "us-east-1", service, now + skew);
    return api->handle(r, now);
  }
  static std::string type(const Response& r) {
    auto it = r.headers.find("x-amzn-ErrorType");
    return it == r.headers.end() ? "" : it->second;
  }
  std::string new_cert(bool active) {
    Response r = call("POST", std::string("/certificates?setAsActive=") + (active ? "true" : "false"),
                      json{{"certificateSigningRequest", csr_pem(0)}}.dump());
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body)["certificateId"];
  }
  fs::path dir;
  std::unique_ptr<mos::registry::Registry> reg;
  std::unique_ptr<mos::ca::Authority> ca;
  std::unique_ptr<Api> api;
  std::vector<std::string> published;
};

const char* kPolicy = R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:*","Resource":"*"}]})";

}  // namespace

TEST_F(ApiTest, SignatureIsRequiredAndChecked) {
  mos::sigv4::Request unsigned_req{"GET", "/things", {{"Host", "h"}}, ""};
  Response r = api->handle(unsigned_req, std::time(nullptr));
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(type(r), "MissingAuthenticationTokenException");
  EXPECT_EQ(type(call("GET", "/things", "", {}, "execute-api", "wrong")), "InvalidSignatureException");
  EXPECT_EQ(call("GET", "/things", "", {}, "execute-api", "wrong").status, 403);
  EXPECT_EQ(type(call("GET", "/things", "", {}, "s3")), "InvalidSignatureException");
  EXPECT_EQ(type(call("GET", "/things", "", {}, "execute-api", "mos-local-secret", 16 * 60)), "InvalidSignatureException");
  EXPECT_EQ(call("GET", "/things", "", {}, "iot").status, 200);
  EXPECT_EQ(json::parse(r.body).count("message"), 1u);
}

TEST_F(ApiTest, CertificateLifecycle) {
  std::string id = new_cert(true);
  EXPECT_EQ(id.size(), 64u);
  Response d = call("GET", "/certificates/" + id);
  ASSERT_EQ(d.status, 200);
  EXPECT_EQ(json::parse(d.body)["certificateDescription"]["status"], "ACTIVE");
  EXPECT_EQ(call("DELETE", "/certificates/" + id).status, 406);
  EXPECT_EQ(type(call("DELETE", "/certificates/" + id)), "CertificateStateException");
  ASSERT_EQ(call("POST", "/policies/p1", json{{"policyDocument", kPolicy}}.dump()).status, 200);
  std::string arn = reg->arn("cert", id);
  ASSERT_EQ(call("PUT", "/target-policies/p1", json{{"target", arn}}.dump()).status, 200);
  EXPECT_EQ(call("PUT", "/certificates/" + id + "?newStatus=INACTIVE").status, 200);
  EXPECT_EQ(type(call("DELETE", "/certificates/" + id)), "DeleteConflictException");
  EXPECT_EQ(call("POST", "/target-policies/p1", json{{"target", arn}}.dump()).status, 200);
  EXPECT_EQ(call("DELETE", "/certificates/" + id).status, 200);
  EXPECT_EQ(type(call("GET", "/certificates/" + id)), "ResourceNotFoundException");
  EXPECT_EQ(type(call("GET", "/certificates/xyz")), "InvalidRequestException");
}

TEST_F(ApiTest, BadInputIsRejectedWithAwsShapes) {
  EXPECT_EQ(type(call("POST", "/certificates", "{not json")), "InvalidRequestException");
  EXPECT_EQ(type(call("POST", "/certificates", "[1,2]")), "InvalidRequestException");
  EXPECT_EQ(type(call("POST", "/certificates", json{{"certificateSigningRequest", 5}}.dump())), "InvalidRequestException");
  EXPECT_EQ(type(call("POST", "/certificates", json{{"certificateSigningRequest", "garbage"}}.dump())), "InvalidRequestException");
  EXPECT_EQ(type(call("POST", "/certificates", json{{"certificateSigningRequest", csr_pem(1024)}}.dump())), "InvalidRequestException");
  EXPECT_EQ(type(call("POST", "/things/..%2F..%2Fetc")), "InvalidRequestException");
  EXPECT_EQ(type(call("POST", "/things/a%20b")), "InvalidRequestException");
  EXPECT_EQ(type(call("POST", "/things/a%00b")), "InvalidRequestException");
  EXPECT_EQ(type(call("POST", "/policies/a%00b", json{{"policyDocument", kPolicy}}.dump())), "InvalidRequestException");
  EXPECT_EQ(type(call("POST", "/things/a%zz")), "InvalidRequestException");  // bad escape
  EXPECT_EQ(type(call("POST", "/policies/p", json{{"policyDocument", "{}"}}.dump())), "MalformedPolicyException");
  EXPECT_EQ(type(call("GET", "/no/such/operation")), "UnknownOperationException");
  EXPECT_EQ(call("POST", "/policies/p", std::string(200 * 1024, ' ')).status, 413);
  EXPECT_TRUE(reg->things().empty());
  EXPECT_TRUE(reg->policies(true).empty());
}

TEST_F(ApiTest, PoliciesAndVersions) {
  Response c = call("POST", "/policies/p1", json{{"policyDocument", kPolicy}}.dump());
  ASSERT_EQ(c.status, 200);
  EXPECT_EQ(json::parse(c.body)["policyVersionId"], "1");
  EXPECT_EQ(type(call("POST", "/policies/p1", json{{"policyDocument", kPolicy}}.dump())), "ResourceAlreadyExistsException");
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(call("POST", "/policies/p1/version?setAsDefault=true", json{{"policyDocument", kPolicy}}.dump()).status, 200);
  EXPECT_EQ(type(call("POST", "/policies/p1/version", json{{"policyDocument", kPolicy}}.dump())), "VersionsLimitExceededException");
  EXPECT_EQ(json::parse(call("GET", "/policies/p1").body)["defaultVersionId"], "5");
  EXPECT_EQ(json::parse(call("GET", "/policies/p1/version").body)["policyVersions"].size(), 5u);
  EXPECT_EQ(type(call("DELETE", "/policies/p1")), "DeleteConflictException");
  EXPECT_EQ(type(call("GET", "/policies/nope")), "ResourceNotFoundException");
}

TEST_F(ApiTest, ThingsPrincipalsEndpointAndPublish) {
  std::string id = new_cert(true);
  std::string arn = reg->arn("cert", id);
  Response t = call("POST", "/things/dev1", json{{"attributePayload", {{"attributes", {{"model", "esp"}}}}}}.dump());
  ASSERT_EQ(t.status, 200) << t.body;
  EXPECT_EQ(call("PUT", "/things/dev1/principals", "", {{"x-amzn-principal", arn}}).status, 200);
  EXPECT_EQ(type(call("PUT", "/things/dev1/principals", "", {{"x-amzn-principal", "bogus"}})), "InvalidRequestException");
  EXPECT_EQ(json::parse(call("GET", "/things/dev1/principals").body)["principals"][0], arn);
  EXPECT_EQ(type(call("DELETE", "/things/dev1")), "InvalidRequestException");
  EXPECT_EQ(type(call("GET", "/things/ghost/principals")), "ResourceNotFoundException");
  EXPECT_EQ(json::parse(call("GET", "/endpoint?endpointType=iot%3AData-ATS").body)["endpointAddress"], "localhost");
  EXPECT_EQ(call("POST", "/topics/a%2Fb?qos=1", "hello", {}, "iotdata").status, 200);
  ASSERT_EQ(published.size(), 1u);
  EXPECT_EQ(published[0], "a/b|hello|1");
  EXPECT_EQ(type(call("POST", "/topics/a%2Fb", "x")), "InvalidSignatureException");  // wrong service
  EXPECT_EQ(type(call("POST", "/topics/a%2F%23", "x", {}, "iotdata")), "InvalidRequestException");
}

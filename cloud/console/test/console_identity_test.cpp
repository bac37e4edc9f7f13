// The console's certificate is registered ACTIVE with its policy the first
// time, and left as a person left it afterwards.
#include "console_identity.h"

#include <gtest/gtest.h>

#include "mos/ca/ca.h"
#include "mos/policy/policy.h"
#include "temp_registry.h"

using namespace mos::console;

namespace {

TEST(ConsoleIdentity, RegisteredOnceThenLeftAlone) {
  test::TempRegistry tr;
  std::string err;
  auto ca = mos::ca::Authority::open_or_create(tr.dir.string(), err);
  ASSERT_TRUE(ca) << err;
  auto issued = ca->issue_with_key("mos-cloud-console", {}, {}, false, 3650);
  ASSERT_TRUE(issued.ok());
  ASSERT_TRUE(register_console_identity(*tr.reg, issued.cert.pem, ca->ca_id(), 1700000000, err)) << err;
  auto cert = tr.reg->certificate(issued.cert.id);
  ASSERT_TRUE(cert);
  EXPECT_EQ(cert->status, "ACTIVE");
  EXPECT_EQ(cert->subject, "CN=mos-cloud-console");
  EXPECT_EQ(cert->ca_certificate_id, ca->ca_id());
  EXPECT_EQ(tr.reg->attached_policies(cert->arn), std::vector<std::string>{"mos-cloud-console"});
  auto policy = tr.reg->policy("mos-cloud-console");
  ASSERT_TRUE(policy);
  EXPECT_TRUE(mos::policy::validate(policy->default_document).ok);
  EXPECT_NE(policy->default_document.find("arn:aws:iot:us-east-1:123456789012:client/mos-cloud-console"),
            std::string::npos);
  EXPECT_NE(policy->default_document.find("topicfilter/*"), std::string::npos);

  // A person detaches the policy and deactivates the certificate; init again
  // (mos cloud up) leaves that as it is.
  ASSERT_EQ(tr.reg->detach_policy(cert->arn, "mos-cloud-console"), mos::registry::Err::kOk);
  ASSERT_EQ(tr.reg->set_certificate_status(cert->id, "INACTIVE", 1700000001), mos::registry::Err::kOk);
  ASSERT_TRUE(register_console_identity(*tr.reg, issued.cert.pem, ca->ca_id(), 1700000002, err)) << err;
  EXPECT_TRUE(tr.reg->attached_policies(cert->arn).empty());
  EXPECT_EQ(tr.reg->certificate(cert->id)->status, "INACTIVE");
  EXPECT_EQ(tr.reg->certificates(true).size(), 1u);

  EXPECT_FALSE(register_console_identity(*tr.reg, "not a pem", ca->ca_id(), 1, err));
  EXPECT_NE(err.find("does not parse"), std::string::npos);
}

}  // namespace

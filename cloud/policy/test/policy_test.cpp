// Table tests for AWS IoT policy validation and evaluation.
#include "mos/policy/policy.h"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

namespace mos::policy {
namespace {

constexpr const char* kArn = "arn:aws:iot:us-east-1:123456789012:";

std::string topic(const std::string& t) { return std::string(kArn) + "topic/" + t; }
std::string filter(const std::string& f) { return std::string(kArn) + "topicfilter/" + f; }
std::string client(const std::string& c) { return std::string(kArn) + "client/" + c; }

std::string doc(const std::string& statements) {
  return R"({"Version":"2012-10-17","Statement":)" + statements + "}";
}

PolicyDoc must_parse(const std::string& name, const std::string& text) {
  std::string err;
  auto p = PolicyDoc::parse(name, text, &err);
  EXPECT_TRUE(p.has_value()) << err << "\n" << text;
  return p ? *p : PolicyDoc{name, {}};
}

// ---------------- validate ----------------

struct ValidateCase {
  const char* what;
  std::string document;
  bool ok;
  const char* error_has;  // substring of the error when !ok
};

void PrintTo(const ValidateCase& c, std::ostream* os) { *os << c.what; }

class ValidateTest : public ::testing::TestWithParam<ValidateCase> {};

TEST_P(ValidateTest, Table) {
  const auto& c = GetParam();
  ParseResult r = validate(c.document);
  EXPECT_EQ(r.ok, c.ok) << c.what << ": " << r.error;
  if (!c.ok) {
    EXPECT_NE(r.error.find(c.error_has), std::string::npos) << c.what << ": got \"" << r.error << "\"";
  } else {
    EXPECT_TRUE(r.error.empty());
  }
}

const ValidateCase kValidate[] = {
    {"statement object", doc(R"({"Effect":"Allow","Action":"iot:*","Resource":"*"})"), true, ""},
    {"statement array, arrays", doc(R"([{"Sid":"a","Effect":"Deny","Action":["iot:Publish","iot:Receive"],"Resource":["arn:aws:iot:us-east-1:1:topic/x"]}])"), true, ""},
    {"condition accepted", doc(R"({"Effect":"Allow","Action":"iot:Connect","Resource":"*","Condition":{"Bool":{"iot:Connection.Thing.IsAttached":["true"]}}})"), true, ""},
    {"variables", doc(R"({"Effect":"Allow","Action":"iot:Publish","Resource":"arn:aws:iot:us-east-1:1:topic/${iot:ClientId}/${*}"})"), true, ""},
    {"not json", "{\"Version\":", false, "not valid JSON"},
    {"not object", "[1,2]", false, "must be a JSON object"},
    {"missing version", R"({"Statement":{"Effect":"Allow","Action":"iot:*","Resource":"*"}})", false, "missing Version"},
    {"wrong version", R"({"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"iot:*","Resource":"*"}})", false, "Version must be"},
    {"unknown top key", R"({"Version":"2012-10-17","Statment":[]})", false, "unknown top-level key \"Statment\""},
    {"missing statement", R"({"Version":"2012-10-17"})", false, "missing Statement"},
    {"empty statement array", doc("[]"), false, "empty array"},
    {"statement is string", doc(R"("x")"), false, "Statement must be an object or an array"},
    {"bad effect", doc(R"({"Effect":"allow","Action":"iot:*","Resource":"*"})"), false, "Statement.Effect must be \"Allow\" or \"Deny\""},
    {"missing effect", doc(R"([{"Action":"iot:*","Resource":"*"}])"), false, "Statement[0] is missing Effect"},
    {"missing action", doc(R"({"Effect":"Allow","Resource":"*"})"), false, "missing Action"},
    {"action number", doc(R"({"Effect":"Allow","Action":5,"Resource":"*"})"), false, "Action must be a string or an array"},
    {"action bad form", doc(R"({"Effect":"Allow","Action":"Publish","Resource":"*"})"), false, "is not an action"},
    {"action array item", doc(R"({"Effect":"Allow","Action":["iot:Publish",3],"Resource":"*"})"), false, "Action[1] must be a string"},
    {"missing resource", doc(R"({"Effect":"Allow","Action":"iot:*"})"), false, "missing Resource"},
    {"resource not arn", doc(R"({"Effect":"Allow","Action":"iot:*","Resource":"topic/x"})"), false, "must be \"*\" or an ARN"},
    {"resource empty array", doc(R"({"Effect":"Allow","Action":"iot:*","Resource":[]})"), false, "must not be an empty array"},
    {"unterminated var", doc(R"({"Effect":"Allow","Action":"iot:*","Resource":"arn:aws:iot:r:1:topic/${iot:ClientId"})"), false, "unterminated policy variable"},
    {"unknown statement key", doc(R"({"Effect":"Allow","Action":"iot:*","Resource":"*","Foo":1})"), false, "unknown key \"Foo\""},
    {"NotAction unsupported", doc(R"({"Effect":"Allow","NotAction":"iot:*","Resource":"*"})"), false, "NotAction is not supported"},
    {"condition not object", doc(R"({"Effect":"Allow","Action":"iot:*","Resource":"*","Condition":[]})"), false, "Condition must be an object"},
    {"condition value object", doc(R"({"Effect":"Allow","Action":"iot:*","Resource":"*","Condition":{"StringEquals":{"iot:ClientId":{}}}})"), false, "values must be strings"},
    {"too long", doc(R"({"Effect":"Allow","Action":"iot:*","Resource":"arn:aws:iot:r:1:topic/)" + std::string(2100, 'a') + "\"})"), false, "the limit is 2048"},
    {"whitespace does not count", doc(R"({"Effect":"Allow","Action":"iot:*","Resource":"*")" + std::string(5000, ' ') + "}"), true, ""},
    {"over raw byte cap", doc(R"({"Effect":"Allow","Action":"iot:*","Resource":"*")" + std::string(70000, ' ') + "}"), false, "bytes"},
};

INSTANTIATE_TEST_SUITE_P(Policy, ValidateTest, ::testing::ValuesIn(kValidate));

// ---------------- evaluate ----------------

struct EvalCase {
  const char* what;
  std::vector<std::pair<const char*, std::string>> policies;  // name, document
  const char* action;
  std::string resource;
  bool allowed;
  const char* reason;  // exact reason
};

Variables connection_vars() {
  Variables v;
  v.set("iot:ClientId", "esp8266_A1B2C3");
  v.set("iot:Connection.Thing.ThingName", "esp8266_A1B2C3");
  v.set("iot:Connection.Thing.IsAttached", "true");
  v.set("iot:Certificate.Subject.CommonName", "cn-dev");
  v.set("iot:Connection.Thing.Attributes[room]", "kitchen");
  return v;
}

void PrintTo(const EvalCase& c, std::ostream* os) { *os << c.what; }

class EvaluateTest : public ::testing::TestWithParam<EvalCase> {};

TEST_P(EvaluateTest, Table) {
  const auto& c = GetParam();
  std::vector<PolicyDoc> docs;
  for (const auto& [name, text] : c.policies) docs.push_back(must_parse(name, text));
  Decision d = evaluate(docs, c.action, c.resource, connection_vars());
  EXPECT_EQ(d.allowed, c.allowed) << c.what << ": " << d.reason;
  EXPECT_EQ(d.reason, c.reason) << c.what;
  EXPECT_EQ(BoundPolicies(docs, connection_vars()).allows(c.action, c.resource), c.allowed) << c.what;
}

const std::string kAllowAll = doc(R"({"Effect":"Allow","Action":"iot:*","Resource":"*"})");
std::string allow(const char* action, const std::string& res) {
  return doc(std::string(R"({"Effect":"Allow","Action":")") + action + R"(","Resource":")" + res + "\"}");
}
std::string deny(const char* action, const std::string& res) {
  return doc(std::string(R"({"Effect":"Deny","Action":")") + action + R"(","Resource":")" + res + "\"}");
}

const EvalCase kEvaluate[] = {
    {"no policies: default deny", {}, "iot:Connect", client("x"), false, "no statement allows"},
    {"iot:* on *", {{"mos-default", kAllowAll}}, "iot:Publish", topic("a/b"), true, "allowed by policy mos-default statement 1"},
    {"exact topic", {{"P", allow("iot:Publish", topic("a/b"))}}, "iot:Publish", topic("a/b"), true, "allowed by policy P statement 1"},
    {"other topic", {{"P", allow("iot:Publish", topic("a/b"))}}, "iot:Publish", topic("a/c"), false, "no statement allows"},
    {"other action", {{"P", allow("iot:Publish", topic("a/b"))}}, "iot:Receive", topic("a/b"), false, "no statement allows"},
    {"action case-insensitive", {{"P", allow("IOT:publish", topic("a/b"))}}, "iot:Publish", topic("a/b"), true, "allowed by policy P statement 1"},
    {"action wildcard", {{"P", allow("iot:Pub*", "*")}}, "iot:Publish", topic("a"), true, "allowed by policy P statement 1"},
    {"action wildcard miss", {{"P", allow("iot:Pub*", "*")}}, "iot:Subscribe", filter("a"), false, "no statement allows"},
    {"resource case-sensitive", {{"P", allow("iot:Publish", topic("A/b"))}}, "iot:Publish", topic("a/b"), false, "no statement allows"},
    {"star spans slashes", {{"P", allow("iot:Publish", topic("dev/*"))}}, "iot:Publish", topic("dev/x/y/z"), true, "allowed by policy P statement 1"},
    {"star needs prefix", {{"P", allow("iot:Publish", topic("dev/*"))}}, "iot:Publish", topic("devx/y"), false, "no statement allows"},
    {"question one char", {{"P", allow("iot:Publish", topic("room?"))}}, "iot:Publish", topic("room1"), true, "allowed by policy P statement 1"},
    {"question not zero", {{"P", allow("iot:Publish", topic("room?"))}}, "iot:Publish", topic("room"), false, "no statement allows"},
    {"question not two", {{"P", allow("iot:Publish", topic("room?"))}}, "iot:Publish", topic("room12"), false, "no statement allows"},
    {"plus literal: not a wildcard", {{"P", allow("iot:Subscribe", filter("a/+/c"))}}, "iot:Subscribe", filter("a/b/c"), false, "no statement allows"},
    {"plus literal: matches itself", {{"P", allow("iot:Subscribe", filter("a/+/c"))}}, "iot:Subscribe", filter("a/+/c"), true, "allowed by policy P statement 1"},
    {"hash literal: not a wildcard", {{"P", allow("iot:Subscribe", filter("a/#"))}}, "iot:Subscribe", filter("a/b"), false, "no statement allows"},
    {"hash literal: matches itself", {{"P", allow("iot:Subscribe", filter("a/#"))}}, "iot:Subscribe", filter("a/#"), true, "allowed by policy P statement 1"},
    {"topic vs topicfilter differ", {{"P", allow("iot:Subscribe", topic("a"))}}, "iot:Subscribe", filter("a"), false, "no statement allows"},
    {"var ClientId", {{"P", allow("iot:Connect", client("${iot:ClientId}"))}}, "iot:Connect", client("esp8266_A1B2C3"), true, "allowed by policy P statement 1"},
    {"var ClientId other client", {{"P", allow("iot:Connect", client("${iot:ClientId}"))}}, "iot:Connect", client("someone_else"), false, "no statement allows"},
    {"var in middle + star", {{"P", allow("iot:Publish", topic("dev/${iot:ClientId}/*"))}}, "iot:Publish", topic("dev/esp8266_A1B2C3/temp"), true, "allowed by policy P statement 1"},
    {"var in middle, other id", {{"P", allow("iot:Publish", topic("dev/${iot:ClientId}/*"))}}, "iot:Publish", topic("dev/other/temp"), false, "no statement allows"},
    {"var ThingName", {{"P", allow("iot:Publish", topic("things/${iot:Connection.Thing.ThingName}"))}}, "iot:Publish", topic("things/esp8266_A1B2C3"), true, "allowed by policy P statement 1"},
    {"var CommonName", {{"P", allow("iot:Publish", topic("cn/${iot:Certificate.Subject.CommonName}"))}}, "iot:Publish", topic("cn/cn-dev"), true, "allowed by policy P statement 1"},
    {"var attribute", {{"P", allow("iot:Publish", topic("room/${iot:Connection.Thing.Attributes[room]}"))}}, "iot:Publish", topic("room/kitchen"), true, "allowed by policy P statement 1"},
    {"unresolved var: allow does not apply", {{"P", allow("iot:Publish", topic("room/${iot:Connection.Thing.Attributes[floor]}"))}}, "iot:Publish", topic("room/"), false, "no statement allows"},
    {"unknown var: statement invalid", {{"P", allow("iot:Publish", "arn:aws:iot:us-east-1:123456789012:topic/${iot:Nope}")}}, "iot:Publish", topic("${iot:Nope}"), false, "no statement allows"},
    {"unresolved var: deny does not apply", {{"A", kAllowAll}, {"D", deny("iot:Publish", topic("${iot:Connection.Thing.Attributes[floor]}/*"))}}, "iot:Publish", topic("x/y"), true, "allowed by policy A statement 1"},
    {"escaped star is literal", {{"P", allow("iot:Publish", topic("a${*}"))}}, "iot:Publish", topic("ab"), false, "no statement allows"},
    {"escaped star matches star", {{"P", allow("iot:Publish", topic("a${*}"))}}, "iot:Publish", topic("a*"), true, "allowed by policy P statement 1"},
    {"deny wins in same policy", {{"P", doc(R"([{"Effect":"Allow","Action":"iot:*","Resource":"*"},{"Sid":"nosecret","Effect":"Deny","Action":"iot:Publish","Resource":")" + topic("secret/*") + R"("}])")}}, "iot:Publish", topic("secret/x"), false, "denied by policy P statement 2 (Sid nosecret)"},
    {"deny elsewhere does not block", {{"P", doc(R"([{"Effect":"Allow","Action":"iot:*","Resource":"*"},{"Effect":"Deny","Action":"iot:Publish","Resource":")" + topic("secret/*") + R"("}])")}}, "iot:Publish", topic("public/x"), true, "allowed by policy P statement 1"},
    {"deny wins across policies", {{"allow-all", kAllowAll}, {"no-pub", deny("iot:Publish", "*")}}, "iot:Publish", topic("a"), false, "denied by policy no-pub statement 1"},
    {"deny first, allow later", {{"no-pub", deny("iot:Publish", "*")}, {"allow-all", kAllowAll}}, "iot:Publish", topic("a"), false, "denied by policy no-pub statement 1"},
    {"allow in second policy", {{"A", allow("iot:Connect", "*")}, {"B", allow("iot:Publish", topic("x"))}}, "iot:Publish", topic("x"), true, "allowed by policy B statement 1"},
    {"multiple resources", {{"P", doc(R"({"Effect":"Allow","Action":["iot:Publish"],"Resource":[")" + topic("a") + R"(",")" + topic("b") + R"("]})")}}, "iot:Publish", topic("b"), true, "allowed by policy P statement 1"},
    {"condition Bool true", {{"P", doc(R"({"Effect":"Allow","Action":"iot:Connect","Resource":"*","Condition":{"Bool":{"iot:Connection.Thing.IsAttached":["true"]}}})")}}, "iot:Connect", client("x"), true, "allowed by policy P statement 1"},
    {"condition StringEquals false", {{"P", doc(R"({"Effect":"Allow","Action":"iot:Connect","Resource":"*","Condition":{"StringEquals":{"iot:Connection.Thing.Attributes[room]":"garage"}}})")}}, "iot:Connect", client("x"), false, "no statement allows"},
    {"condition StringLike", {{"P", doc(R"({"Effect":"Allow","Action":"iot:Connect","Resource":"*","Condition":{"StringLike":{"iot:ClientId":"esp8266_*"}}})")}}, "iot:Connect", client("x"), true, "allowed by policy P statement 1"},
    {"unknown condition: allow fails closed", {{"P", doc(R"({"Effect":"Allow","Action":"iot:Connect","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}})")}}, "iot:Connect", client("x"), false, "no statement allows"},
    {"unknown condition: deny fails closed", {{"A", kAllowAll}, {"D", doc(R"({"Effect":"Deny","Action":"iot:Connect","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}})")}}, "iot:Connect", client("x"), false, "denied by policy D statement 1"},
};

INSTANTIATE_TEST_SUITE_P(Policy, EvaluateTest, ::testing::ValuesIn(kEvaluate));

TEST(PolicyVariables, SubstitutedValueIsLiteral) {
  // A client id containing '*' must not turn into a wildcard.
  auto p = must_parse("P", allow("iot:Publish", topic("dev/${iot:ClientId}")));
  Variables v;
  v.set("iot:ClientId", "*");
  EXPECT_FALSE(evaluate({p}, "iot:Publish", topic("dev/anything"), v).allowed);
  EXPECT_TRUE(evaluate({p}, "iot:Publish", topic("dev/*"), v).allowed);
}

TEST(PolicyVariables, ThingNameMissingWhenNotAttached) {
  auto p = must_parse("P", allow("iot:Connect", client("${iot:Connection.Thing.ThingName}")));
  Variables v;
  v.set("iot:ClientId", "dev1");
  EXPECT_FALSE(evaluate({p}, "iot:Connect", client("dev1"), v).allowed);
  v.set("iot:Connection.Thing.ThingName", "dev1");
  EXPECT_TRUE(evaluate({p}, "iot:Connect", client("dev1"), v).allowed);
}

TEST(BoundPolicies, DropsInapplicableStatements) {
  auto p = must_parse("P", doc(R"([{"Effect":"Allow","Action":"iot:*","Resource":"arn:aws:iot:r:1:topic/${iot:Nope}"},
                                  {"Effect":"Allow","Action":"iot:*","Resource":"*"}])"));
  BoundPolicies b({p}, Variables{});
  EXPECT_EQ(b.statement_count(), 1u);
  EXPECT_EQ(b.check("iot:Publish", topic("x")).reason, "allowed by policy P statement 2");
}

TEST(Glob, Basics) {
  EXPECT_TRUE(glob_match("*", ""));
  EXPECT_TRUE(glob_match("a*b*c", "aXXbYYc"));
  EXPECT_FALSE(glob_match("a*b*c", "aXXbYY"));
  EXPECT_TRUE(glob_match("a?c", "abc"));
  EXPECT_FALSE(glob_match("a?c", "ac"));
  EXPECT_TRUE(glob_match("IOT:*", "iot:publish", true));
  EXPECT_FALSE(glob_match("IOT:*", "iot:publish", false));
  // Pathological backtracking stays bounded (O(n*m)).
  EXPECT_FALSE(glob_match(std::string(50, '*') + "b", std::string(2000, 'a')));
}

}  // namespace
}  // namespace mos::policy

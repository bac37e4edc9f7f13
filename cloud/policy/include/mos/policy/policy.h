// AWS IoT Core policy documents: validation and evaluation (host only).
//
// Semantics follow the AWS IoT Core developer guide ("AWS IoT Core policies",
// "Policy evaluation", "Thing policy variables") and the IAM policy grammar it
// borrows:
//  - default deny; an explicit Deny in any attached policy wins over every Allow;
//  - Action: "iot:Publish", "iot:*", "*", wildcards `*`/`?`, case-insensitive;
//  - Resource: ARNs with `*` (any run, including '/') and `?` (one character),
//    case-sensitive. MQTT `+` and `#` are LITERAL characters in policies;
//  - policy variables `${...}` are substituted before matching; a value that
//    came from a variable is matched literally (a client id "*" is not a
//    wildcard). `${*}`, `${?}`, `${$}` stand for the literal characters.
//    If a variable cannot be resolved (unknown name, or no value for this
//    connection, e.g. Thing.ThingName when no thing named like the client id is
//    attached to the certificate), the whole statement does not apply, as AWS
//    documents ("the variable won't be resolved and will result in an access
//    denied error"; IAM: "this might cause the entire statement to be invalid").
//  - Condition: accepted by validate() (AWS accepts it). At evaluation the
//    operators StringEquals, StringNotEquals, StringLike, StringNotLike and Bool
//    (each optionally ...IfExists) are supported over the connection context
//    keys below. A condition this engine cannot evaluate (other operators, or
//    keys it does not know) FAILS CLOSED: an Allow statement then does not
//    apply and a Deny statement does.
//
// Context keys (Variables::values), as the plugin fills them per connection:
//   iot:ClientId, iot:Connection.Thing.ThingName, iot:Connection.Thing.IsAttached
//   ("true"/"false"), iot:Certificate.Subject.CommonName,
//   iot:Connection.Thing.Attributes[<name>], iot:Connection.Thing.ThingTypeName.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mos::policy {

// AWS IoT: "The maximum size of a policy document is 2048 characters
// (excluding white space)".
inline constexpr size_t kMaxDocumentChars = 2048;
// Raw bytes accepted before parsing at all (whitespace included).
inline constexpr size_t kMaxDocumentBytes = 64 * 1024;

struct ParseResult {
  bool ok = false;
  std::string error;  // names what is wrong, e.g. "Statement[1].Effect must be \"Allow\" or \"Deny\""
};

// Checks an AWS IoT policy document (for MalformedPolicyException).
ParseResult validate(std::string_view document_json);

struct Variables {
  // key: context key without "${" "}", e.g. "iot:ClientId".
  std::map<std::string, std::string, std::less<>> values;
  void set(std::string key, std::string value) { values[std::move(key)] = std::move(value); }
  const std::string* find(std::string_view key) const {
    auto it = values.find(key);
    return it == values.end() ? nullptr : &it->second;
  }
};

// One condition clause: Operator -> key -> values.
struct ConditionClause {
  std::string op;  // e.g. "StringEquals", "BoolIfExists"
  std::string key;
  std::vector<std::string> values;
};

struct Statement {
  bool allow = false;
  std::string sid;
  std::vector<std::string> actions;
  std::vector<std::string> resources;
  std::vector<ConditionClause> conditions;
};

// A parsed policy (one version's document) with its name for reasons.
struct PolicyDoc {
  std::string name;
  std::vector<Statement> statements;

  // Parses (and validates) a document; on failure returns nullopt and sets *error.
  static std::optional<PolicyDoc> parse(std::string name, std::string_view document_json,
                                        std::string* error);
};

struct Decision {
  bool allowed = false;
  // "allowed by policy P statement N", "no statement allows",
  // "denied by policy P statement N" (with the Sid when it has one).
  std::string reason;
};

// A set of policies bound to one connection's variables: variables are
// substituted and conditions decided once, so each check is only matching.
class BoundPolicies {
 public:
  BoundPolicies() = default;
  BoundPolicies(const std::vector<PolicyDoc>& policies, const Variables& vars);
  Decision check(std::string_view action, std::string_view resource) const;
  // Same decision as check().allowed without building the reason (hot path).
  bool allows(std::string_view action, std::string_view resource) const;
  // Number of statements that survived binding (for tests and logs).
  size_t statement_count() const { return statements_.size(); }

  struct Pattern {
    std::string text;   // pattern characters
    std::string kinds;  // per character: 'L' literal, '*' any run, '?' one char
    // Set by finish(): the hot path skips the glob matcher for these.
    bool all_literal = false;  // no wildcard: plain comparison
    bool match_all = false;    // exactly "*"
    bool prefix_star = false;  // literal prefix then a single trailing "*" (typical ARN)
    size_t prefix = 0;         // length of the literal run before the first wildcard
    void finish();
  };
  struct BoundStatement {
    bool allow = false;
    std::string where;  // "policy P statement N"
    std::vector<Pattern> actions;
    std::vector<Pattern> resources;
  };

 private:
  // Returns the first matching Deny, else the first matching Allow, else null.
  const BoundStatement* decide(std::string_view action, std::string_view resource) const;
  std::vector<BoundStatement> statements_;
};

// evaluate() == BoundPolicies(policies, vars).check(action, resource).
Decision evaluate(const std::vector<PolicyDoc>& policies, std::string_view action,
                  std::string_view resource, const Variables& vars);

// Wildcard match of `*`/`?` glob text against subject (exposed for tests).
bool glob_match(std::string_view pattern, std::string_view subject, bool case_insensitive = false);

}  // namespace mos::policy

// AWS IoT policy validation and evaluation; semantics are summarised in policy.h.
#include "mos/policy/policy.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>

namespace mos::policy {
namespace {

using nlohmann::json;

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// AWS counts the document size "excluding white space"; count UTF-8 code
// points (continuation bytes 10xxxxxx are not characters of their own).
size_t policy_chars(std::string_view doc) {
  size_t n = 0;
  for (char ch : doc) {
    auto c = static_cast<unsigned char>(ch);
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') continue;
    if ((c & 0xC0) == 0x80) continue;
    ++n;
  }
  return n;
}

std::string where_text(const std::string& base, const char* key) {
  return base + "." + key;
}

// Checks `${...}` syntax in a resource or condition value. Names are
// "<service>:<key>" (iot:ClientId, iot:Connection.Thing.Attributes[x]) or the
// escapes `*`, `?`, `$` (IAM "Special characters").
bool check_variables(std::string_view s, std::string* why) {
  for (size_t i = 0; i + 1 < s.size(); ++i) {
    if (s[i] != '$' || s[i + 1] != '{') continue;
    size_t close = s.find('}', i + 2);
    if (close == std::string_view::npos) {
      *why = "has an unterminated policy variable (\"${\" without \"}\")";
      return false;
    }
    std::string_view name = s.substr(i + 2, close - i - 2);
    if (name.empty()) {
      *why = "has an empty policy variable \"${}\"";
      return false;
    }
    i = close;
  }
  return true;
}

bool string_or_array(const json& v, const std::string& where, bool allow_empty_strings,
                     std::vector<std::string>* out, std::string* error) {
  auto take = [&](const json& item, const std::string& w) {
    if (!item.is_string()) {
      *error = w + " must be a string";
      return false;
    }
    const auto& s = item.get_ref<const std::string&>();
    if (s.empty() && !allow_empty_strings) {
      *error = w + " must not be empty";
      return false;
    }
    out->push_back(s);
    return true;
  };
  if (v.is_string()) return take(v, where);
  if (!v.is_array()) {
    *error = where + " must be a string or an array of strings";
    return false;
  }
  if (v.empty()) {
    *error = where + " must not be an empty array";
    return false;
  }
  for (size_t i = 0; i < v.size(); ++i) {
    if (!take(v[i], where + "[" + std::to_string(i) + "]")) return false;
  }
  return true;
}

bool valid_action(std::string_view a) {
  if (a == "*") return true;
  size_t colon = a.find(':');
  if (colon == 0 || colon == std::string_view::npos || colon + 1 == a.size()) return false;
  for (size_t i = 0; i < colon; ++i) {
    auto c = static_cast<unsigned char>(a[i]);
    if (!std::isalnum(c) && c != '-') return false;
  }
  for (size_t i = colon + 1; i < a.size(); ++i) {
    auto c = static_cast<unsigned char>(a[i]);
    if (!std::isalnum(c) && c != '*' && c != '?') return false;
  }
  return true;
}

bool parse_statement(const json& st, const std::string& where, Statement* out, std::string* error) {
  if (!st.is_object()) {
    *error = where + " must be an object";
    return false;
  }
  for (const auto& [key, value] : st.items()) {
    (void)value;
    if (key == "Sid" || key == "Effect" || key == "Action" || key == "Resource" ||
        key == "Condition") {
      continue;
    }
    if (key == "NotAction" || key == "NotResource" || key == "Principal" || key == "NotPrincipal") {
      *error = where + "." + key + " is not supported in AWS IoT policies; use Action and Resource";
    } else {
      *error = where + " has an unknown key \"" + key + "\"";
    }
    return false;
  }
  if (auto it = st.find("Sid"); it != st.end()) {
    if (!it->is_string()) {
      *error = where_text(where, "Sid") + " must be a string";
      return false;
    }
    out->sid = it->get<std::string>();
  }
  auto effect = st.find("Effect");
  if (effect == st.end()) {
    *error = where + " is missing Effect (\"Allow\" or \"Deny\")";
    return false;
  }
  if (!effect->is_string() || (*effect != "Allow" && *effect != "Deny")) {
    *error = where_text(where, "Effect") + " must be \"Allow\" or \"Deny\"";
    return false;
  }
  out->allow = *effect == "Allow";

  auto action = st.find("Action");
  if (action == st.end()) {
    *error = where + " is missing Action (e.g. \"iot:Publish\")";
    return false;
  }
  if (!string_or_array(*action, where_text(where, "Action"), false, &out->actions, error)) return false;
  for (const auto& a : out->actions) {
    if (!valid_action(a)) {
      *error = where_text(where, "Action") + " \"" + a +
               "\" is not an action (expected \"service:Name\", e.g. \"iot:Publish\", or \"*\")";
      return false;
    }
  }

  auto resource = st.find("Resource");
  if (resource == st.end()) {
    *error = where + " is missing Resource (an ARN or \"*\")";
    return false;
  }
  if (!string_or_array(*resource, where_text(where, "Resource"), false, &out->resources, error)) {
    return false;
  }
  for (const auto& r : out->resources) {
    for (char ch : r) {
      if (static_cast<unsigned char>(ch) < 0x20) {
        *error = where_text(where, "Resource") + " contains a control character";
        return false;
      }
    }
    if (r != "*" && r.rfind("arn:", 0) != 0) {
      *error = where_text(where, "Resource") + " \"" + r + "\" must be \"*\" or an ARN (arn:aws:iot:...)";
      return false;
    }
    std::string why;
    if (!check_variables(r, &why)) {
      *error = where_text(where, "Resource") + " \"" + r + "\" " + why;
      return false;
    }
  }

  if (auto cond = st.find("Condition"); cond != st.end()) {
    const std::string cw = where_text(where, "Condition");
    if (!cond->is_object()) {
      *error = cw + " must be an object of operators";
      return false;
    }
    for (const auto& [op, keys] : cond->items()) {
      if (op.empty()) {
        *error = cw + " has an empty operator name";
        return false;
      }
      if (!keys.is_object() || keys.empty()) {
        *error = cw + "." + op + " must be a non-empty object of condition keys";
        return false;
      }
      for (const auto& [key, vals] : keys.items()) {
        const std::string kw = cw + "." + op + "." + key;
        if (key.empty()) {
          *error = cw + "." + op + " has an empty condition key";
          return false;
        }
        ConditionClause clause{op, key, {}};
        auto scalar = [&](const json& v) -> bool {
          if (v.is_string()) {
            clause.values.push_back(v.get<std::string>());
          } else if (v.is_boolean()) {
            clause.values.push_back(v.get<bool>() ? "true" : "false");
          } else if (v.is_number_integer() || v.is_number_unsigned()) {
            clause.values.push_back(v.dump());
          } else {
            *error = kw + " values must be strings, booleans or integers";
            return false;
          }
          std::string why;
          if (!check_variables(clause.values.back(), &why)) {
            *error = kw + " value " + why;
            return false;
          }
          return true;
        };
        if (vals.is_array()) {
          if (vals.empty()) {
            *error = kw + " must not be an empty array";
            return false;
          }
          for (const auto& v : vals) {
            if (!scalar(v)) return false;
          }
        } else if (!scalar(vals)) {
          return false;
        }
        out->conditions.push_back(std::move(clause));
      }
    }
  }
  return true;
}

std::optional<std::vector<Statement>> parse_document(std::string_view doc, std::string* error) {
  if (doc.size() > kMaxDocumentBytes) {
    *error = "policy document is " + std::to_string(doc.size()) + " bytes; the limit is " +
             std::to_string(kMaxDocumentChars) + " characters excluding white space";
    return std::nullopt;
  }
  if (size_t n = policy_chars(doc); n > kMaxDocumentChars) {
    *error = "policy document has " + std::to_string(n) + " characters excluding white space; the limit is " +
             std::to_string(kMaxDocumentChars);
    return std::nullopt;
  }
  json root;
  try {
    root = json::parse(doc.begin(), doc.end());
  } catch (const json::exception& e) {
    *error = std::string("policy document is not valid JSON: ") + e.what();
    return std::nullopt;
  }
  if (!root.is_object()) {
    *error = "policy document must be a JSON object with Version and Statement";
    return std::nullopt;
  }
  for (const auto& [key, value] : root.items()) {
    (void)value;
    if (key != "Version" && key != "Statement" && key != "Id") {
      *error = "policy document has an unknown top-level key \"" + key + "\" (expected Version, Statement)";
      return std::nullopt;
    }
  }
  auto version = root.find("Version");
  if (version == root.end()) {
    *error = "policy document is missing Version (use \"2012-10-17\")";
    return std::nullopt;
  }
  if (!version->is_string() || *version != "2012-10-17") {
    *error = "Version must be \"2012-10-17\"";
    return std::nullopt;
  }
  if (auto id = root.find("Id"); id != root.end() && !id->is_string()) {
    *error = "Id must be a string";
    return std::nullopt;
  }
  auto statement = root.find("Statement");
  if (statement == root.end()) {
    *error = "policy document is missing Statement";
    return std::nullopt;
  }
  std::vector<Statement> out;
  if (statement->is_object()) {
    out.emplace_back();
    if (!parse_statement(*statement, "Statement", &out.back(), error)) return std::nullopt;
  } else if (statement->is_array()) {
    if (statement->empty()) {
      *error = "Statement must not be an empty array";
      return std::nullopt;
    }
    for (size_t i = 0; i < statement->size(); ++i) {
      out.emplace_back();
      if (!parse_statement((*statement)[i], "Statement[" + std::to_string(i) + "]", &out.back(), error)) {
        return std::nullopt;
      }
    }
  } else {
    *error = "Statement must be an object or an array of objects";
    return std::nullopt;
  }
  return out;
}

// ---- binding ----

using Pattern = BoundPolicies::Pattern;

void push_literal(Pattern* p, std::string_view s) {
  p->text.append(s);
  p->kinds.append(s.size(), 'L');
}

Pattern glob_pattern(std::string_view s, bool to_lower) {
  Pattern p;
  p.text.reserve(s.size());
  p.kinds.reserve(s.size());
  for (char c : s) {
    p.text.push_back(to_lower ? lower(c) : c);
    p.kinds.push_back(c == '*' ? '*' : c == '?' ? '?' : 'L');
  }
  p.finish();
  return p;
}

const std::string* lookup(const Variables& vars, std::string_view name) {
  if (const std::string* v = vars.find(name)) return v;
  // IAM context-key names are case-insensitive.
  for (const auto& [k, v] : vars.values) {
    if (iequals(k, name)) return &v;
  }
  return nullptr;
}

// Substitutes `${...}` in s; values are literal, the rest keeps `*`/`?` as
// wildcards. Returns false when a variable has no value.
bool substitute(std::string_view s, const Variables& vars, Pattern* out) {
  size_t i = 0;
  while (i < s.size()) {
    if (s[i] == '$' && i + 1 < s.size() && s[i + 1] == '{') {
      size_t close = s.find('}', i + 2);
      if (close == std::string_view::npos) return false;
      std::string_view name = s.substr(i + 2, close - i - 2);
      if (name == "*" || name == "?" || name == "$") {
        push_literal(out, name);
      } else if (const std::string* v = lookup(vars, name)) {
        push_literal(out, *v);
      } else {
        return false;
      }
      i = close + 1;
      continue;
    }
    char c = s[i++];
    out->text.push_back(c);
    out->kinds.push_back(c == '*' ? '*' : c == '?' ? '?' : 'L');
  }
  return true;
}

// Substitutes variables into a condition value for string comparison; returns
// nullopt when a variable has no value.
std::optional<Pattern> condition_value(const std::string& v, const Variables& vars) {
  Pattern p;
  if (!substitute(v, vars, &p)) return std::nullopt;
  p.finish();
  return p;
}

bool pattern_match(const Pattern& p, std::string_view s, bool ci) {
  if (p.match_all) return true;
  if (p.all_literal && !ci) return p.text == s;
  // Most ARN patterns are a long literal prefix: compare it in one go.
  size_t pi = 0, si = 0;
  if (!ci && p.prefix > 0) {
    if (s.size() < p.prefix || s.compare(0, p.prefix, p.text, 0, p.prefix) != 0) return false;
    if (p.prefix_star) return true;
    pi = si = p.prefix;
  }
  const size_t m = p.text.size();
  const size_t n = s.size();
  size_t star = std::string::npos, mark = 0;
  while (si < n) {
    if (pi < m && p.kinds[pi] == '*') {
      star = pi++;
      mark = si;
    } else if (pi < m && (p.kinds[pi] == '?' || (ci ? lower(s[si]) == p.text[pi] : s[si] == p.text[pi]))) {
      ++pi;
      ++si;
    } else if (star != std::string::npos) {
      pi = star + 1;
      si = ++mark;
    } else {
      return false;
    }
  }
  while (pi < m && p.kinds[pi] == '*') ++pi;
  return pi == m;
}

bool known_context_key(std::string_view key) {
  static constexpr std::string_view kKeys[] = {
      "iot:ClientId", "iot:Connection.Thing.ThingName", "iot:Connection.Thing.IsAttached",
      "iot:Connection.Thing.ThingTypeName", "iot:Certificate.Subject.CommonName"};
  for (auto k : kKeys) {
    if (iequals(k, key)) return true;
  }
  constexpr std::string_view attr = "iot:Connection.Thing.Attributes[";
  return key.size() > attr.size() + 1 && iequals(key.substr(0, attr.size()), attr) && key.back() == ']';
}

enum class Tri { kFalse, kTrue, kUnknown };

// IAM condition operators over single-valued connection keys.
Tri eval_clause(const ConditionClause& c, const Variables& vars) {
  std::string_view op = c.op;
  if (op == "Null") {
    if (!known_context_key(c.key)) return Tri::kUnknown;
    bool absent = lookup(vars, c.key) == nullptr;
    for (const auto& v : c.values) {
      if (iequals(v, "true") && absent) return Tri::kTrue;
      if (iequals(v, "false") && !absent) return Tri::kTrue;
    }
    return Tri::kFalse;
  }
  bool if_exists = ends_with(op, "IfExists");
  if (if_exists) op.remove_suffix(8);
  enum { kEq, kNotEq, kEqIc, kNotEqIc, kLike, kNotLike, kBool } kind;
  if (op == "StringEquals") kind = kEq;
  else if (op == "StringNotEquals") kind = kNotEq;
  else if (op == "StringEqualsIgnoreCase") kind = kEqIc;
  else if (op == "StringNotEqualsIgnoreCase") kind = kNotEqIc;
  else if (op == "StringLike") kind = kLike;
  else if (op == "StringNotLike") kind = kNotLike;
  else if (op == "Bool") kind = kBool;
  else return Tri::kUnknown;
  if (!known_context_key(c.key)) return Tri::kUnknown;
  const std::string* actual = lookup(vars, c.key);
  bool negated = kind == kNotEq || kind == kNotEqIc || kind == kNotLike;
  if (actual == nullptr) {
    // IAM: a missing key makes ...IfExists true; otherwise positive operators
    // are false and negated ones true.
    if (if_exists) return Tri::kTrue;
    return negated ? Tri::kTrue : Tri::kFalse;
  }
  bool any = false;
  for (const auto& raw : c.values) {
    auto value = condition_value(raw, vars);
    if (!value) continue;  // unresolved variable: this value matches nothing
    bool m = false;
    switch (kind) {
      case kEq: case kNotEq: m = value->text == *actual; break;
      case kEqIc: case kNotEqIc: case kBool: m = iequals(value->text, *actual); break;
      case kLike: case kNotLike: m = pattern_match(*value, *actual, false); break;
    }
    if (m) {
      any = true;
      break;
    }
  }
  return (negated ? !any : any) ? Tri::kTrue : Tri::kFalse;
}

}  // namespace

void BoundPolicies::Pattern::finish() {
  all_literal = kinds.find_first_not_of('L') == std::string::npos;
  match_all = kinds == "*";
  prefix = all_literal ? kinds.size() : kinds.find_first_not_of('L');
  prefix_star = !all_literal && prefix + 1 == kinds.size() && kinds.back() == '*';
}

ParseResult validate(std::string_view document_json) {
  ParseResult r;
  r.ok = parse_document(document_json, &r.error).has_value();
  return r;
}

std::optional<PolicyDoc> PolicyDoc::parse(std::string name, std::string_view document_json,
                                          std::string* error) {
  std::string err;
  auto statements = parse_document(document_json, &err);
  if (!statements) {
    if (error) *error = std::move(err);
    return std::nullopt;
  }
  return PolicyDoc{std::move(name), std::move(*statements)};
}

bool glob_match(std::string_view pattern, std::string_view subject, bool case_insensitive) {
  Pattern p = glob_pattern(pattern, case_insensitive);
  return pattern_match(p, subject, case_insensitive);
}

BoundPolicies::BoundPolicies(const std::vector<PolicyDoc>& policies, const Variables& vars) {
  for (const auto& policy : policies) {
    for (size_t i = 0; i < policy.statements.size(); ++i) {
      const Statement& st = policy.statements[i];
      bool applies = true;
      for (const auto& c : st.conditions) {
        Tri t = eval_clause(c, vars);
        // Unknown conditions fail closed: an Allow does not apply, a Deny does.
        if (t == Tri::kFalse || (t == Tri::kUnknown && st.allow)) {
          applies = false;
          break;
        }
      }
      if (!applies) continue;
      BoundStatement b;
      b.allow = st.allow;
      b.where = "policy " + policy.name + " statement " + std::to_string(i + 1);
      if (!st.sid.empty()) b.where += " (Sid " + st.sid + ")";
      for (const auto& a : st.actions) b.actions.push_back(glob_pattern(a, true));
      bool resolved = true;
      for (const auto& r : st.resources) {
        Pattern p;
        if (!substitute(r, vars, &p)) {
          resolved = false;
          break;
        }
        p.finish();
        b.resources.push_back(std::move(p));
      }
      // AWS: an unresolvable policy variable invalidates the whole statement.
      if (!resolved) continue;
      statements_.push_back(std::move(b));
    }
  }
}

const BoundPolicies::BoundStatement* BoundPolicies::decide(std::string_view action,
                                                          std::string_view resource) const {
  // Action names are case-insensitive (IAM); patterns are stored lowercased.
  char buf[64];
  if (action.size() > sizeof buf) return nullptr;  // no AWS IoT action is this long
  for (size_t i = 0; i < action.size(); ++i) buf[i] = lower(action[i]);
  const std::string_view act(buf, action.size());
  const BoundStatement* allowed_by = nullptr;
  for (const auto& st : statements_) {
    if (st.allow && allowed_by != nullptr) continue;  // only a Deny can change the outcome now
    bool action_ok = std::any_of(st.actions.begin(), st.actions.end(),
                                 [&](const Pattern& p) { return pattern_match(p, act, false); });
    if (!action_ok) continue;
    bool resource_ok = std::any_of(st.resources.begin(), st.resources.end(),
                                   [&](const Pattern& p) { return pattern_match(p, resource, false); });
    if (!resource_ok) continue;
    // Explicit deny wins over any allow, in any policy (AWS policy evaluation).
    if (!st.allow) return &st;
    allowed_by = &st;
  }
  return allowed_by;
}

Decision BoundPolicies::check(std::string_view action, std::string_view resource) const {
  const BoundStatement* st = decide(action, resource);
  if (st == nullptr) return Decision{false, "no statement allows"};
  return Decision{st->allow, (st->allow ? "allowed by " : "denied by ") + st->where};
}

bool BoundPolicies::allows(std::string_view action, std::string_view resource) const {
  const BoundStatement* st = decide(action, resource);
  return st != nullptr && st->allow;
}

Decision evaluate(const std::vector<PolicyDoc>& policies, std::string_view action,
                  std::string_view resource, const Variables& vars) {
  return BoundPolicies(policies, vars).check(action, resource);
}

}  // namespace mos::policy

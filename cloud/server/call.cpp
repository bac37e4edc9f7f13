#include "call.h"

#include <openssl/rand.h>

#include <algorithm>
#include <cctype>
#include <string_view>

#include "routes.h"

namespace mos::cloud {

Response ok(const json& j) {
  Response r;
  r.body = j.dump();
  return r;
}
Response ok_empty() { return Response{}; }
Response invalid(const std::string& msg) { return Api::error(400, "InvalidRequestException", msg); }
Response not_found(const std::string& msg) { return Api::error(404, "ResourceNotFoundException", msg); }
Response internal(const std::string& msg) { return Api::error(500, "InternalFailureException", msg); }
Response already_exists(const std::string& message, const std::string& id, const std::string& arn) {
  Response r = Api::error(409, "ResourceAlreadyExistsException", message);
  r.body = json{{"message", message}, {"resourceId", id}, {"resourceArn", arn}}.dump();
  return r;
}

std::string validation(const std::string& value, const std::string& member, const std::string& rule) {
  std::string shown = value.size() > 64 ? value.substr(0, 64) + "..." : value;
  return "1 validation error detected: Value '" + shown + "' at '" + member +
         "' failed to satisfy constraint: " + rule;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool all_of_chars(const std::string& s, const char* extra) {
  return std::all_of(s.begin(), s.end(), [extra](char ch) {
    auto c = static_cast<unsigned char>(ch);
    // Not strchr: it would "find" a NUL byte at the end of `extra`.
    return std::isalnum(c) || (ch != '\0' && std::string_view(extra).find(ch) != std::string_view::npos);
  });
}

// Name rules from the iot service model (shape patterns and lengths).
bool valid_thing_name(const std::string& s) {  // ThingName: [a-zA-Z0-9:_-]+, 1..128
  return !s.empty() && s.size() <= 128 && all_of_chars(s, ":_-");
}
bool valid_policy_name(const std::string& s) {  // PolicyName: [\w+=,.@-]+, 1..128
  return !s.empty() && s.size() <= 128 && all_of_chars(s, "_+=,.@-");
}
bool valid_cert_id(const std::string& s) {  // CertificateId: 64 hex characters
  return s.size() == 64 &&
         std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

std::string random_uuid() {
  unsigned char b[16];
  RAND_bytes(b, sizeof b);
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // RFC 4122 §4.4 version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  static const char* kHex = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s += '-';
    s += kHex[b[i] >> 4];
    s += kHex[b[i] & 15];
  }
  return s;
}

Page paginate(size_t total, const std::string& token, const std::string& size_text, size_t max_size) {
  Page p;
  size_t size = max_size;
  if (!size_text.empty()) {
    if (size_text.size() > 4 || !std::all_of(size_text.begin(), size_text.end(), ::isdigit)) {
      p.ok = false;
      return p;
    }
    size = std::stoul(size_text);
    if (size < 1 || size > max_size) {
      p.ok = false;
      return p;
    }
  }
  if (!token.empty()) {
    if (token.size() > 9 || !std::all_of(token.begin(), token.end(), ::isdigit)) {
      p.ok = false;
      return p;
    }
    p.begin = std::min<size_t>(std::stoul(token), total);
  }
  p.end = std::min(total, p.begin + size);
  if (p.end < total) p.next = std::to_string(p.end);
  return p;
}

std::optional<Response> check_principal(Services& s, const std::string& principal, const char* member) {
  if (principal.empty()) return invalid("The " + std::string(member) + " is required.");
  if (s.reg.principal_exists(principal)) return std::nullopt;
  if (principal.rfind("arn:aws:iot:", 0) == 0 && principal.find(":cert/") != std::string::npos)
    return not_found("The certificate " + principal + " does not exist.");
  return invalid(validation(principal, member,
                            "Member must be the ARN of a certificate of this account (arn:aws:iot:" +
                                s.reg.region() + ":" + s.reg.account_id() + ":cert/<certificateId>)"));
}

const Route* match_route(const std::vector<Route>& table, const std::string& method,
                         const std::vector<std::string>& seg) {
  for (const Route& r : table) {
    if (method != r.method) continue;
    std::string_view p = r.pattern;
    size_t i = 0, start = 1;
    bool ok = true;
    while (ok && start <= p.size()) {
      size_t slash = p.find('/', start);
      std::string_view part = p.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
      ok = i < seg.size() && (part.front() == '{' || seg[i] == part);
      ++i;
      if (slash == std::string_view::npos) break;
      start = slash + 1;
    }
    if (ok && i == seg.size()) return &r;
  }
  return nullptr;
}

}  // namespace mos::cloud

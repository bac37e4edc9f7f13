#include "request_checks.h"

#include <cctype>

namespace mos::console {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

}  // namespace

std::vector<std::string_view> cookie_values(const sigv4::Request& req, std::string_view name) {
  std::vector<std::string_view> out;
  for (std::string_view header : req.values("Cookie")) {
    while (!header.empty()) {
      size_t semi = header.find(';');
      std::string_view pair = trim(header.substr(0, semi));
      header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
      size_t eq = pair.find('=');
      if (eq == std::string_view::npos) continue;
      if (trim(pair.substr(0, eq)) != name) continue;
      std::string_view value = trim(pair.substr(eq + 1));
      // RFC 6265 §4.1.1 allows the value in double quotes.
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
      out.push_back(value);
    }
  }
  return out;
}

std::string session_cookie(const std::string& token, bool over_tls) {
  return std::string(kCookieName) + "=" + token + "; Path=/console; HttpOnly; SameSite=Strict" +
         (over_tls ? "; Secure" : "");
}

std::string cleared_cookie(bool over_tls) {
  return std::string(kCookieName) + "=; Path=/console; HttpOnly; SameSite=Strict; Max-Age=0" +
         (over_tls ? "; Secure" : "");
}

OriginCheck check_origin(const sigv4::Request& req) {
  auto origin = req.value("Origin");
  if (!origin) return OriginCheck::kMissing;
  auto host = req.value("Host");
  if (!host || host->empty()) return OriginCheck::kOther;
  std::string expected = std::string(req.over_tls ? "https://" : "http://") + std::string(trim(*host));
  return iequals(trim(*origin), expected) ? OriginCheck::kSame : OriginCheck::kOther;
}

bool has_console_header(const sigv4::Request& req) {
  auto v = req.value("X-Mos-Console");
  return v && trim(*v) == "1";
}

}  // namespace mos::console

#include "mos/sigv4/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cstring>
#include <cctype>
#include <ctime>
#include <map>
#include <utility>

namespace mos::sigv4 {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
// Longest X-Amz-Expires AWS accepts on a presigned URL: 7 days.
constexpr int64_t kMaxPresignedExpires = 604800;

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

bool unreserved(unsigned char c) {
  // RFC 3986 §2.3 unreserved characters, which SigV4 never encodes.
  return std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    out.push_back(s.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// RFC 3986 §5.2.4 remove_dot_segments, plus merging repeated slashes, which
// AWS services (all but S3) apply before canonicalising the path.
std::string normalize_path(std::string_view path) {
  std::vector<std::string_view> out;
  for (std::string_view seg : split(path, '/')) {
    if (seg.empty() || seg == ".") continue;
    if (seg == "..") {
      if (!out.empty()) out.pop_back();
      continue;
    }
    out.push_back(seg);
  }
  std::string result = "/";
  for (size_t i = 0; i < out.size(); ++i) {
    if (i) result += '/';
    result += out[i];
  }
  bool trailing = !path.empty() && path.back() == '/';
  if (trailing && result.size() > 1) result += '/';
  return result;
}

}  // namespace

std::vector<std::string_view> Request::values(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const auto& h : headers)
    if (iequals(h.name, name)) out.push_back(h.value);
  return out;
}

std::optional<std::string_view> Request::value(std::string_view name) const {
  for (const auto& h : headers)
    if (iequals(h.name, name)) return std::string_view(h.value);
  return std::nullopt;
}

std::optional<Request> parse_raw_request(std::string_view text) {
  Request req;
  // Split into lines (LF, tolerating CRLF) until the blank line.
  size_t pos = 0;
  auto next_line = [&](std::string_view& line) -> bool {
    if (pos >= text.size()) return false;
    size_t nl = text.find('\n', pos);
    size_t end = nl == std::string_view::npos ? text.size() : nl;
    line = text.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    return true;
  };
  std::string_view line;
  if (!next_line(line)) return std::nullopt;
  size_t sp1 = line.find(' ');
  size_t sp2 = line.rfind(' ');
  if (sp1 == std::string_view::npos || sp2 == sp1) return std::nullopt;
  req.method = std::string(line.substr(0, sp1));
  req.target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
  if (req.method.empty() || req.target.empty() || line.substr(sp2 + 1).rfind("HTTP/", 0) != 0)
    return std::nullopt;
  bool body = false;
  while (next_line(line)) {
    if (line.empty()) {
      body = true;
      break;
    }
    if (line.front() == ' ' || line.front() == '\t') {
      // obs-fold (RFC 7230 §3.2.4): a continuation of the previous value.
      if (req.headers.empty()) return std::nullopt;
      req.headers.back().value += ' ';
      req.headers.back().value += std::string(trim(line));
      continue;
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return std::nullopt;
    req.headers.push_back({std::string(line.substr(0, colon)), std::string(line.substr(colon + 1))});
  }
  if (body) req.body = std::string(text.substr(pos));
  return req;
}

std::string uri_encode(std::string_view s, bool keep_slash) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (unreserved(c) || (keep_slash && c == '/')) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::optional<std::string> uri_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>((hi << 4) | lo);
    i += 2;
  }
  return out;
}

std::string canonical_uri(std::string_view path, bool normalize) {
  if (path.empty()) return "/";
  // Every service but S3 encodes the path as sent once more ("double
  // encoding"): the request-target is already percent-encoded on the wire.
  return uri_encode(normalize ? normalize_path(path) : std::string(path), true);
}

std::optional<std::vector<QueryParam>> parse_query(std::string_view query) {
  std::vector<QueryParam> out;
  for (std::string_view part : split(query, '&')) {
    if (part.empty()) continue;
    size_t eq = part.find('=');
    auto key = uri_decode(part.substr(0, eq));
    auto val = uri_decode(eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1));
    if (!key || !val) return std::nullopt;
    out.push_back({std::move(*key), std::move(*val)});
  }
  return out;
}

std::optional<std::string> canonical_query(std::string_view query,
                                           const std::vector<std::string_view>& exclude) {
  auto parsed = parse_query(query);
  if (!parsed) return std::nullopt;
  std::vector<std::pair<std::string, std::string>> params;
  for (const auto& p : *parsed) {
    if (std::find(exclude.begin(), exclude.end(), p.name) != exclude.end()) continue;
    params.emplace_back(uri_encode(p.name, false), uri_encode(p.value, false));
  }
  // Sorted by encoded name, then value (byte order).
  std::sort(params.begin(), params.end());
  std::string out;
  for (size_t i = 0; i < params.size(); ++i) {
    if (i) out += '&';
    out += params[i].first;
    out += '=';
    out += params[i].second;
  }
  return out;
}

std::string trim_collapse(std::string_view value) {
  std::string out;
  bool space = false;
  for (char c : trim(value)) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      space = true;
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

std::string to_hex(std::string_view raw) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  out.reserve(raw.size() * 2);
  for (char ch : raw) {
    auto c = static_cast<unsigned char>(ch);
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

std::string hex_sha256(std::string_view data) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), md);
  return to_hex(std::string_view(reinterpret_cast<const char*>(md), sizeof md));
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), md, &len);
  return std::string(reinterpret_cast<const char*>(md), len);
}

std::string amz_date(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[20];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::optional<int64_t> parse_amz_date(std::string_view s) {
  // ISO 8601 basic format, as SigV4 requires: YYYYMMDD'T'HHMMSS'Z'.
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z') return std::nullopt;
  int v[6];
  const size_t offs[6] = {0, 4, 6, 9, 11, 13};
  const size_t lens[6] = {4, 2, 2, 2, 2, 2};
  for (int i = 0; i < 6; ++i) {
    int n = 0;
    for (size_t j = 0; j < lens[i]; ++j) {
      char c = s[offs[i] + j];
      if (c < '0' || c > '9') return std::nullopt;
      n = n * 10 + (c - '0');
    }
    v[i] = n;
  }
  if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 || v[4] > 59 || v[5] > 60)
    return std::nullopt;
  std::tm tm{};
  tm.tm_year = v[0] - 1900;
  tm.tm_mon = v[1] - 1;
  tm.tm_mday = v[2];
  tm.tm_hour = v[3];
  tm.tm_min = v[4];
  tm.tm_sec = v[5];
  return static_cast<int64_t>(timegm(&tm));
}

std::optional<Canonical> canonical_request(const Request& req,
                                           const std::vector<std::string>& signed_names,
                                           std::string_view payload_hash,
                                           const std::vector<std::string_view>& query_exclude,
                                           const Options& opt) {
  std::string_view target = req.target;
  size_t q = target.find('?');
  std::string_view path = target.substr(0, q);
  std::string_view query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  auto cq = canonical_query(query, query_exclude);
  if (!cq) return std::nullopt;

  std::vector<std::string> names = signed_names;
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());

  Canonical c;
  c.request = req.method + '\n' + canonical_uri(path, opt.normalize_path) + '\n' + *cq + '\n';
  for (const auto& name : names) {
    // Repeated headers: values joined with ',' in the order received.
    std::string joined;
    bool first = true;
    for (auto v : req.values(name)) {
      if (!first) joined += ',';
      first = false;
      joined += trim_collapse(v);
    }
    c.request += name + ':' + joined + '\n';
    if (!c.signed_headers.empty()) c.signed_headers += ';';
    c.signed_headers += name;
  }
  c.request += '\n' + c.signed_headers + '\n';
  c.request += payload_hash;
  return c;
}

std::string scope(std::string_view date8, std::string_view region, std::string_view service) {
  std::string s(date8);
  s += '/';
  s += region;
  s += '/';
  s += service;
  s += "/aws4_request";
  return s;
}

std::string string_to_sign(std::string_view date, std::string_view scope_str,
                           std::string_view canonical) {
  std::string s(kAlgorithm);
  s += '\n';
  s += date;
  s += '\n';
  s += scope_str;
  s += '\n';
  s += hex_sha256(canonical);
  return s;
}

std::string signing_key(std::string_view secret, std::string_view date8, std::string_view region,
                        std::string_view service) {
  std::string k = hmac_sha256("AWS4" + std::string(secret), date8);
  k = hmac_sha256(k, region);
  k = hmac_sha256(k, service);
  return hmac_sha256(k, "aws4_request");
}

namespace {

// RFC 7230 §3.2: a field name is a token (1*tchar, §3.2.6). Anything else
// (empty, ';', ',', spaces) cannot be listed in SignedHeaders unambiguously,
// so the verifier would read a different list than the signer wrote.
bool valid_header_names(const Request& req) {
  for (const auto& h : req.headers) {
    if (h.name.empty()) return false;
    for (char c : h.name) {
      bool tchar = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                   std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
      if (!tchar || c == '\0') return false;
    }
  }
  return true;
}

std::vector<std::string> header_names(const Request& req) {
  std::vector<std::string> names;
  for (const auto& h : req.headers) names.push_back(to_lower(h.name));
  return names;
}

std::optional<Signed> finish(const Request& req, const std::vector<std::string>& names,
                             std::string_view payload_hash, std::string_view date,
                             const std::string& scope_str, const Credentials& cred,
                             std::string_view region, std::string_view service,
                             const std::vector<std::string_view>& query_exclude,
                             const Options& opt) {
  auto canonical = canonical_request(req, names, payload_hash, query_exclude, opt);
  if (!canonical) return std::nullopt;
  Signed s;
  s.canonical = std::move(*canonical);
  s.string_to_sign = string_to_sign(date, scope_str, s.canonical.request);
  s.signature = to_hex(
      hmac_sha256(signing_key(cred.secret_access_key, date.substr(0, 8), region, service),
                  s.string_to_sign));
  return s;
}

}  // namespace

std::optional<Signed> sign_headers(Request& req, const Credentials& cred, std::string_view region,
                                   std::string_view service, int64_t now, const Options& opt) {
  if (!valid_header_names(req)) return std::nullopt;
  std::string date = amz_date(now);
  std::string payload_hash = hex_sha256(req.body);
  req.headers.push_back({"X-Amz-Date", date});
  bool token_late = !cred.session_token.empty() && opt.omit_session_token;
  if (!cred.session_token.empty() && !token_late)
    req.headers.push_back({"X-Amz-Security-Token", cred.session_token});
  if (opt.sign_body) req.headers.push_back({"X-Amz-Content-Sha256", payload_hash});
  std::string scope_str = scope(std::string_view(date).substr(0, 8), region, service);
  auto s = finish(req, header_names(req), payload_hash, date, scope_str, cred, region, service,
                  {}, opt);
  if (!s) return std::nullopt;
  if (token_late) req.headers.push_back({"X-Amz-Security-Token", cred.session_token});
  req.headers.push_back({"Authorization", std::string(kAlgorithm) + " Credential=" +
                                              cred.access_key_id + '/' + scope_str +
                                              ", SignedHeaders=" + s->canonical.signed_headers +
                                              ", Signature=" + s->signature});
  return s;
}

std::optional<Signed> sign_query(Request& req, const Credentials& cred, std::string_view region,
                                 std::string_view service, int64_t now, int64_t expires_seconds,
                                 const Options& opt) {
  if (!valid_header_names(req)) return std::nullopt;
  std::string date = amz_date(now);
  std::string scope_str = scope(std::string_view(date).substr(0, 8), region, service);
  std::vector<std::string> names = header_names(req);
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  std::string signed_list;
  for (const auto& n : names) signed_list += (signed_list.empty() ? "" : ";") + n;
  std::string add = "X-Amz-Algorithm=" + std::string(kAlgorithm) +
                    "&X-Amz-Credential=" + uri_encode(cred.access_key_id + '/' + scope_str, false) +
                    "&X-Amz-Date=" + date + "&X-Amz-SignedHeaders=" + uri_encode(signed_list, false) +
                    "&X-Amz-Expires=" + std::to_string(expires_seconds);
  bool token_late = !cred.session_token.empty() && opt.omit_session_token;
  if (!cred.session_token.empty() && !token_late)
    add += "&X-Amz-Security-Token=" + uri_encode(cred.session_token, false);
  req.target += (req.target.find('?') == std::string::npos ? "?" : "&") + add;
  auto s = finish(req, names, hex_sha256(req.body), date, scope_str, cred, region, service,
                  {"X-Amz-Signature"}, opt);
  if (!s) return std::nullopt;
  if (token_late) req.target += "&X-Amz-Security-Token=" + uri_encode(cred.session_token, false);
  req.target += "&X-Amz-Signature=" + s->signature;
  return s;
}

namespace {

Verdict fail(Error e, std::string msg) {
  Verdict v;
  v.error = e;
  v.message = std::move(msg);
  return v;
}

// Fields of "AWS4-HMAC-SHA256 Credential=.., SignedHeaders=.., Signature=..".
struct AuthFields {
  std::string credential, signed_headers, signature, date;
  int64_t expires = -1;
  bool presigned = false;
};

std::optional<std::string> query_param(std::string_view query, std::string_view name) {
  auto parsed = parse_query(query);
  if (!parsed) return std::nullopt;
  for (const auto& p : *parsed)
    if (p.name == name) return p.value;
  return std::nullopt;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i)
    diff = static_cast<unsigned char>(diff | (static_cast<unsigned char>(a[i]) ^ static_cast<unsigned char>(b[i])));
  return diff == 0;
}

}  // namespace

Verdict verify(const Request& req, const VerifyPolicy& policy) {
  AuthFields f;
  std::string_view target = req.target;
  size_t q = target.find('?');
  std::string_view query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);

  if (auto auth = req.value("Authorization")) {
    std::string_view a = trim(*auth);
    if (a.substr(0, kAlgorithm.size()) != kAlgorithm || a.size() == kAlgorithm.size() ||
        a[kAlgorithm.size()] != ' ')
      return fail(Error::kIncompleteSignature,
                  "Authorization header requires the AWS4-HMAC-SHA256 algorithm.");
    a.remove_prefix(kAlgorithm.size());
    for (std::string_view part : split(a, ',')) {
      part = trim(part);
      size_t eq = part.find('=');
      if (eq == std::string_view::npos) continue;
      std::string_view k = part.substr(0, eq), v = part.substr(eq + 1);
      if (k == "Credential") f.credential = std::string(v);
      else if (k == "SignedHeaders") f.signed_headers = std::string(v);
      else if (k == "Signature") f.signature = std::string(v);
    }
    if (f.credential.empty() || f.signed_headers.empty() || f.signature.empty())
      return fail(Error::kIncompleteSignature,
                  "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' "
                  "parameters.");
    auto d = req.value("X-Amz-Date");
    if (!d) d = req.value("Date");
    if (!d)
      return fail(Error::kIncompleteSignature,
                  "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' "
                  "header.");
    f.date = trim_collapse(*d);
  } else if (auto alg = query_param(query, "X-Amz-Algorithm")) {
    if (*alg != kAlgorithm)
      return fail(Error::kIncompleteSignature, "X-Amz-Algorithm must be AWS4-HMAC-SHA256.");
    f.presigned = true;
    auto cred = query_param(query, "X-Amz-Credential");
    auto sh = query_param(query, "X-Amz-SignedHeaders");
    auto sig = query_param(query, "X-Amz-Signature");
    auto date = query_param(query, "X-Amz-Date");
    auto exp = query_param(query, "X-Amz-Expires");
    if (!cred || !sh || !sig || !date || !exp || cred->empty() || sig->empty())
      return fail(Error::kIncompleteSignature,
                  "Presigned request requires X-Amz-Credential, X-Amz-SignedHeaders, "
                  "X-Amz-Signature, X-Amz-Date and X-Amz-Expires.");
    f.credential = *cred;
    f.signed_headers = *sh;
    f.signature = *sig;
    f.date = *date;
    // SigV4 query authentication: X-Amz-Expires is 1..604800 seconds (7 days);
    // AWS refuses longer ones rather than capping them.
    if (!exp->empty() && (*exp)[0] == '-')
      return fail(Error::kIncompleteSignature, "X-Amz-Expires must be non-negative");
    if (exp->empty() ||
        !std::all_of(exp->begin(), exp->end(), [](char c) { return c >= '0' && c <= '9'; }))
      return fail(Error::kIncompleteSignature, "X-Amz-Expires should be a number");
    size_t first = exp->find_first_not_of('0');
    std::string_view digits = first == std::string::npos ? std::string_view("0")
                                                         : std::string_view(*exp).substr(first);
    if (digits.size() > 6 || std::stoll(std::string(digits)) > kMaxPresignedExpires)
      return fail(Error::kIncompleteSignature,
                  "X-Amz-Expires must be less than a week (in seconds) that is, the given "
                  "X-Amz-Expires must be less than 604800 seconds");
    f.expires = std::stoll(std::string(digits));
  } else {
    return fail(Error::kMissingAuthentication, "Missing Authentication Token");
  }

  // Credential = <key>/<yyyymmdd>/<region>/<service>/aws4_request
  auto parts = split(f.credential, '/');
  if (parts.size() != 5 || parts[4] != "aws4_request" || parts[1].size() != 8)
    return fail(Error::kIncompleteSignature,
                "Credential should be <access key>/<date>/<region>/<service>/aws4_request.");
  Verdict v;
  v.access_key_id = std::string(parts[0]);
  v.region = std::string(parts[2]);
  v.service = std::string(parts[3]);

  auto when = parse_amz_date(f.date);
  if (!when)
    return fail(Error::kIncompleteSignature,
                "Date must be in ISO-8601 'basic format'. Got '" + f.date + "'.");
  if (f.date.compare(0, 8, parts[1]) != 0)
    return fail(Error::kIncompleteSignature,
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
                "from HTTP: '" + std::string(parts[1]) + "' != '" + f.date.substr(0, 8) + "'");

  std::optional<std::string> secret;
  if (policy.lookup) secret = policy.lookup(policy.ctx, parts[0]);
  if (!secret) {
    Verdict u = fail(Error::kUnknownAccessKey, "The security token included in the request is invalid.");
    u.access_key_id = v.access_key_id;
    return u;
  }
  if (!policy.regions.empty() &&
      std::find(policy.regions.begin(), policy.regions.end(), parts[2]) == policy.regions.end())
    return fail(Error::kWrongRegion, "Credential should be scoped to a valid region, not '" +
                                         std::string(parts[2]) + "'.");
  if (!policy.services.empty() &&
      std::find(policy.services.begin(), policy.services.end(), parts[3]) == policy.services.end())
    return fail(Error::kWrongService, "Credential should be scoped to correct service: '" +
                                          policy.services.front() + "'.");

  if (f.presigned) {
    // A presigned URL is valid from X-Amz-Date (less the clock skew allowance)
    // to X-Amz-Date + X-Amz-Expires. Dated in the future it is "not yet
    // current", as for a header-signed request, never "expired".
    if (*when - policy.now > policy.max_skew_seconds)
      return fail(Error::kExpired, "Signature not yet current: " + f.date +
                                       " is still later than " +
                                       amz_date(policy.now + policy.max_skew_seconds) + " (" +
                                       amz_date(policy.now) + " + 15 min.)");
    if (policy.now > *when + f.expires)
      return fail(Error::kExpired, "Signature expired: " + f.date + " is now earlier than " +
                                       amz_date(policy.now - f.expires) + " (" +
                                       amz_date(policy.now) + " - " + std::to_string(f.expires) +
                                       " sec.)");
  } else if (policy.now - *when > policy.max_skew_seconds) {
    return fail(Error::kExpired, "Signature expired: " + f.date + " is now earlier than " +
                                     amz_date(policy.now - policy.max_skew_seconds) + " (" +
                                     amz_date(policy.now) + " - 15 min.)");
  } else if (*when - policy.now > policy.max_skew_seconds) {
    return fail(Error::kExpired, "Signature not yet current: " + f.date +
                                     " is still later than " +
                                     amz_date(policy.now + policy.max_skew_seconds) + " (" +
                                     amz_date(policy.now) + " + 15 min.)");
  }

  std::vector<std::string> names;
  for (std::string_view n : split(f.signed_headers, ';')) names.push_back(to_lower(n));
  if (std::find(names.begin(), names.end(), "host") == names.end())
    return fail(Error::kIncompleteSignature, "'Host' must be a 'SignedHeader' in the AWS Authorization.");

  std::string payload_hash = hex_sha256(req.body);
  if (auto h = req.value("X-Amz-Content-Sha256")) {
    if (*h != payload_hash && *h != "UNSIGNED-PAYLOAD")
      return fail(Error::kSignatureMismatch,
                  "The provided 'x-amz-content-sha256' header does not match what was computed.");
    payload_hash = std::string(*h);
  }
  // A presigned URL never signs its own signature; callers that add the
  // session token after signing (Options::omit_session_token) leave it out too.
  std::vector<std::string_view> exclude;
  if (f.presigned) exclude.push_back("X-Amz-Signature");
  if (f.presigned && policy.options.omit_session_token) exclude.push_back("X-Amz-Security-Token");
  auto canonical = canonical_request(req, names, payload_hash, exclude, policy.options);
  if (!canonical)
    return fail(Error::kIncompleteSignature, "The request target has a malformed percent-escape.");
  std::string sts =
      string_to_sign(f.date, scope(parts[1], parts[2], parts[3]), canonical->request);
  std::string expected =
      to_hex(hmac_sha256(signing_key(*secret, parts[1], parts[2], parts[3]), sts));
  if (!constant_time_equal(expected, to_lower(f.signature))) {
    Verdict m = fail(Error::kSignatureMismatch,
                     "The request signature we calculated does not match the signature you "
                     "provided. Check your AWS Secret Access Key and signing method. Consult the "
                     "service documentation for details.");
    m.access_key_id = v.access_key_id;
    return m;
  }
  return v;
}

}  // namespace mos::sigv4

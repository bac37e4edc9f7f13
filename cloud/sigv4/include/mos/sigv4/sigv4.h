// AWS Signature Version 4: one canonicaliser shared by the signer and the
// verifier (AWS General Reference, "Signature Version 4 signing process").
// I/O-free: no sockets, files or clock; the caller passes the time. OpenSSL
// provides SHA-256 and HMAC only.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mos::sigv4 {

struct Header {
  std::string name;   // as received (any case)
  std::string value;  // as received, obs-fold already joined with a space
};

// One HTTP request. `target` is the request-target exactly as on the request
// line (path plus optional "?query"), i.e. still percent-encoded as sent.
struct Request {
  std::string method;
  std::string target;
  std::vector<Header> headers;
  std::string body;
  // Set by the server: the request arrived on a TLS listener (not signed;
  // e.g. a session cookie gets the Secure attribute only then).
  bool over_tls = false;

  // All values of a header (case-insensitive name), in order.
  std::vector<std::string_view> values(std::string_view name) const;
  // The first value, if any.
  std::optional<std::string_view> value(std::string_view name) const;
};

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty: none
};

struct Options {
  // Remove dot segments and merge repeated slashes (every service except S3).
  bool normalize_path = true;
  // Add a signed x-amz-content-sha256 header with the payload hash (S3 style).
  bool sign_body = false;
  // Add X-Amz-Security-Token only after signing (some STS-style callers).
  bool omit_session_token = false;
};

// Parses a raw HTTP/1.1 request as in the AWS test suite: request line,
// "Name:value" headers (obs-fold continuation lines per RFC 7230 §3.2.4 are
// joined with one space), an optional blank line and the body. LF or CRLF.
// Returns nullopt on malformed input.
std::optional<Request> parse_raw_request(std::string_view text);

// --- building blocks (exposed for tests) ---
std::string uri_encode(std::string_view s, bool keep_slash);
// Percent-decodes; returns nullopt on a malformed escape.
std::optional<std::string> uri_decode(std::string_view s);
std::string canonical_uri(std::string_view path, bool normalize);
// The one query-string parser (the verifier, the canonicaliser and the
// mos-cloud API all use it): split on '&', then on the first '=', both sides
// percent-decoded ('+' stays '+': AWS canonical form, RFC 3986 §3.4). Empty
// parts are skipped; a part without '=' has an empty value. Order is kept.
// Returns nullopt if any escape is malformed.
struct QueryParam {
  std::string name;
  std::string value;
};
std::optional<std::vector<QueryParam>> parse_query(std::string_view query);
// Query string without the leading '?'; parameters named `exclude` are left out.
std::optional<std::string> canonical_query(std::string_view query,
                                           const std::vector<std::string_view>& exclude = {});
std::string trim_collapse(std::string_view value);
std::string hex_sha256(std::string_view data);
std::string hmac_sha256(std::string_view key, std::string_view data);  // raw bytes
std::string to_hex(std::string_view raw);

// "20150830T123600Z" from unix seconds, and back (nullopt if malformed).
std::string amz_date(int64_t unix_seconds);
std::optional<int64_t> parse_amz_date(std::string_view s);

struct Canonical {
  std::string request;         // the canonical request
  std::string signed_headers;  // "host;x-amz-date"
};

// Canonical request over the headers named in `signed_names` (lowercase).
// Returns nullopt if the target cannot be canonicalised (bad escapes).
std::optional<Canonical> canonical_request(const Request& req,
                                           const std::vector<std::string>& signed_names,
                                           std::string_view payload_hash,
                                           const std::vector<std::string_view>& query_exclude,
                                           const Options& opt);

std::string scope(std::string_view date8, std::string_view region, std::string_view service);
std::string string_to_sign(std::string_view amz_date, std::string_view scope,
                           std::string_view canonical_request);
std::string signing_key(std::string_view secret, std::string_view date8, std::string_view region,
                        std::string_view service);

struct Signed {
  Canonical canonical;
  std::string string_to_sign;
  std::string signature;  // lowercase hex
};

// Header mode: adds X-Amz-Date (and X-Amz-Security-Token, x-amz-content-sha256
// as options say) and Authorization to `req`; signs every header present.
// Both sign_* return nullopt when a header name is not an RFC 7230 token or
// the target has a malformed percent-escape.
std::optional<Signed> sign_headers(Request& req, const Credentials& cred, std::string_view region,
                                   std::string_view service, int64_t now, const Options& opt = {});

// Query mode (presigned URL): appends X-Amz-Algorithm/Credential/Date/Expires/
// SignedHeaders[/Security-Token] and X-Amz-Signature to req.target.
std::optional<Signed> sign_query(Request& req, const Credentials& cred, std::string_view region,
                                 std::string_view service, int64_t now, int64_t expires_seconds,
                                 const Options& opt = {});

// --- verification ---
enum class Error {
  kNone,
  kMissingAuthentication,  // no Authorization header and no X-Amz-Algorithm query
  kIncompleteSignature,    // malformed Authorization / credential / date
  kUnknownAccessKey,
  kWrongRegion,
  kWrongService,
  kExpired,                // clock skew beyond the window, or presigned URL expired
  kSignatureMismatch,
};

struct Verdict {
  Error error = Error::kNone;
  std::string message;        // AWS-style human message
  std::string access_key_id;  // when parsed
  std::string region;
  std::string service;
  bool ok() const { return error == Error::kNone; }
};

struct VerifyPolicy {
  // Looks up the secret for an access key id; empty optional: unknown key.
  std::optional<std::string> (*lookup)(void* ctx, std::string_view access_key_id) = nullptr;
  void* ctx = nullptr;
  std::vector<std::string> regions;   // accepted scope regions (empty: any)
  std::vector<std::string> services;  // accepted scope services (empty: any)
  int64_t now = 0;                    // unix seconds
  int64_t max_skew_seconds = 15 * 60;
  Options options;
};

Verdict verify(const Request& req, const VerifyPolicy& policy);

}  // namespace mos::sigv4

// What the console checks on a request before it looks at what is asked
// (README "Auth"): the session cookie, the Origin, and the header that a
// cross-site form cannot send. Pure functions over the request.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "mos/sigv4/sigv4.h"

namespace mos::console {

inline constexpr char kCookieName[] = "mos_console";

// Every value of cookie `name` in the request's Cookie headers (RFC 6265
// §5.4: "name=value" pairs separated by "; "), in order. A browser may send
// more than one cookie of a name (different paths); the caller tries each.
std::vector<std::string_view> cookie_values(const sigv4::Request& req, std::string_view name);

// The Set-Cookie value for a new login (RFC 6265 §4.1): HttpOnly (page
// scripts cannot read it), SameSite=Strict (no cross-site request carries
// it), Path=/console, and Secure when the request came over TLS.
std::string session_cookie(const std::string& token, bool over_tls);
// The Set-Cookie value that clears it (Max-Age=0).
std::string cleared_cookie(bool over_tls);

enum class OriginCheck { kSame, kMissing, kOther };
// Whether the Origin header (RFC 6454 §7) names this server: its scheme is
// https on a TLS listener and http otherwise, and its host[:port] equals the
// Host header (ASCII case-insensitively). Browsers send Origin on every
// WebSocket handshake and every POST.
OriginCheck check_origin(const sigv4::Request& req);

// The state-changing request header of the console: X-Mos-Console: 1.
bool has_console_header(const sigv4::Request& req);

}  // namespace mos::console

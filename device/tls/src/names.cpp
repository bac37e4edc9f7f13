// Cipher suite and alert names, and the error lines people read.
#include <cstdio>
#include <cstring>

#include "mos/tls.h"

namespace mos::tls {
namespace {

struct Suite {
  uint16_t id;
  const char* iana;     // RFC name (IANA TLS Cipher Suites registry)
  const char* openssl;  // OpenSSL's name, nullptr if OpenSSL has none
};

// Every suite BearSSL's full client profile implements (ssl_client_full.c).
constexpr Suite kSuites[] = {
    {0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"},
    {0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256"},
    {0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384"},
    {0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384"},
    {0xCCA9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305"},
    {0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA-CHACHA20-POLY1305"},
    {0xC0AC, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM", "ECDHE-ECDSA-AES128-CCM"},
    {0xC0AD, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM", "ECDHE-ECDSA-AES256-CCM"},
    {0xC0AE, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8", "ECDHE-ECDSA-AES128-CCM8"},
    {0xC0AF, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8", "ECDHE-ECDSA-AES256-CCM8"},
    {0xC023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", "ECDHE-ECDSA-AES128-SHA256"},
    {0xC027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", "ECDHE-RSA-AES128-SHA256"},
    {0xC024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", "ECDHE-ECDSA-AES256-SHA384"},
    {0xC028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", "ECDHE-RSA-AES256-SHA384"},
    {0xC009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "ECDHE-ECDSA-AES128-SHA"},
    {0xC013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA-AES128-SHA"},
    {0xC00A, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "ECDHE-ECDSA-AES256-SHA"},
    {0xC014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "ECDHE-RSA-AES256-SHA"},
    {0xC02D, "TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256", "ECDH-ECDSA-AES128-GCM-SHA256"},
    {0xC031, "TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256", "ECDH-RSA-AES128-GCM-SHA256"},
    {0xC02E, "TLS_ECDH_ECDSA_WITH_AES_256_GCM_SHA384", "ECDH-ECDSA-AES256-GCM-SHA384"},
    {0xC032, "TLS_ECDH_RSA_WITH_AES_256_GCM_SHA384", "ECDH-RSA-AES256-GCM-SHA384"},
    {0xC025, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA256", "ECDH-ECDSA-AES128-SHA256"},
    {0xC029, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA256", "ECDH-RSA-AES128-SHA256"},
    {0xC026, "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA384", "ECDH-ECDSA-AES256-SHA384"},
    {0xC02A, "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA384", "ECDH-RSA-AES256-SHA384"},
    {0xC004, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA", "ECDH-ECDSA-AES128-SHA"},
    {0xC00E, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA", "ECDH-RSA-AES128-SHA"},
    {0xC005, "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA", "ECDH-ECDSA-AES256-SHA"},
    {0xC00F, "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA", "ECDH-RSA-AES256-SHA"},
    {0x009C, "TLS_RSA_WITH_AES_128_GCM_SHA256", "AES128-GCM-SHA256"},
    {0x009D, "TLS_RSA_WITH_AES_256_GCM_SHA384", "AES256-GCM-SHA384"},
    {0xC09C, "TLS_RSA_WITH_AES_128_CCM", "AES128-CCM"},
    {0xC09D, "TLS_RSA_WITH_AES_256_CCM", "AES256-CCM"},
    {0xC0A0, "TLS_RSA_WITH_AES_128_CCM_8", "AES128-CCM8"},
    {0xC0A1, "TLS_RSA_WITH_AES_256_CCM_8", "AES256-CCM8"},
    {0x003C, "TLS_RSA_WITH_AES_128_CBC_SHA256", "AES128-SHA256"},
    {0x003D, "TLS_RSA_WITH_AES_256_CBC_SHA256", "AES256-SHA256"},
    {0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA", "AES128-SHA"},
    {0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA", "AES256-SHA"},
    {0xC008, "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA", "ECDHE-ECDSA-DES-CBC3-SHA"},
    {0xC012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", "ECDHE-RSA-DES-CBC3-SHA"},
    {0xC003, "TLS_ECDH_ECDSA_WITH_3DES_EDE_CBC_SHA", "ECDH-ECDSA-DES-CBC3-SHA"},
    {0xC00D, "TLS_ECDH_RSA_WITH_3DES_EDE_CBC_SHA", "ECDH-RSA-DES-CBC3-SHA"},
    {0x000A, "TLS_RSA_WITH_3DES_EDE_CBC_SHA", "DES-CBC3-SHA"},
};

bool is_separator(char c) { return c == ':' || c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

char upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

// Case-insensitive; '-' and '_' are the same (mbedTLS spells RFC names with '-').
bool name_equals(std::string_view given, const char* known) {
  size_t n = std::strlen(known);
  if (given.size() != n) return false;
  for (size_t i = 0; i < n; ++i) {
    char a = upper(given[i]);
    char b = known[i];
    if (a == '-') a = '_';
    if (b == '-') b = '_';
    if (a != b) return false;
  }
  return true;
}

int find_suite(std::string_view name) {
  if (name.size() > 3 && (name.substr(0, 3) == "BR_" || name.substr(0, 3) == "br_")) name.remove_prefix(3);
  for (const Suite& s : kSuites) {
    if (name_equals(name, s.iana) || (s.openssl != nullptr && name_equals(name, s.openssl))) return s.id;
  }
  return -1;
}

}  // namespace

int parse_cipher_suites(std::string_view list, Span<uint16_t> out, char* error, size_t error_size) {
  size_t count = 0;
  size_t i = 0;
  while (i < list.size()) {
    while (i < list.size() && is_separator(list[i])) ++i;
    size_t start = i;
    while (i < list.size() && !is_separator(list[i])) ++i;
    if (i == start) break;
    std::string_view name = list.substr(start, i - start);
    int id = find_suite(name);
    if (id < 0) {
      std::snprintf(error, error_size,
                    "mqtt.ssl_cipher_suites: unknown or unsupported cipher suite '%.*s' (use OpenSSL names like "
                    "ECDHE-ECDSA-AES128-GCM-SHA256 or RFC names like TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)",
                    static_cast<int>(name.size() > 60 ? 60 : name.size()), name.data());
      return -1;
    }
    bool dup = false;
    for (size_t k = 0; k < count; ++k) dup = dup || out[k] == id;
    if (dup) continue;
    if (count >= out.size()) {
      std::snprintf(error, error_size, "mqtt.ssl_cipher_suites: more than %zu suites", out.size());
      return -1;
    }
    out[count++] = static_cast<uint16_t>(id);
  }
  return static_cast<int>(count);
}

const char* cipher_suite_name(uint16_t id) {
  for (const Suite& s : kSuites) {
    if (s.id == id) return s.iana;
  }
  return "?";
}

const char* alert_name(int alert) {
  switch (alert) {  // RFC 5246 §7.2, RFC 6066 §9, RFC 8446 §6
    case 0: return "close_notify";
    case 10: return "unexpected_message";
    case 20: return "bad_record_mac";
    case 22: return "record_overflow";
    case 40: return "handshake_failure";
    case 42: return "bad_certificate";
    case 43: return "unsupported_certificate";
    case 44: return "certificate_revoked";
    case 45: return "certificate_expired";
    case 46: return "certificate_unknown";
    case 47: return "illegal_parameter";
    case 48: return "unknown_ca";
    case 49: return "access_denied";
    case 50: return "decode_error";
    case 51: return "decrypt_error";
    case 70: return "protocol_version";
    case 71: return "insufficient_security";
    case 80: return "internal_error";
    case 86: return "inappropriate_fallback";
    case 90: return "user_canceled";
    case 100: return "no_renegotiation";
    case 109: return "missing_extension";
    case 110: return "unsupported_extension";
    case 112: return "unrecognized_name";
    case 116: return "certificate_required";
    case 120: return "no_application_protocol";
    default: return "unknown";
  }
}

const char* describe_error(int err, std::string_view host, bool client_cert_sent, size_t input_capacity, char* out,
                           size_t out_size) {
  const int hl = static_cast<int>(host.size() > 80 ? 80 : host.size());
  const char* h = host.data();
  if (err >= BR_ERR_RECV_FATAL_ALERT && err < BR_ERR_SEND_FATAL_ALERT) {
    int alert = err - BR_ERR_RECV_FATAL_ALERT;
    bool cert_alert = (alert >= 42 && alert <= 46) || alert == 48 || alert == 49 || alert == 116;
    if (cert_alert && client_cert_sent) {
      std::snprintf(out, out_size,
                    "server %.*s rejected the client certificate: TLS alert %d (%s); check that the broker trusts "
                    "the CA that issued mqtt.ssl_cert and that the certificate is valid and active",
                    hl, h, alert, alert_name(alert));
    } else if (alert == 116 || (cert_alert && !client_cert_sent)) {
      std::snprintf(out, out_size,
                    "server %.*s requires a client certificate: TLS alert %d (%s); set mqtt.ssl_cert and mqtt.ssl_key",
                    hl, h, alert, alert_name(alert));
    } else if (alert == 40 && !client_cert_sent) {
      std::snprintf(out, out_size,
                    "server %.*s refused the handshake: TLS alert 40 (handshake_failure); it may require a client "
                    "certificate (set mqtt.ssl_cert and mqtt.ssl_key) or share no cipher suite with "
                    "mqtt.ssl_cipher_suites",
                    hl, h);
    } else if (alert == 40 || alert == 71 || alert == 70) {
      std::snprintf(out, out_size,
                    "server %.*s refused the handshake: TLS alert %d (%s); no common TLS 1.2 cipher suite or key "
                    "type (check mqtt.ssl_cipher_suites)",
                    hl, h, alert, alert_name(alert));
    } else {
      std::snprintf(out, out_size, "server %.*s sent TLS alert %d (%s)", hl, h, alert, alert_name(alert));
    }
    return out;
  }
  if (err >= BR_ERR_SEND_FATAL_ALERT) {
    int alert = err - BR_ERR_SEND_FATAL_ALERT;
    std::snprintf(out, out_size, "TLS to %.*s aborted: we sent alert %d (%s)", hl, h, alert, alert_name(alert));
    return out;
  }
  switch (err) {
    case BR_ERR_X509_NOT_TRUSTED:
      std::snprintf(out, out_size,
                    "server certificate of %.*s is not signed by any CA in mqtt.ssl_ca_cert; put the CA that issued "
                    "it into mqtt.ssl_ca_cert",
                    hl, h);
      break;
    case BR_ERR_X509_BAD_SERVER_NAME:
      std::snprintf(out, out_size,
                    "server certificate does not match host name '%.*s' (hostname mismatch); use the host name the "
                    "certificate was issued for in mqtt.server",
                    hl, h);
      break;
    case BR_ERR_X509_EXPIRED:
      std::snprintf(out, out_size,
                    "certificate of %.*s is expired or not yet valid at the device's current time; check the clock "
                    "(SNTP) or renew the certificate",
                    hl, h);
      break;
    case BR_ERR_X509_TIME_UNKNOWN:
      std::snprintf(out, out_size,
                    "the current time is unknown, so the certificate of %.*s cannot be checked; set the clock first "
                    "(SNTP)",
                    hl, h);
      break;
    case BR_ERR_X509_NOT_CA:
    case BR_ERR_X509_FORBIDDEN_KEY_USAGE:
    case BR_ERR_X509_CRITICAL_EXTENSION:
    case BR_ERR_X509_WEAK_PUBLIC_KEY:
    case BR_ERR_X509_BAD_SIGNATURE:
    case BR_ERR_X509_UNSUPPORTED:
      std::snprintf(out, out_size,
                    "server certificate chain of %.*s was rejected (BearSSL X.509 error %d: a CA without CA rights, "
                    "a forbidden key usage, a weak key or a bad signature)",
                    hl, h, err);
      break;
    case BR_ERR_TOO_LARGE:
      std::snprintf(out, out_size,
                    "server %.*s sent a TLS record larger than the %zu-byte input buffer (it ignores "
                    "max_fragment_length): mos config-set mqtt.ssl_rx_buf_size=16384",
                    hl, h, input_capacity);
      break;
    case BR_ERR_BAD_FRAGLEN:
      std::snprintf(out, out_size,
                    "server %.*s answered max_fragment_length with another length: mos config-set "
                    "mqtt.ssl_rx_buf_size=16384 (full records, none asked for)",
                    hl, h);
      break;
    case BR_ERR_UNSUPPORTED_VERSION:
    case BR_ERR_BAD_VERSION:
      std::snprintf(out, out_size, "server %.*s does not speak TLS 1.2", hl, h);
      break;
    case BR_ERR_BAD_CIPHER_SUITE:
      std::snprintf(out, out_size, "server %.*s chose a cipher suite not in mqtt.ssl_cipher_suites", hl, h);
      break;
    case BR_ERR_NO_RANDOM:
      std::snprintf(out, out_size, "no entropy source for TLS: give the transport a mos::Random");
      break;
    case BR_ERR_WRONG_KEY_USAGE:
      std::snprintf(out, out_size, "the key usage of mqtt.ssl_cert does not allow signing (TLS client auth)");
      break;
    default:
      std::snprintf(out, out_size, "TLS handshake with %.*s failed (BearSSL error %d)", hl, h, err);
      break;
  }
  return out;
}

}  // namespace mos::tls

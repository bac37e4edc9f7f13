// The device's key pair, its certificate request, and what a certificate
// says, with OpenSSL 3. The private key is only ever held in memory here and
// written to the device; nothing in this file sends it anywhere.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace mos::aws {

enum class KeyType { kEcdsaP256, kRsa2048 };

struct KeyPair {
  std::string private_key_pem;  // PKCS#8 "PRIVATE KEY" (BearSSL's skey decoder reads it)
};

// Throws std::runtime_error if OpenSSL fails.
KeyPair generate_key(KeyType type);
// A PKCS#10 request with subject CN=common_name, signed with SHA-256.
std::string make_csr(const KeyPair& key, const std::string& common_name);

struct CertInfo {
  bool ok = false;
  std::string subject, issuer;  // one line, "CN=esp8266_ABCDEF"
  std::string not_before, not_after;  // "2026-12-01 20:30:00 UTC"
  std::string id;                     // lowercase hex SHA-256 of the DER (AWS certificateId)
  std::string key_type;               // "ECDSA", "RSA", ...
};
// Parses the first certificate in `pem`; ok=false if there is none.
CertInfo describe_certificate(std::string_view pem);

// True if the PEM private key belongs to the certificate's public key.
bool key_matches_certificate(std::string_view key_pem, std::string_view cert_pem);

}  // namespace mos::aws

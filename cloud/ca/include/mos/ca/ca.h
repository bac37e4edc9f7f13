// The local root CA of mos-cloud (OpenSSL 3). EC P-256, created once in the
// data dir (ca.pem, ca.key) and reused on every start, so certificates issued
// yesterday still verify today and devices keep their trust anchor.
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mos::ca {

struct Issued {
  std::string pem;         // the certificate
  std::string id;          // lowercase hex SHA-256 of its DER (AWS certificateId)
  std::string subject;     // RFC 2253-ish one-line subject, e.g. "CN=dev1"
  int64_t not_before = 0;  // unix seconds
  int64_t not_after = 0;
};

enum class Error { kNone, kMalformed, kBadSignature, kWeakKey, kInternal };

struct Result {
  Error error = Error::kNone;
  std::string message;  // what was wrong with the input, for the API error
  Issued cert;
  std::string private_key_pem;  // set when the CA generated the key pair
  std::string public_key_pem;
  bool ok() const { return error == Error::kNone; }
};

class Authority {
 public:
  // Loads <dir>/ca.pem and <dir>/ca.key, or creates them (the key 0600).
  static std::unique_ptr<Authority> open_or_create(const std::string& dir, std::string& error);
  ~Authority();

  const std::string& ca_pem() const { return ca_pem_; }
  const std::string& ca_id() const { return ca_id_; }

  // CreateCertificateFromCsr: checks the CSR's self-signature and its key
  // (RSA >= 2048 bits, EC P-256 or P-384 only), keeps its subject, issues a
  // TLS client certificate valid like AWS's (until 2049-12-31T23:59:59Z).
  Result sign_csr(std::string_view csr_pem);
  // CreateKeysAndCertificate: a new EC P-256 key pair and its certificate.
  Result create_keys_and_certificate(std::string_view common_name);
  // A TLS server (or client) certificate with a fresh EC P-256 key.
  Result issue_with_key(std::string_view common_name, const std::vector<std::string>& dns,
                        const std::vector<std::string>& ips, bool server, int days);

 private:
  Authority() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string ca_pem_, ca_id_;
  std::mutex mu_;
};

// SHA-256 (lowercase hex) of the DER of the first certificate in a PEM; empty
// if it does not parse.
std::string certificate_id(std::string_view pem);

// The first certificate in a PEM as the CA describes what it issues (e.g. a
// leaf certificate issued earlier and kept in the data dir); nullopt if it
// does not parse.
std::optional<Issued> describe_certificate(std::string_view pem);

}  // namespace mos::ca

// SHA-1 and SHA-256 for the manifest's cs_sha1 / cs_sha256 (OpenSSL EVP).
#include <openssl/evp.h>

#include <stdexcept>

#include "mos/fwbundle/bundle.h"

namespace mos::fwbundle {
namespace {

std::string digest_hex(const EVP_MD* md, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_Digest(data.data(), data.size(), out, &n, md, nullptr) != 1) {
    throw std::runtime_error("OpenSSL digest failed");
  }
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2u * n);
  for (unsigned int i = 0; i < n; ++i) {
    hex.push_back(kHex[out[i] >> 4]);
    hex.push_back(kHex[out[i] & 15]);
  }
  return hex;
}

}  // namespace

std::string sha1_hex(std::string_view data) { return digest_hex(EVP_sha1(), data); }
std::string sha256_hex(std::string_view data) { return digest_hex(EVP_sha256(), data); }

}  // namespace mos::fwbundle

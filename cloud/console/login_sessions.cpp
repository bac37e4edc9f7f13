#include "login_sessions.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <stdexcept>

namespace mos::console {
namespace {

std::array<unsigned char, 32> sha256(std::string_view s) {
  std::array<unsigned char, 32> out{};
  unsigned int n = 0;
  if (EVP_Digest(s.data(), s.size(), out.data(), &n, EVP_sha256(), nullptr) != 1 || n != out.size())
    throw std::runtime_error("SHA-256 failed");
  return out;
}

bool is_token(std::string_view t) {
  if (t.size() != 64) return false;
  for (char c : t)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace

LoginSessions::LoginSessions(std::function<Clock::time_point()> now, std::chrono::seconds idle, size_t max)
    : now_(std::move(now)), idle_(idle), max_(max ? max : 1) {}

std::optional<LoginSessions::Digest> LoginSessions::digest(std::string_view token) {
  if (!is_token(token)) return std::nullopt;
  return sha256(token);
}

void LoginSessions::expire(Clock::time_point now) {
  for (auto it = by_digest_.begin(); it != by_digest_.end();)
    it = now - it->second.last_used >= idle_ ? by_digest_.erase(it) : std::next(it);
}

std::string LoginSessions::create(uint64_t* id) {
  unsigned char raw[32];
  // RAND_bytes draws from OpenSSL's CSPRNG (seeded by the OS); on failure
  // there is no safe token to hand out.
  if (RAND_bytes(raw, sizeof raw) != 1) throw std::runtime_error("RAND_bytes failed");
  static const char kHex[] = "0123456789abcdef";
  std::string token;
  token.reserve(64);
  for (unsigned char b : raw) {
    token += kHex[b >> 4];
    token += kHex[b & 15];
  }
  std::lock_guard<std::mutex> lock(mu_);
  Clock::time_point now = now_();
  expire(now);
  while (by_digest_.size() >= max_) {
    auto oldest = by_digest_.begin();
    for (auto it = by_digest_.begin(); it != by_digest_.end(); ++it)
      if (it->second.last_used < oldest->second.last_used) oldest = it;
    by_digest_.erase(oldest);
  }
  uint64_t n = next_id_++;
  by_digest_[sha256(token)] = Entry{n, now};
  if (id) *id = n;
  return token;
}

std::optional<uint64_t> LoginSessions::find(std::string_view token) {
  auto d = digest(token);
  if (!d) return std::nullopt;
  std::lock_guard<std::mutex> lock(mu_);
  Clock::time_point now = now_();
  expire(now);
  auto it = by_digest_.find(*d);
  if (it == by_digest_.end()) return std::nullopt;
  it->second.last_used = now;
  return it->second.id;
}

bool LoginSessions::alive(uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  expire(now_());
  for (const auto& [d, e] : by_digest_)
    if (e.id == id) return true;
  return false;
}

void LoginSessions::drop(std::string_view token) {
  auto d = digest(token);
  if (!d) return;
  std::lock_guard<std::mutex> lock(mu_);
  by_digest_.erase(*d);
}

size_t LoginSessions::size() {
  std::lock_guard<std::mutex> lock(mu_);
  expire(now_());
  return by_digest_.size();
}

bool credentials_match(std::string_view given_key_id, std::string_view given_secret, std::string_view key_id,
                       std::string_view secret) {
  auto a = sha256(given_key_id), b = sha256(key_id), c = sha256(given_secret), d = sha256(secret);
  // Both compared, always; `&` not `&&`, so a wrong key id takes as long as a wrong secret.
  int id_differs = CRYPTO_memcmp(a.data(), b.data(), a.size());
  int secret_differs = CRYPTO_memcmp(c.data(), d.data(), c.size());
  return (id_differs == 0) & (secret_differs == 0);
}

}  // namespace mos::console

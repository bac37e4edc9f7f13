// The console's logins: a random token per login, carried by the browser in
// the HttpOnly cookie mos_console (README "Auth").
//  - Tokens are 32 bytes from OpenSSL's RAND_bytes as 64 lowercase hex
//    characters; only their SHA-256 is kept, and lookups go by that digest,
//    so neither a timing difference nor a memory dump gives a live token.
//  - A login ends after 12 h without a request (idle expiry), on logout, or
//    when a 65th login pushes out the one idle longest.
//  - A token the server did not issue is never accepted (no session fixation:
//    a login always makes a new token).
// Thread-safe (HTTP worker threads and the live watcher share one).
#pragma once
#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace mos::console {

class LoginSessions {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::hours kIdleExpiry{12};
  static constexpr size_t kMaxLogins = 64;

  explicit LoginSessions(std::function<Clock::time_point()> now = Clock::now,
                         std::chrono::seconds idle = kIdleExpiry, size_t max = kMaxLogins);

  // A new login; returns its token (64 hex characters) and sets `id`, a
  // number that names the login without revealing the token.
  std::string create(uint64_t* id = nullptr);
  // The login a token belongs to, if it is live; marks it used now.
  std::optional<uint64_t> find(std::string_view token);
  // Whether login `id` is still live (not expired, logged out or pushed out).
  bool alive(uint64_t id);
  // Ends the login of `token` (logout); unknown tokens are ignored.
  void drop(std::string_view token);
  size_t size();

 private:
  using Digest = std::array<unsigned char, 32>;
  struct Entry {
    uint64_t id;
    Clock::time_point last_used;
  };
  static std::optional<Digest> digest(std::string_view token);
  void expire(Clock::time_point now);

  std::function<Clock::time_point()> now_;
  std::chrono::seconds idle_;
  size_t max_;
  std::mutex mu_;
  std::map<Digest, Entry> by_digest_;
  uint64_t next_id_ = 1;
};

// The local cloud's credentials against the ones a person typed, in constant
// time: both sides are hashed (SHA-256) and the digests compared with
// CRYPTO_memcmp, so neither the length nor a matching prefix shows in timing.
bool credentials_match(std::string_view given_key_id, std::string_view given_secret, std::string_view key_id,
                       std::string_view secret);

}  // namespace mos::console

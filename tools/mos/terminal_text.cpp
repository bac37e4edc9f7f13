#include "terminal_text.h"

#include <cstdint>

namespace mos::cli {
namespace {

// Length of the well-formed UTF-8 sequence at s[i] and its code point, or 0
// (RFC 3629 §4, the table of well-formed byte sequences).
size_t utf8_sequence(std::string_view s, size_t i, uint32_t* cp) {
  const auto at = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char b = at(0);
  size_t n;
  unsigned char lo = 0x80, hi = 0xBF;  // range of the second byte
  if (b >= 0xC2 && b <= 0xDF) {
    n = 2;
  } else if (b >= 0xE0 && b <= 0xEF) {
    n = 3;
    if (b == 0xE0) lo = 0xA0;  // no overlong forms
    if (b == 0xED) hi = 0x9F;  // no UTF-16 surrogates
  } else if (b >= 0xF0 && b <= 0xF4) {
    n = 4;
    if (b == 0xF0) lo = 0x90;  // no overlong forms
    if (b == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  if (s.size() - i < n || at(1) < lo || at(1) > hi) return 0;
  uint32_t v = b & (0xFFu >> (n + 1));
  for (size_t k = 1; k < n; ++k) {
    if ((at(k) & 0xC0) != 0x80) return 0;
    v = (v << 6) | (at(k) & 0x3Fu);
  }
  *cp = v;
  return n;
}

// Well-formed characters that control a terminal or reorder the line.
bool steers_terminal(uint32_t cp) {
  return (cp >= 0x80 && cp <= 0x9F) || cp == 0x061C || cp == 0x200E || cp == 0x200F ||
         (cp >= 0x2028 && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

void put_hex(std::string& out, unsigned char b) {
  static const char kDigits[] = "0123456789abcdef";
  out += "\\x";
  out += kDigits[b >> 4];
  out += kDigits[b & 0x0F];
}

}  // namespace

std::string printable(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      if (b == '\\') out += "\\\\";
      else if (b < 0x20 || b == 0x7F) put_hex(out, b);
      else out += static_cast<char>(b);
      ++i;
      continue;
    }
    uint32_t cp = 0;
    const size_t n = utf8_sequence(s, i, &cp);
    if (n == 0) {  // one stray byte; resynchronise on the next
      put_hex(out, b);
      ++i;
    } else if (steers_terminal(cp)) {
      for (size_t k = 0; k < n; ++k) put_hex(out, static_cast<unsigned char>(s[i + k]));
      i += n;
    } else {
      out.append(s, i, n);
      i += n;
    }
  }
  return out;
}

}  // namespace mos::cli

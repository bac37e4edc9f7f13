// printable() on any bytes: the output is one line of well-formed UTF-8 with
// no control characters, and reading the escapes back gives the input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "terminal_text.h"

namespace {

int hexval(char c) { return c >= 'a' ? c - 'a' + 10 : c - '0'; }

// The inverse of printable(): "\\" -> '\', "\xNN" -> that byte.
std::string unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\') {
      out += s[i];
    } else if (i + 1 < s.size() && s[i + 1] == '\\') {
      out += '\\';
      ++i;
    } else {
      if (i + 4 > s.size() || s[i + 1] != 'x') std::abort();  // a lone '\' was not escaped
      out += static_cast<char>(hexval(s[i + 2]) * 16 + hexval(s[i + 3]));
      i += 3;
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string in(reinterpret_cast<const char*>(data), size);
  const std::string out = mos::cli::printable(in);
  for (size_t i = 0; i < out.size(); ++i) {
    const auto b = static_cast<unsigned char>(out[i]);
    if (b < 0x20 || b == 0x7F) std::abort();  // no C0 control, no DEL
    if (b == 0xC2 && i + 1 < out.size() && static_cast<unsigned char>(out[i + 1]) <= 0x9F) std::abort();  // no C1
    if (b == 0xE2 && out.compare(i, 2, "\xe2\x80") == 0 && i + 2 < out.size() &&
        static_cast<unsigned char>(out[i + 2]) >= 0xA8 && static_cast<unsigned char>(out[i + 2]) <= 0xAE)
      std::abort();  // no separators or bidi embeddings/overrides
  }
  if (unescape(out) != in) std::abort();
  return 0;
}

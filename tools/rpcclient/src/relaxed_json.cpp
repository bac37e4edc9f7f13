#include "mos/rpcclient/relaxed_json.h"

#include <nlohmann/json.hpp>

#include "mos/json.h"

namespace mos::rpcclient {
namespace {

bool ident_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$';
}
bool ident_char(char c) { return ident_start(c) || (c >= '0' && c <= '9'); }
bool blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

}  // namespace

bool relaxed_to_strict(std::string_view text, std::string* strict, std::string* why) {
  // The device's reader decides what is valid; after that the only bare
  // words outside strings are true/false/null and keys, and a key is the
  // one followed by ':'.
  // Deeper than the device reads is still converted: the scan below does not
  // recurse, nlohmann checks the result, and the device says what it thinks.
  json::Result r = json::parse(text);
  if (r != json::Result::kOk && r != json::Result::kTooDeep) {
    *why = json::to_string(r);
    return false;
  }
  std::string out;
  out.reserve(text.size() + 16);
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == '"') {  // copy a string through its closing quote
      size_t j = i + 1;
      while (j < text.size() && text[j] != '"') j += text[j] == '\\' ? size_t{2} : size_t{1};
      out.append(text.substr(i, j + 1 - i));
      i = j + 1;
      continue;
    }
    if (ident_start(c)) {
      size_t j = i;
      while (j < text.size() && ident_char(text[j])) ++j;
      size_t k = j;
      while (k < text.size() && blank(text[k])) ++k;
      std::string_view word = text.substr(i, j - i);
      if (k < text.size() && text[k] == ':') {
        out += '"';
        out.append(word);
        out += '"';
      } else {
        out.append(word);
      }
      i = j;
      continue;
    }
    out += c;
    ++i;
  }
  // What the host sends must be RFC 8259 for every reader: text too deep for
  // the device's reader is unchecked by it, and the device takes any bytes
  // in strings where RFC 8259 §8.1 asks for UTF-8.
  if (!nlohmann::json::accept(out)) {
    *why = r == json::Result::kTooDeep ? json::to_string(json::Result::kMalformed) : "not UTF-8 text";
    return false;
  }
  *strict = std::move(out);
  return true;
}

}  // namespace mos::rpcclient

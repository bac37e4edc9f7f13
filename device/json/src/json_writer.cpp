// Strict JSON writer (RFC 8259) into a caller-owned buffer; never writes past it.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "mos/json.h"

namespace mos::json {

void Writer::put(char c) {
  if (!measure_) {
    if (size_ < out_.size()) {
      out_[size_] = c;
    } else {
      fail(Result::kNoSpace);
    }
  }
  ++size_;
}

void Writer::put(std::string_view s) {
  for (char c : s) put(c);
}

// RFC 8259 §7: '"', '\\' and the control characters U+0000..U+001F must be
// escaped; everything else (UTF-8 included) may go through as is.
void Writer::put_escaped(std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  put('"');
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    switch (c) {
      case '"': put("\\\""); break;
      case '\\': put("\\\\"); break;
      case '\b': put("\\b"); break;
      case '\f': put("\\f"); break;
      case '\n': put("\\n"); break;
      case '\r': put("\\r"); break;
      case '\t': put("\\t"); break;
      default:
        if (u < 0x20) {
          put("\\u00");
          put(kHex[u >> 4]);
          put(kHex[u & 0xF]);
        } else {
          put(c);
        }
    }
  }
  put('"');
}

// Emits the separator a value needs here; false if no value may come here.
bool Writer::before_value() {
  if (depth_ == 0) {
    if (root_done_) {
      fail(Result::kMalformed);  // a document holds exactly one value
      return false;
    }
    return true;
  }
  const uint32_t bit = 1u << depth_;
  if (is_object_ & bit) {
    if (!after_key_) {
      fail(Result::kMalformed);  // object members need key() first
      return false;
    }
    after_key_ = false;
    return true;
  }
  if (has_items_ & bit) put(',');
  has_items_ |= bit;
  return true;
}

Writer& Writer::open(char c, bool is_object) {
  if (!before_value()) return *this;
  if (depth_ >= MOS_JSON_MAX_DEPTH) {
    fail(Result::kTooDeep);
    return *this;
  }
  put(c);
  ++depth_;
  const uint32_t bit = 1u << depth_;
  if (is_object) {
    is_object_ |= bit;
  } else {
    is_object_ &= ~bit;
  }
  has_items_ &= ~bit;
  return *this;
}

Writer& Writer::close(char c, bool is_object) {
  const uint32_t bit = 1u << depth_;
  if (depth_ == 0 || ((is_object_ & bit) != 0) != is_object || after_key_) {
    fail(Result::kMalformed);
    return *this;
  }
  put(c);
  --depth_;
  if (depth_ == 0) root_done_ = true;
  return *this;
}

Writer& Writer::begin_object() { return open('{', true); }
Writer& Writer::end_object() { return close('}', true); }
Writer& Writer::begin_array() { return open('[', false); }
Writer& Writer::end_array() { return close(']', false); }

bool Writer::start_key() {
  const uint32_t bit = 1u << depth_;
  if (depth_ == 0 || (is_object_ & bit) == 0 || after_key_) {
    fail(Result::kMalformed);
    return false;
  }
  if (has_items_ & bit) put(',');
  has_items_ |= bit;
  return true;
}

Writer& Writer::key(std::string_view k) {
  if (!start_key()) return *this;
  put_escaped(k);
  put(':');
  after_key_ = true;
  return *this;
}

// Scalars: a value at depth 0 completes the document.
#define MOS_JSON_SCALAR(emit)              \
  if (!before_value()) return *this;       \
  emit;                                    \
  if (depth_ == 0) root_done_ = true;      \
  return *this

Writer& Writer::string_value(std::string_view s) { MOS_JSON_SCALAR(put_escaped(s)); }
Writer& Writer::bool_value(bool v) { MOS_JSON_SCALAR(put(v ? "true" : "false")); }
Writer& Writer::null_value() { MOS_JSON_SCALAR(put("null")); }
Writer& Writer::raw_value(std::string_view json) { MOS_JSON_SCALAR(put(json)); }

Writer& Writer::uint_value(uint64_t v) {
  char digits[20];
  size_t n = 0;
  do {
    digits[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  MOS_JSON_SCALAR(while (n > 0) put(digits[--n]));
}

Writer& Writer::int_value(int64_t v) {
  if (v >= 0) return uint_value(static_cast<uint64_t>(v));
  // Negate in unsigned arithmetic: -INT64_MIN does not fit int64_t.
  uint64_t mag = ~static_cast<uint64_t>(v) + 1u;
  char digits[21];
  size_t n = 0;
  do {
    digits[n++] = static_cast<char>('0' + mag % 10);
    mag /= 10;
  } while (mag != 0);
  digits[n++] = '-';
  MOS_JSON_SCALAR(while (n > 0) put(digits[--n]));
}

Writer& Writer::double_value(double v) {
  if (!std::isfinite(v)) return null_value();  // RFC 8259 §6: no NaN/Infinity
  char buf[32];
  // 15 significant digits round-trip most values people type ("0.1"); 17
  // always round-trip an IEEE 754 double.
  int n = std::snprintf(buf, sizeof(buf), "%.15g", v);
  if (n > 0 && std::strtod(buf, nullptr) != v) n = std::snprintf(buf, sizeof(buf), "%.17g", v);
  if (n <= 0 || static_cast<size_t>(n) >= sizeof(buf)) {
    fail(Result::kMalformed);
    return *this;
  }
  MOS_JSON_SCALAR(put(std::string_view(buf, static_cast<size_t>(n))));
}

#undef MOS_JSON_SCALAR

Writer& Writer::token_value(const Token& t) {
  switch (t.type) {
    case Type::kObject:
    case Type::kArray: {
      const bool obj = t.type == Type::kObject;
      if (obj) {
        begin_object();
      } else {
        begin_array();
      }
      if (result_ != Result::kOk && result_ != Result::kNoSpace) return *this;
      Iterator it(t);
      Token k, v;
      while (it.next(&k, &v)) {
        if (obj && start_key()) {
          // A quoted key is already strict JSON (the reader checked its
          // escapes); a bare identifier needs only quotes, its characters
          // never need escaping.
          if (!k.text.empty() && k.text[0] == '"') {
            put(k.text);
          } else {
            put('"');
            put(k.text);
            put('"');
          }
          put(':');
          after_key_ = true;
        }
        token_value(v);
      }
      if (it.result() != Result::kOk) {
        fail(it.result());
        return *this;
      }
      return obj ? end_object() : end_array();
    }
    case Type::kString:
      // Bare identifiers are keys only; a string value must be quoted.
      if (t.text.size() < 2 || t.text[0] != '"') break;
      return raw_value(t.text);
    case Type::kNumber:
    case Type::kTrue:
    case Type::kFalse:
    case Type::kNull:
      if (t.text.empty()) break;
      return raw_value(t.text);
    case Type::kInvalid:
      break;
  }
  fail(Result::kMalformed);
  return *this;
}

}  // namespace mos::json

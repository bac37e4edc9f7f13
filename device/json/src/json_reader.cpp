// Relaxed JSON reader: a recursive-descent scanner over the caller's text.
// Hand-written for the device: zero allocation, views into the input, bounded
// recursion (MOS_JSON_MAX_DEPTH). Every read is checked against `end`, so no
// input can make it read out of bounds.
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "mos/json.h"

namespace mos::json {

const char* to_string(Result r) {
  switch (r) {
    case Result::kOk: return "ok";
    case Result::kNotFound: return "not found";
    case Result::kMalformed: return "malformed JSON";
    case Result::kTruncated: return "truncated JSON";
    case Result::kTooDeep: return "JSON nested too deep";
    case Result::kWrongType: return "wrong type";
    case Result::kOutOfRange: return "number out of range";
    case Result::kNoSpace: return "buffer too small";
    case Result::kBadPath: return "bad path";
  }
  return "?";
}

const char* to_string(Type t) {
  switch (t) {
    case Type::kInvalid: return "invalid";
    case Type::kObject: return "object";
    case Type::kArray: return "array";
    case Type::kString: return "string";
    case Type::kNumber: return "number";
    case Type::kTrue:
    case Type::kFalse: return "bool";
    case Type::kNull: return "null";
  }
  return "?";
}

namespace {

// RFC 8259 §2: the only insignificant whitespace.
bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_ident_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$';
}
bool is_ident(char c) { return is_ident_start(c) || is_digit(c); }
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

struct Scanner {
  const char* p;
  const char* end;

  void skip_ws() {
    while (p < end && is_ws(*p)) ++p;
  }

  // Reads 4 hex digits after "\u" (p at the first digit).
  Result hex4(uint32_t* cp) {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      if (p >= end) return Result::kTruncated;
      int h = hex_value(*p++);
      if (h < 0) return Result::kMalformed;
      v = (v << 4) | static_cast<uint32_t>(h);
    }
    *cp = v;
    return Result::kOk;
  }

  // RFC 8259 §7. p at the opening quote. Surrogates must pair up (a lone one
  // cannot become UTF-8), so as_string() never meets an invalid escape.
  Result string(Token* out) {
    const char* start = p++;
    while (true) {
      if (p >= end) return Result::kTruncated;
      char c = *p++;
      if (c == '"') break;
      if (static_cast<unsigned char>(c) < 0x20) return Result::kMalformed;
      if (c != '\\') continue;
      if (p >= end) return Result::kTruncated;
      c = *p++;
      switch (c) {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
          break;
        case 'u': {
          uint32_t cp = 0;
          Result r = hex4(&cp);
          if (r != Result::kOk) return r;
          if (cp >= 0xDC00 && cp <= 0xDFFF) return Result::kMalformed;  // lone low half
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (p >= end) return Result::kTruncated;
            if (*p != '\\') return Result::kMalformed;
            if (++p >= end) return Result::kTruncated;
            if (*p != 'u') return Result::kMalformed;
            ++p;
            uint32_t lo = 0;
            r = hex4(&lo);
            if (r != Result::kOk) return r;
            if (lo < 0xDC00 || lo > 0xDFFF) return Result::kMalformed;
          }
          break;
        }
        default:
          return Result::kMalformed;
      }
    }
    out->type = Type::kString;
    out->text = std::string_view(start, static_cast<size_t>(p - start));
    return Result::kOk;
  }

  // RFC 8259 §6: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
  Result number(Token* out) {
    const char* start = p;
    if (*p == '-') ++p;
    if (p >= end) return Result::kTruncated;
    if (*p == '0') {
      ++p;
    } else if (is_digit(*p)) {
      while (p < end && is_digit(*p)) ++p;
    } else {
      return Result::kMalformed;
    }
    if (p < end && *p == '.') {
      ++p;
      if (p >= end) return Result::kTruncated;
      if (!is_digit(*p)) return Result::kMalformed;
      while (p < end && is_digit(*p)) ++p;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
      ++p;
      if (p < end && (*p == '+' || *p == '-')) ++p;
      if (p >= end) return Result::kTruncated;
      if (!is_digit(*p)) return Result::kMalformed;
      while (p < end && is_digit(*p)) ++p;
    }
    // "01", "1x", "-a": a number must not run into letters or digits.
    if (p < end && (is_ident(*p) || *p == '.')) return Result::kMalformed;
    out->type = Type::kNumber;
    out->text = std::string_view(start, static_cast<size_t>(p - start));
    return Result::kOk;
  }

  Result literal(std::string_view word, Type type, Token* out) {
    const char* start = p;
    for (char w : word) {
      if (p >= end) return Result::kTruncated;
      if (*p++ != w) return Result::kMalformed;
    }
    if (p < end && is_ident(*p)) return Result::kMalformed;  // "truex"
    out->type = type;
    out->text = std::string_view(start, word.size());
    return Result::kOk;
  }

  // An object key: a string, or (the relaxation) a bare identifier.
  Result key(Token* out) {
    if (p >= end) return Result::kTruncated;
    if (*p == '"') return string(out);
    if (!is_ident_start(*p)) return Result::kMalformed;
    const char* start = p;
    while (p < end && is_ident(*p)) ++p;
    out->type = Type::kString;
    out->text = std::string_view(start, static_cast<size_t>(p - start));
    return Result::kOk;
  }

  // A container after its opening bracket; depth counts this container.
  Result container(char close, bool is_object, int depth) {
    skip_ws();
    if (p >= end) return Result::kTruncated;
    if (*p == close) {
      ++p;
      return Result::kOk;
    }
    while (true) {
      Token t;
      Result r;
      if (is_object) {
        r = key(&t);
        if (r != Result::kOk) return r;
        skip_ws();
        if (p >= end) return Result::kTruncated;
        if (*p++ != ':') return Result::kMalformed;
      }
      r = value(&t, depth + 1);
      if (r != Result::kOk) return r;
      skip_ws();
      if (p >= end) return Result::kTruncated;
      char c = *p++;
      if (c == close) return Result::kOk;
      if (c != ',') return Result::kMalformed;
      skip_ws();
      if (p >= end) return Result::kTruncated;
      if (*p == close) return Result::kMalformed;  // no trailing commas
    }
  }

  // Any value, after optional whitespace. `depth` is the nesting level the
  // value would open if it is a container (1 for the root).
  Result value(Token* out, int depth) {
    skip_ws();
    if (p >= end) return Result::kTruncated;
    const char* start = p;
    char c = *p;
    switch (c) {
      case '{':
      case '[': {
        if (depth > MOS_JSON_MAX_DEPTH) return Result::kTooDeep;
        ++p;
        bool obj = c == '{';
        Result r = container(obj ? '}' : ']', obj, depth);
        if (r != Result::kOk) return r;
        out->type = obj ? Type::kObject : Type::kArray;
        out->text = std::string_view(start, static_cast<size_t>(p - start));
        return Result::kOk;
      }
      case '"': return string(out);
      case 't': return literal("true", Type::kTrue, out);
      case 'f': return literal("false", Type::kFalse, out);
      case 'n': return literal("null", Type::kNull, out);
      default:
        if (c == '-' || is_digit(c)) return number(out);
        return Result::kMalformed;
    }
  }
};

// Appends the UTF-8 encoding of code point cp (RFC 3629 §3) via sink(byte).
template <class Sink>
bool put_utf8(uint32_t cp, Sink& sink) {
  if (cp < 0x80) return sink(static_cast<char>(cp));
  if (cp < 0x800) {
    return sink(static_cast<char>(0xC0 | (cp >> 6))) &&
           sink(static_cast<char>(0x80 | (cp & 0x3F)));
  }
  if (cp < 0x10000) {
    return sink(static_cast<char>(0xE0 | (cp >> 12))) &&
           sink(static_cast<char>(0x80 | ((cp >> 6) & 0x3F))) &&
           sink(static_cast<char>(0x80 | (cp & 0x3F)));
  }
  return sink(static_cast<char>(0xF0 | (cp >> 18))) &&
         sink(static_cast<char>(0x80 | ((cp >> 12) & 0x3F))) &&
         sink(static_cast<char>(0x80 | ((cp >> 6) & 0x3F))) &&
         sink(static_cast<char>(0x80 | (cp & 0x3F)));
}

// Decodes a string or bare-key token byte by byte into sink(char) -> bool
// (false = stop). Re-checks everything, so hand-made tokens are safe too.
template <class Sink>
Result decode_string(const Token& t, Sink& sink) {
  if (t.type != Type::kString) return Result::kWrongType;
  std::string_view s = t.text;
  if (s.empty() || s[0] != '"') {  // bare identifier key: no escapes possible
    for (char c : s) {
      if (!sink(c)) return Result::kNoSpace;
    }
    return Result::kOk;
  }
  if (s.size() < 2 || s.back() != '"') return Result::kMalformed;
  Scanner sc{s.data() + 1, s.data() + s.size() - 1};
  while (sc.p < sc.end) {
    char c = *sc.p++;
    if (c != '\\') {
      if (!sink(c)) return Result::kNoSpace;
      continue;
    }
    if (sc.p >= sc.end) return Result::kMalformed;
    c = *sc.p++;
    char plain = 0;
    switch (c) {
      case '"': plain = '"'; break;
      case '\\': plain = '\\'; break;
      case '/': plain = '/'; break;
      case 'b': plain = '\b'; break;
      case 'f': plain = '\f'; break;
      case 'n': plain = '\n'; break;
      case 'r': plain = '\r'; break;
      case 't': plain = '\t'; break;
      case 'u': {
        uint32_t cp = 0;
        if (sc.hex4(&cp) != Result::kOk) return Result::kMalformed;
        if (cp >= 0xDC00 && cp <= 0xDFFF) return Result::kMalformed;
        if (cp >= 0xD800 && cp <= 0xDBFF) {  // RFC 8259 §7 surrogate pair
          uint32_t lo = 0;
          if (sc.end - sc.p < 6 || sc.p[0] != '\\' || sc.p[1] != 'u') return Result::kMalformed;
          sc.p += 2;
          if (sc.hex4(&lo) != Result::kOk || lo < 0xDC00 || lo > 0xDFFF) {
            return Result::kMalformed;
          }
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        if (!put_utf8(cp, sink)) return Result::kNoSpace;
        continue;
      }
      default:
        return Result::kMalformed;
    }
    if (!sink(plain)) return Result::kNoSpace;
  }
  return Result::kOk;
}

// Path segment: a key ("gpio") or an index ("[2]"). Advances *path.
struct Segment {
  bool is_index = false;
  std::string_view key;
  size_t index = 0;
};

Result next_segment(std::string_view* path, Segment* seg) {
  std::string_view p = *path;
  if (!p.empty() && p[0] == '.') {
    p.remove_prefix(1);
    if (p.empty() || p[0] == '.' || p[0] == '[') return Result::kBadPath;
  }
  if (p.empty()) return Result::kBadPath;
  if (p[0] == '[') {
    size_t i = 1;
    size_t v = 0;
    if (i >= p.size() || !is_digit(p[i])) return Result::kBadPath;
    for (; i < p.size() && is_digit(p[i]); ++i) {
      if (v > (SIZE_MAX - 9) / 10) return Result::kBadPath;  // no index that big exists
      v = v * 10 + static_cast<size_t>(p[i] - '0');
    }
    if (i >= p.size() || p[i] != ']') return Result::kBadPath;
    seg->is_index = true;
    seg->index = v;
    p.remove_prefix(i + 1);
  } else {
    size_t i = 0;
    while (i < p.size() && p[i] != '.' && p[i] != '[') ++i;
    if (i == 0) return Result::kBadPath;
    seg->is_index = false;
    seg->key = p.substr(0, i);
    p.remove_prefix(i);
  }
  if (!p.empty() && p[0] != '.' && p[0] != '[') return Result::kBadPath;
  *path = p;
  return Result::kOk;
}

}  // namespace

Result parse(std::string_view text, Token* root) {
  Scanner sc{text.data(), text.data() + text.size()};
  Token t;
  Result r = sc.value(&t, 1);
  if (r != Result::kOk) return r;
  sc.skip_ws();
  if (sc.p != sc.end) return Result::kMalformed;  // trailing garbage
  if (root != nullptr) *root = t;
  return Result::kOk;
}

Result find(std::string_view text, std::string_view path, Token* out) {
  Token root;
  Result r = parse(text, &root);
  if (r != Result::kOk) return r;
  return find(root, path, out);
}

Result find(const Token& from, std::string_view path, Token* out) {
  Token cur = from;
  if (!path.empty() && path[0] == '.') return Result::kBadPath;
  while (!path.empty()) {
    Segment seg;
    Result r = next_segment(&path, &seg);
    if (r != Result::kOk) return r;
    if (seg.is_index ? !cur.is_array() : !cur.is_object()) return Result::kNotFound;
    Iterator it(cur);
    Token k, v;
    bool found = false;
    while (it.next(&k, &v)) {
      if (seg.is_index ? it.index() - 1 == seg.index : string_equals(k, seg.key)) {
        found = true;
        break;
      }
    }
    if (it.result() != Result::kOk) return it.result();
    if (!found) return Result::kNotFound;
    cur = v;
  }
  *out = cur;
  return Result::kOk;
}

Iterator::Iterator(const Token& container)
    : p_(container.text.data()),
      end_(container.text.data() + container.text.size()),
      type_(container.type) {
  if (type_ != Type::kObject && type_ != Type::kArray) {
    result_ = Result::kWrongType;
    done_ = true;
    return;
  }
  Scanner sc{p_, end_};
  sc.skip_ws();
  if (sc.p >= sc.end || *sc.p != (type_ == Type::kObject ? '{' : '[')) {
    result_ = Result::kMalformed;
    done_ = true;
    return;
  }
  p_ = sc.p + 1;
}

bool Iterator::next(Token* key, Token* value) {
  if (done_) return false;
  const bool obj = type_ == Type::kObject;
  const char close = obj ? '}' : ']';
  Scanner sc{p_, end_};
  auto fail = [&](Result r) {
    result_ = r;
    done_ = true;
    return false;
  };
  sc.skip_ws();
  if (sc.p >= sc.end) return fail(Result::kTruncated);
  if (index_ > 0) {
    if (*sc.p == close) {
      done_ = true;
      return false;
    }
    if (*sc.p++ != ',') return fail(Result::kMalformed);
    sc.skip_ws();
  } else if (*sc.p == close) {
    done_ = true;
    return false;
  }
  Token k;
  if (obj) {
    Result r = sc.key(&k);
    if (r != Result::kOk) return fail(r);
    sc.skip_ws();
    if (sc.p >= sc.end) return fail(Result::kTruncated);
    if (*sc.p++ != ':') return fail(Result::kMalformed);
  }
  Token v;
  // The container itself is level 1 here; a caller that got it from parse()
  // has already had the full document checked against the limit.
  Result r = sc.value(&v, 2);
  if (r != Result::kOk) return fail(r);
  p_ = sc.p;
  ++index_;
  if (key != nullptr) *key = obj ? k : Token{};
  if (value != nullptr) *value = v;
  return true;
}

Result as_int64(const Token& t, int64_t* out) {
  if (t.type != Type::kNumber) return Result::kWrongType;
  std::string_view s = t.text;
  bool neg = !s.empty() && s[0] == '-';
  if (neg) s.remove_prefix(1);
  if (s.empty()) return Result::kMalformed;
  // Accumulate as a negative number: |INT64_MIN| is one more than INT64_MAX.
  int64_t v = 0;
  for (char c : s) {
    if (c == '.' || c == 'e' || c == 'E') return Result::kWrongType;
    if (!is_digit(c)) return Result::kMalformed;
    int d = c - '0';
    if (v < (INT64_MIN + d) / 10) return Result::kOutOfRange;
    v = v * 10 - d;
  }
  if (!neg) {
    if (v == INT64_MIN) return Result::kOutOfRange;
    v = -v;
  }
  *out = v;
  return Result::kOk;
}

Result as_int(const Token& t, int* out) {
  int64_t v = 0;
  Result r = as_int64(t, &v);
  if (r != Result::kOk) return r;
  if (v < INT32_MIN || v > INT32_MAX) return Result::kOutOfRange;
  *out = static_cast<int>(v);
  return Result::kOk;
}

Result as_bool(const Token& t, bool* out) {
  if (!t.is_bool()) return Result::kWrongType;
  *out = t.type == Type::kTrue;
  return Result::kOk;
}

Result as_double(const Token& t, double* out) {
  if (t.type != Type::kNumber) return Result::kWrongType;
  char buf[64];
  if (t.text.empty() || t.text.size() >= sizeof(buf)) return Result::kOutOfRange;
  std::memcpy(buf, t.text.data(), t.text.size());
  buf[t.text.size()] = '\0';
  char* endp = nullptr;
  double v = std::strtod(buf, &endp);
  if (endp != buf + t.text.size()) return Result::kMalformed;
  if (std::isinf(v)) return Result::kOutOfRange;
  *out = v;
  return Result::kOk;
}

Result as_string(const Token& t, Span<char> out, size_t* len) {
  if (out.empty()) return Result::kNoSpace;
  size_t n = 0;
  auto sink = [&](char c) {
    if (n + 1 >= out.size()) return false;  // keep room for the NUL
    out[n++] = c;
    return true;
  };
  Result r = decode_string(t, sink);
  if (r != Result::kOk) {
    out[0] = '\0';
    return r;
  }
  out[n] = '\0';
  if (len != nullptr) *len = n;
  return Result::kOk;
}

bool string_equals(const Token& t, std::string_view s) {
  size_t n = 0;
  auto sink = [&](char c) {
    if (n >= s.size() || s[n] != c) return false;
    ++n;
    return true;
  };
  return decode_string(t, sink) == Result::kOk && n == s.size();
}

Result get_int(std::string_view text, std::string_view path, int* out) {
  Token t;
  Result r = find(text, path, &t);
  return r == Result::kOk ? as_int(t, out) : r;
}

Result get_int64(std::string_view text, std::string_view path, int64_t* out) {
  Token t;
  Result r = find(text, path, &t);
  return r == Result::kOk ? as_int64(t, out) : r;
}

Result get_bool(std::string_view text, std::string_view path, bool* out) {
  Token t;
  Result r = find(text, path, &t);
  return r == Result::kOk ? as_bool(t, out) : r;
}

Result get_double(std::string_view text, std::string_view path, double* out) {
  Token t;
  Result r = find(text, path, &t);
  return r == Result::kOk ? as_double(t, out) : r;
}

Result get_string(std::string_view text, std::string_view path, Span<char> out, size_t* len) {
  Token t;
  Result r = find(text, path, &t);
  if (r != Result::kOk) {
    if (!out.empty()) out[0] = '\0';
    return r;
  }
  return as_string(t, out, len);
}

}  // namespace mos::json

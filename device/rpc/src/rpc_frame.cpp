#include "mos/rpc_frame.h"

#include <cstring>

namespace mos::rpc {

const char* to_string(LineKind k) {
  switch (k) {
    case LineKind::kNotFrame: return "not a frame";
    case LineKind::kFrame: return "frame";
    case LineKind::kHandshake: return "handshake";
    case LineKind::kEmpty: return "empty frame";
    case LineKind::kBadCrc: return "CRC mismatch";
    case LineKind::kBadMeta: return "bad frame metadata";
  }
  return "?";
}

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool starts_with(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(0, p.size()) == p;
}

}  // namespace

DecodedLine decode_line(std::string_view line) {
  DecodedLine d;
  std::string_view s = trim(line);
  if (s.size() < 2 * kDelimiter.size() || !starts_with(s, kDelimiter) ||
      s.substr(s.size() - kDelimiter.size()) != kDelimiter) {
    return d;  // kNotFrame
  }
  std::string_view body = s.substr(kDelimiter.size(), s.size() - 2 * kDelimiter.size());
  if (body.empty()) {
    d.kind = LineKind::kEmpty;
    return d;
  }
  if (body.size() == 1 && body[0] == kEofChar) {
    d.kind = LineKind::kHandshake;
    return d;
  }
  // Metadata is whatever follows the JSON object's closing brace.
  size_t close = body.rfind('}');
  if (close == std::string_view::npos) {
    d.kind = LineKind::kBadMeta;
    return d;
  }
  std::string_view json = body.substr(0, close + 1);
  std::string_view meta = trim(body.substr(close + 1));
  d.json = json;
  if (meta.empty()) {
    d.kind = LineKind::kFrame;
    return d;
  }
  if (meta.size() != kCrcHexLen) {
    d.kind = LineKind::kBadMeta;
    return d;
  }
  uint32_t expected = 0;
  for (char c : meta) {
    int h = hex_digit(c);
    if (h < 0) {
      d.kind = LineKind::kBadMeta;
      return d;
    }
    expected = (expected << 4) | static_cast<uint32_t>(h);
  }
  d.had_crc = true;
  d.crc_expected = expected;
  d.crc_actual = crc32(json);
  d.kind = d.crc_actual == expected ? LineKind::kFrame : LineKind::kBadCrc;
  return d;
}

size_t encoded_size(std::string_view json, bool with_crc) {
  return 2 * kDelimiter.size() + json.size() + (with_crc ? kCrcHexLen : 0) + 1;
}

Status encode_line(std::string_view json, bool with_crc, Span<char> out, size_t* len) {
  const size_t need = encoded_size(json, with_crc);
  if (need > out.size()) return Status::kNoSpace;
  char* p = out.data();
  std::memcpy(p, kDelimiter.data(), kDelimiter.size());
  p += kDelimiter.size();
  if (!json.empty()) std::memcpy(p, json.data(), json.size());
  p += json.size();
  if (with_crc) {
    static const char kHex[] = "0123456789abcdef";
    uint32_t crc = crc32(json);
    for (int shift = 28; shift >= 0; shift -= 4) *p++ = kHex[(crc >> shift) & 0xF];
  }
  std::memcpy(p, kDelimiter.data(), kDelimiter.size());
  p += kDelimiter.size();
  *p++ = '\n';
  *len = need;
  return Status::kOk;
}

size_t LineAssemblerBase::feed(ConstByteSpan in, std::string_view* line, bool* has_line) {
  *has_line = false;
  size_t i = 0;
  while (i < in.size()) {
    char c = static_cast<char>(in[i++]);
    // A line ends at LF, CR or CRLF: serial terminals such as picocom send a
    // bare CR for Enter, and the LF of a CRLF pair is not a second, empty line.
    const bool lf_after_cr = c == '\n' && after_cr_;
    after_cr_ = c == '\r';
    if (lf_after_cr) continue;
    if (c == '\n' || c == '\r') {
      if (discarding_) {
        discarding_ = false;  // the oversize line ends here; resync
        len_ = 0;
        continue;
      }
      *line = std::string_view(buf_, len_);
      *has_line = true;
      len_ = 0;  // the view stays valid until the next feed() writes
      return i;
    }
    if (discarding_) continue;
    if (len_ == cap_) {
      discarding_ = true;
      ++oversize_dropped_;
      len_ = 0;
      continue;
    }
    buf_[len_++] = c;
  }
  return i;
}

namespace {

json::Result string_field(const json::Token& obj, std::string_view name, json::Token* out) {
  json::Result r = json::find(obj, name, out);
  if (r == json::Result::kNotFound) {
    *out = json::Token{};
    return json::Result::kOk;
  }
  if (r != json::Result::kOk) return r;
  return out->is_string() ? json::Result::kOk : json::Result::kWrongType;
}

}  // namespace

json::Result parse_frame(std::string_view json, Frame* out) {
  Frame f;
  json::Token root;
  json::Result r = json::parse(json, &root);
  if (r != json::Result::kOk) return r;
  if (!root.is_object()) return json::Result::kWrongType;
  json::Token t;
  r = json::find(root, "id", &t);
  if (r == json::Result::kOk) {
    r = json::as_int64(t, &f.id);
    if (r != json::Result::kOk) return r;
    f.has_id = true;
  } else if (r != json::Result::kNotFound) {
    return r;
  }
  if ((r = string_field(root, "src", &f.src)) != json::Result::kOk) return r;
  if ((r = string_field(root, "dst", &f.dst)) != json::Result::kOk) return r;
  if ((r = string_field(root, "method", &f.method)) != json::Result::kOk) return r;
  if (json::find(root, "params", &f.params) != json::Result::kOk &&
      json::find(root, "args", &f.params) != json::Result::kOk) {
    f.params = json::Token{};
  }
  if (json::find(root, "result", &f.result) != json::Result::kOk) f.result = json::Token{};
  json::Token err;
  if (json::find(root, "error", &err) == json::Result::kOk) {
    if (!err.is_object()) return json::Result::kWrongType;
    r = json::find(err, "code", &t);
    if (r != json::Result::kOk) return r == json::Result::kNotFound ? json::Result::kWrongType : r;
    r = json::as_int(t, &f.error_code);
    if (r != json::Result::kOk) return r;
    if ((r = string_field(err, "message", &f.error_message)) != json::Result::kOk) return r;
    f.has_error = true;
  }
  *out = f;
  return json::Result::kOk;
}

namespace {

bool ident_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$';
}
bool ident_char(char c) { return ident_start(c) || (c >= '0' && c <= '9'); }

size_t skip_blank(std::string_view s, size_t i) {
  while (i < s.size() && is_blank(s[i])) ++i;
  return i;
}

// Index just past the string starting at s[i] == '"', or npos if unterminated.
size_t skip_string(std::string_view s, size_t i) {
  for (++i; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
    } else if (s[i] == '"') {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

// A scalar token at s[i]: a string or a run of number characters, kept only
// if the reader takes it as that type alone.
std::string_view scalar_at(std::string_view s, size_t i, json::Type want_a, json::Type want_b) {
  size_t end = i;
  if (i < s.size() && s[i] == '"') {
    end = skip_string(s, i);
    if (end == std::string_view::npos) return {};
  } else {
    while (end < s.size() && ((s[end] >= '0' && s[end] <= '9') || s[end] == '-' || s[end] == '+' ||
                              s[end] == '.' || s[end] == 'e' || s[end] == 'E')) {
      ++end;
    }
  }
  std::string_view tok = s.substr(i, end - i);
  json::Token t;
  if (tok.empty() || json::parse(tok, &t) != json::Result::kOk) return {};
  return t.type == want_a || t.type == want_b ? tok : std::string_view();
}

}  // namespace

bool scan_request_head(std::string_view s, RequestHead* out) {
  *out = RequestHead{};
  size_t i = skip_blank(s, 0);
  if (i >= s.size() || s[i] != '{') return false;
  ++i;
  size_t depth = 1;
  bool want_key = true;
  while (i < s.size() && depth > 0) {
    if (depth == 1 && want_key) {
      want_key = false;
      i = skip_blank(s, i);
      if (i >= s.size()) break;
      if (s[i] == '}') break;
      std::string_view key;
      if (s[i] == '"') {
        size_t end = skip_string(s, i);
        if (end == std::string_view::npos) break;
        key = s.substr(i + 1, end - i - 2);
        i = end;
      } else if (ident_start(s[i])) {  // the relaxed reader's bare key
        size_t end = i;
        while (end < s.size() && ident_char(s[end])) ++end;
        key = s.substr(i, end - i);
        i = end;
      } else {
        break;
      }
      i = skip_blank(s, i);
      if (i >= s.size() || s[i] != ':') break;
      i = skip_blank(s, i + 1);
      if (key == "id" && out->id.empty()) {
        out->id = scalar_at(s, i, json::Type::kNumber, json::Type::kString);
      } else if (key == "src" && out->src.empty()) {
        out->src = scalar_at(s, i, json::Type::kString, json::Type::kString);
      } else if (key == "method") {
        out->has_method = true;
      }
      continue;  // the value is skipped below like any other
    }
    const char c = s[i];
    if (c == '"') {
      i = skip_string(s, i);
      if (i == std::string_view::npos) break;
      continue;
    }
    if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      --depth;
    } else if (c == ',' && depth == 1) {
      want_key = true;
    }
    ++i;
  }
  return true;
}

}  // namespace mos::rpc

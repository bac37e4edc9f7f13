#include "mos/config.h"

#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "mos/log.h"

namespace mos {
namespace {

const char* type_words(ConfigType t) {
  switch (t) {
    case ConfigType::kObject: return "an object";
    case ConfigType::kString: return "a string";
    case ConfigType::kInt: return "an integer";
    case ConfigType::kBool: return "true or false";
    case ConfigType::kDouble: return "a number";
  }
  return "?";
}

const char* token_words(const json::Token& t) {
  switch (t.type) {
    case json::Type::kObject: return "an object";
    case json::Type::kArray: return "an array";
    case json::Type::kString: return "a string";
    case json::Type::kNumber: return "a number";
    case json::Type::kTrue:
    case json::Type::kFalse: return "a boolean";
    case json::Type::kNull: return "null";
    case json::Type::kInvalid: break;
  }
  return "nothing";
}

}  // namespace

void config_fill_mac(Span<char> s, std::string_view mac_hex) {
  size_t n = 0;
  while (n < s.size() && s[n] != '\0') ++n;
  size_t m = mac_hex.size();
  for (size_t i = n; i > 0 && m > 0; --i) {
    if (s[i - 1] == '?') s[i - 1] = mac_hex[--m];
  }
}

void Config::fail(const char* key, const char* fmt, ...) {
  int n = std::snprintf(err_, sizeof(err_), "%s: ", key);
  if (n < 0 || static_cast<size_t>(n) >= sizeof(err_)) return;
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(err_ + n, sizeof(err_) - static_cast<size_t>(n), fmt, ap);
  va_end(ap);
}

Status Config::init(const ConfigSchema& schema, void* cur, void* base, Span<char> work, Fs* fs,
                    ConstByteSpan mac) {
  size_t longest = 0;
  for (size_t i = 0; i < schema.count; ++i) {
    if (schema.keys[i].type == ConfigType::kString && schema.keys[i].size > longest) {
      longest = schema.keys[i].size;
    }
  }
  if (cur == nullptr || base == nullptr || work.size() < longest + 256) return Status::kInvalidArg;
  schema_ = &schema;
  cur_ = static_cast<uint8_t*>(cur);
  base_ = static_cast<uint8_t*>(base);
  scratch_ = work.first(longest);
  file_ = work.subspan(longest);
  fs_ = fs;
  static const char kHex[] = "0123456789ABCDEF";
  for (size_t i = 0; i < 6; ++i) {
    uint8_t b = i < mac.size() ? mac[i] : 0;
    mac_hex_[2 * i] = kHex[b >> 4];
    mac_hex_[2 * i + 1] = kHex[b & 15];
  }
  mac_hex_[12] = '\0';
  set_defaults(cur_);
  std::memcpy(base_, cur_, schema.struct_size);
  clear_error();
  return Status::kOk;
}

void Config::set_defaults(void* inst) {
  auto* p = static_cast<uint8_t*>(inst);
  std::memset(p, 0, schema_->struct_size);
  for (size_t i = 0; i < schema_->count; ++i) {
    const ConfigKey& k = schema_->keys[i];
    uint8_t* v = p + k.offset;
    switch (k.type) {
      case ConfigType::kObject: break;
      case ConfigType::kString: {
        auto* s = reinterpret_cast<char*>(v);
        size_t n = k.str_default ? std::strlen(k.str_default) : 0;
        if (n >= k.size) n = k.size - 1;
        std::memcpy(s, k.str_default ? k.str_default : "", n);
        s[n] = '\0';
        config_fill_mac(Span<char>(s, k.size), mac_hex_);
        break;
      }
      case ConfigType::kInt: {
        auto x = static_cast<int32_t>(k.num_default);
        std::memcpy(v, &x, sizeof(x));
        break;
      }
      case ConfigType::kBool: {
        bool x = k.num_default != 0;
        std::memcpy(v, &x, sizeof(x));
        break;
      }
      case ConfigType::kDouble: std::memcpy(v, &k.num_default, sizeof(double)); break;
    }
  }
}

const ConfigKey* Config::find(std::string_view path) const {
  if (schema_ == nullptr) return nullptr;
  for (size_t i = 0; i < schema_->count; ++i) {
    if (path == schema_->keys[i].path) return &schema_->keys[i];
  }
  return nullptr;
}

size_t Config::subtree_end(size_t i) const {
  const char* p = schema_->keys[i].path;
  size_t n = std::strlen(p);
  size_t j = i + 1;
  while (j < schema_->count && std::strncmp(schema_->keys[j].path, p, n) == 0 &&
         schema_->keys[j].path[n] == '.') {
    ++j;
  }
  return j;
}

Status Config::load() {
  if (schema_ == nullptr) return Status::kInvalidArg;
  clear_error();
  set_defaults(cur_);
  // conf1..conf8 (vendor) form the baseline the user's diff is taken against.
  for (int level = 1; level <= 8; ++level) {
    Status s = load_file(level, cur_);
    if (s != Status::kOk) return s;
  }
  std::memcpy(base_, cur_, schema_->struct_size);
  return load_file(9, cur_);
}

Status Config::load_file(int level, void* inst) {
  if (fs_ == nullptr) return Status::kOk;
  char name[16];
  std::snprintf(name, sizeof(name), "conf%d.json", level);
  uint32_t size = 0;
  Status s = fs_->stat(name, &size);
  if (s == Status::kNotFound) return Status::kOk;
  if (s != Status::kOk) return s;
  if (size > file_.size()) {
    fail(name, "%u bytes, more than the %u-byte config buffer; ignored", static_cast<unsigned>(size),
         static_cast<unsigned>(file_.size()));
    MOS_LOGE("config: %s", err_);
    return Status::kOk;
  }
  size_t n = 0;
  s = fs_->read(name, 0, ByteSpan(reinterpret_cast<uint8_t*>(file_.data()), size), &n);
  if (s != Status::kOk) return s;
  json::Token root;
  json::Result r = json::parse(std::string_view(file_.data(), n), &root);
  if (r != json::Result::kOk || !root.is_object()) {
    fail(name, "not a JSON object (%s); ignored", r != json::Result::kOk ? json::to_string(r) : "wrong type");
    MOS_LOGE("config: %s", err_);
    return Status::kOk;
  }
  char path[kMaxPath] = {};
  (void)apply_object(root, path, 0, inst, Mode::kLoad);
  return Status::kOk;
}

Status Config::set(std::string_view patch_json) {
  json::Token root;
  json::Result r = json::parse(patch_json, &root);
  if (r != json::Result::kOk) {
    fail("config", "not valid JSON (%s)", json::to_string(r));
    return Status::kMalformed;
  }
  return set(root);
}

Status Config::set(const json::Token& patch) {
  if (schema_ == nullptr) return Status::kInvalidArg;
  clear_error();
  char path[kMaxPath] = {};
  // Check everything first so that a bad key leaves the config untouched.
  Status s = apply_object(patch, path, 0, cur_, Mode::kCheck);
  if (s != Status::kOk) return s;
  return apply_object(patch, path, 0, cur_, Mode::kApply);
}

Status Config::apply_object(const json::Token& obj, char* path, size_t plen, void* inst, Mode mode) {
  if (!obj.is_object()) {
    fail(plen ? path : "config", "expected an object, got %s", token_words(obj));
    return Status::kInvalidArg;
  }
  json::Iterator it(obj);
  json::Token key, val;
  Status first = Status::kOk;
  while (it.next(&key, &val)) {
    char kbuf[kMaxPath];
    size_t klen = 0;
    Status s = Status::kOk;
    if (json::as_string(key, Span<char>(kbuf, sizeof(kbuf)), &klen) != json::Result::kOk ||
        plen + 1 + klen >= kMaxPath || std::memchr(kbuf, '.', klen) != nullptr) {
      fail(plen ? path : "config", "no such key; see Config.Get for the keys there are");
      s = Status::kNotFound;
    } else {
      size_t n = plen;
      if (n > 0) path[n++] = '.';
      std::memcpy(path + n, kbuf, klen);
      n += klen;
      path[n] = '\0';
      const ConfigKey* k = find(std::string_view(path, n));
      if (k == nullptr) {
        fail(path, "no such key; see Config.Get for the keys there are");
        s = Status::kNotFound;
      } else if (k->type == ConfigType::kObject) {
        s = apply_object(val, path, n, inst, mode);
      } else {
        s = apply_value(*k, val, inst, mode);
      }
      path[plen] = '\0';
    }
    if (s != Status::kOk) {
      if (mode != Mode::kLoad) return s;
      MOS_LOGW("config: %s; skipped", err_);
      if (first == Status::kOk) first = s;
    }
  }
  if (it.result() != json::Result::kOk) {
    fail(plen ? path : "config", "malformed JSON (%s)", json::to_string(it.result()));
    return Status::kMalformed;
  }
  return first;
}

Status Config::apply_value(const ConfigKey& k, const json::Token& v, void* inst, Mode mode) {
  uint8_t* p = static_cast<uint8_t*>(inst) + k.offset;
  bool type_ok = false;
  switch (k.type) {
    case ConfigType::kString: type_ok = v.is_string(); break;
    case ConfigType::kInt:
    case ConfigType::kDouble: type_ok = v.is_number(); break;
    case ConfigType::kBool: type_ok = v.is_bool(); break;
    case ConfigType::kObject: break;
  }
  if (!type_ok) {
    fail(k.path, "expected %s, got %s", type_words(k.type), token_words(v));
    return Status::kInvalidArg;
  }
  switch (k.type) {
    case ConfigType::kString: {
      size_t len = 0;
      json::Result r = json::as_string(v, scratch_, &len);
      if (r == json::Result::kNoSpace || (r == json::Result::kOk && len >= k.size)) {
        fail(k.path, "longer than %u characters", static_cast<unsigned>(k.size - 1));
        return Status::kNoSpace;
      }
      if (r != json::Result::kOk || std::memchr(scratch_.data(), '\0', len) != nullptr) {
        fail(k.path, "not a valid string");
        return Status::kInvalidArg;
      }
      if (mode != Mode::kCheck) {
        // Zero the tail too, so equal values are equal bytes.
        std::memcpy(p, scratch_.data(), len);
        std::memset(p + len, 0, k.size - len);
      }
      return Status::kOk;
    }
    case ConfigType::kInt: {
      int64_t x = 0;
      json::Result r = json::as_int64(v, &x);
      if (r == json::Result::kWrongType) {
        fail(k.path, "expected an integer, got a number with a fraction or exponent");
        return Status::kInvalidArg;
      }
      if (r != json::Result::kOk || x < INT32_MIN || x > INT32_MAX) {
        fail(k.path, "integer out of range");
        return Status::kInvalidArg;
      }
      auto y = static_cast<int32_t>(x);
      if (mode != Mode::kCheck) std::memcpy(p, &y, sizeof(y));
      return Status::kOk;
    }
    case ConfigType::kBool: {
      bool x = false;
      if (json::as_bool(v, &x) != json::Result::kOk) {
        fail(k.path, "expected true or false");
        return Status::kInvalidArg;
      }
      if (mode != Mode::kCheck) std::memcpy(p, &x, sizeof(x));
      return Status::kOk;
    }
    case ConfigType::kDouble: {
      double x = 0;
      if (json::as_double(v, &x) != json::Result::kOk) {
        fail(k.path, "number out of range");
        return Status::kInvalidArg;
      }
      if (mode != Mode::kCheck) std::memcpy(p, &x, sizeof(x));
      return Status::kOk;
    }
    case ConfigType::kObject: break;
  }
  return Status::kInvalidArg;
}

bool Config::differs(size_t i, const void* a, const void* b) const {
  const ConfigKey& k = schema_->keys[i];
  if (k.type == ConfigType::kObject) return false;
  const auto* pa = static_cast<const uint8_t*>(a) + k.offset;
  const auto* pb = static_cast<const uint8_t*>(b) + k.offset;
  if (k.type == ConfigType::kString) {
    return std::strncmp(reinterpret_cast<const char*>(pa), reinterpret_cast<const char*>(pb), k.size) != 0;
  }
  return std::memcmp(pa, pb, k.size) != 0;
}

bool Config::subtree_differs(size_t begin, size_t end, const void* a, const void* b) const {
  for (size_t j = begin; j < end; ++j) {
    if (differs(j, a, b)) return true;
  }
  return false;
}

void Config::emit_value(json::Writer& w, const ConfigKey& k, const void* inst) const {
  const uint8_t* p = static_cast<const uint8_t*>(inst) + k.offset;
  switch (k.type) {
    case ConfigType::kString: {
      const char* s = reinterpret_cast<const char*>(p);
      size_t n = 0;
      while (n < k.size && s[n] != '\0') ++n;
      w.string_value(std::string_view(s, n));
      break;
    }
    case ConfigType::kInt: {
      int32_t x;
      std::memcpy(&x, p, sizeof(x));
      w.int_value(x);
      break;
    }
    case ConfigType::kBool: {
      bool x;
      std::memcpy(&x, p, sizeof(x));
      w.bool_value(x);
      break;
    }
    case ConfigType::kDouble: {
      double x;
      std::memcpy(&x, p, sizeof(x));
      w.double_value(x);
      break;
    }
    case ConfigType::kObject: break;
  }
}

// Members of the object whose entries are [begin, end), named by their path
// after prefix_len characters. With diff_base, only values that differ from
// it (and the objects that contain them) are written.
void Config::emit_children(json::Writer& w, size_t begin, size_t end, size_t prefix_len, const void* inst,
                           const void* diff_base) const {
  for (size_t j = begin; j < end;) {
    const ConfigKey& k = schema_->keys[j];
    std::string_view name(k.path + prefix_len);
    if (k.type == ConfigType::kObject) {
      size_t e = subtree_end(j);
      if (diff_base == nullptr || subtree_differs(j + 1, e, inst, diff_base)) {
        w.key(name).begin_object();
        emit_children(w, j + 1, e, std::strlen(k.path) + 1, inst, diff_base);
        w.end_object();
      }
      j = e;
    } else {
      if (diff_base == nullptr || differs(j, inst, diff_base)) {
        w.key(name);
        emit_value(w, k, inst);
      }
      ++j;
    }
  }
}

Status Config::get(std::string_view key, json::Writer& w) const {
  if (schema_ == nullptr) return Status::kInvalidArg;
  if (key.empty()) {
    w.begin_object();
    emit_children(w, 0, schema_->count, 0, cur_, nullptr);
    w.end_object();
  } else {
    const ConfigKey* k = find(key);
    if (k == nullptr) return Status::kNotFound;
    if (k->type == ConfigType::kObject) {
      size_t i = static_cast<size_t>(k - schema_->keys);
      w.begin_object();
      emit_children(w, i + 1, subtree_end(i), key.size() + 1, cur_, nullptr);
      w.end_object();
    } else {
      emit_value(w, *k, cur_);
    }
  }
  return w.result() == json::Result::kOk ? Status::kOk : Status::kNoSpace;
}

Status Config::save() {
  if (schema_ == nullptr) return Status::kInvalidArg;
  clear_error();
  if (fs_ == nullptr) {
    fail("conf9.json", "no file store to save to");
    return Status::kInvalidArg;
  }
  json::Writer w(file_);
  w.begin_object();
  emit_children(w, 0, schema_->count, 0, cur_, base_);
  w.end_object();
  if (w.result() != json::Result::kOk) {
    fail("conf9.json", "the changes need %u bytes, more than the %u-byte config buffer",
         static_cast<unsigned>(w.size()), static_cast<unsigned>(file_.size()));
    return Status::kNoSpace;
  }
  Status s = fs_->write("conf9.json", as_bytes(w.view()));
  if (s != Status::kOk) fail("conf9.json", "cannot write to the file store (%s)", to_string(s));
  return s;
}

const char* Config::get_string(std::string_view path) const {
  const ConfigKey* k = find(path);
  if (k == nullptr || k->type != ConfigType::kString) return nullptr;
  return reinterpret_cast<const char*>(cur_ + k->offset);
}

bool Config::get_int(std::string_view path, int32_t* out) const {
  const ConfigKey* k = find(path);
  if (k == nullptr || k->type != ConfigType::kInt) return false;
  std::memcpy(out, cur_ + k->offset, sizeof(*out));
  return true;
}

bool Config::get_bool(std::string_view path, bool* out) const {
  const ConfigKey* k = find(path);
  if (k == nullptr || k->type != ConfigType::kBool) return false;
  std::memcpy(out, cur_ + k->offset, sizeof(*out));
  return true;
}

bool Config::get_double(std::string_view path, double* out) const {
  const ConfigKey* k = find(path);
  if (k == nullptr || k->type != ConfigType::kDouble) return false;
  std::memcpy(out, cur_ + k->offset, sizeof(*out));
  return true;
}

}  // namespace mos

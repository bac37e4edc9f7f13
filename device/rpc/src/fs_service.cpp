#include <cstdio>
#include <cstring>

#include "mos/rpc_store.h"

#define MOS_STR2(x) #x
#define MOS_STR(x) MOS_STR2(x)

namespace mos::rpc {
namespace {

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int b64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Reads an optional non-negative integer member; false after replying 400.
bool opt_uint(Call& call, const char* name, uint32_t* out) {
  json::Token t;
  if (json::find(call.params(), name, &t) != json::Result::kOk || t.is_null()) return true;
  int64_t v = 0;
  if (json::as_int64(t, &v) != json::Result::kOk || v < 0 || v > UINT32_MAX) {
    char msg[96];
    std::snprintf(msg, sizeof(msg), "%s must be a non-negative integer (bytes)", name);
    call.error(400, msg);
    return false;
  }
  *out = static_cast<uint32_t>(v);
  return true;
}

void store_error(Call& call, Status s, const Fs& fs, const char* what) {
  char msg[200];
  if (s == Status::kNoSpace) {
    std::snprintf(msg, sizeof(msg),
                  "%s: not enough room in the file store (%u bytes free, files up to %u bytes, at most %d files); "
                  "remove files with FS.Remove",
                  what, static_cast<unsigned>(fs.info().free), static_cast<unsigned>(MOS_FS_MAX_FILE_SIZE),
                  MOS_FS_MAX_FILES);
    return call.error(500, msg);
  }
  std::snprintf(msg, sizeof(msg), "%s: the file store failed (%s)", what, to_string(s));
  call.error(500, msg);
}

}  // namespace

size_t base64_encode(ConstByteSpan in, Span<char> out) {
  size_t need = (in.size() + 2) / 3 * 4;
  if (need > out.size()) return 0;
  size_t o = 0;
  for (size_t i = 0; i < in.size(); i += 3) {
    uint32_t v = static_cast<uint32_t>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<uint32_t>(in[i + 1]) << 8;
    if (i + 2 < in.size()) v |= in[i + 2];
    out[o++] = kB64[(v >> 18) & 63];
    out[o++] = kB64[(v >> 12) & 63];
    out[o++] = i + 1 < in.size() ? kB64[(v >> 6) & 63] : '=';
    out[o++] = i + 2 < in.size() ? kB64[v & 63] : '=';
  }
  return o;
}

bool base64_decode(std::string_view in, ByteSpan out, size_t* n) {
  *n = 0;
  size_t len = in.size();
  // RFC 4648 §3.2: padding completes the last quantum; accept it or its absence.
  size_t pad = 0;
  while (len > 0 && in[len - 1] == '=' && pad < 2) {
    --len;
    ++pad;
  }
  if (len % 4 == 1 || (pad > 0 && (len + pad) % 4 != 0)) return false;
  size_t need = len / 4 * 3 + (len % 4 == 0 ? 0 : len % 4 - 1);
  if (need > out.size()) return false;
  uint32_t acc = 0;
  size_t o = 0;
  for (size_t i = 0; i < len; ++i) {
    int v = b64_value(in[i]);
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    if (i % 4 == 3) {
      out[o++] = static_cast<uint8_t>(acc >> 16);
      out[o++] = static_cast<uint8_t>(acc >> 8);
      out[o++] = static_cast<uint8_t>(acc);
      acc = 0;
    }
  }
  switch (len % 4) {
    case 2:
      if (acc & 0x0F) return false;  // non-canonical trailing bits
      out[o++] = static_cast<uint8_t>(acc >> 4);
      break;
    case 3:
      if (acc & 0x03) return false;
      out[o++] = static_cast<uint8_t>(acc >> 10);
      out[o++] = static_cast<uint8_t>(acc >> 2);
      break;
    default: break;
  }
  *n = o;
  return true;
}

Status FsService::register_handlers() {
  Status s;
  if ((s = d_.add_handler("FS.List", list, this)) != Status::kOk) return s;
  if ((s = d_.add_handler("FS.ListExt", list_ext, this)) != Status::kOk) return s;
  if ((s = d_.add_handler("FS.Get", get, this)) != Status::kOk) return s;
  if ((s = d_.add_handler("FS.Put", put, this)) != Status::kOk) return s;
  return d_.add_handler("FS.Remove", remove, this);
}

bool FsService::filename(Call& call) {
  json::Token t;
  size_t n = 0;
  if (!call.params().is_object() || json::find(call.params(), "filename", &t) != json::Result::kOk ||
      !t.is_string() || json::as_string(t, Span<char>(name_, sizeof(name_)), &n) != json::Result::kOk ||
      n == 0) {
    call.error(400, "filename must be a string of 1.." MOS_STR(MOS_FS_MAX_NAME) " characters, e.g. {\"filename\": \"conf9.json\"}");
    return false;
  }
  // Mongoose OS tools may send "/name"; the store is flat.
  if (name_[0] == '/') std::memmove(name_, name_ + 1, n--);
  if (n == 0 || std::memchr(name_, '\0', n) != nullptr) {
    call.error(400, "filename must name a file, e.g. {\"filename\": \"conf9.json\"}");
    return false;
  }
  return true;
}

void FsService::list(Call& call, void* ctx) {
  auto* self = static_cast<FsService*>(ctx);
  json::Writer& w = call.result();
  w.begin_array();
  std::string_view name;
  for (size_t i = 0; self->fs_.file_at(i, &name, nullptr); ++i) w.string_value(name);
  w.end_array();
}

void FsService::list_ext(Call& call, void* ctx) {
  auto* self = static_cast<FsService*>(ctx);
  json::Writer& w = call.result();
  w.begin_array();
  std::string_view name;
  uint32_t size = 0;
  for (size_t i = 0; self->fs_.file_at(i, &name, &size); ++i) {
    w.begin_object().key("name").string_value(name).key("size").uint_value(size).end_object();
  }
  w.end_array();
}

void FsService::get(Call& call, void* ctx) {
  auto* self = static_cast<FsService*>(ctx);
  if (!self->filename(call)) return;
  uint32_t offset = 0, len = kMaxGetLen;
  if (!opt_uint(call, "offset", &offset) || !opt_uint(call, "len", &len)) return;
  if (len > kMaxGetLen) len = kMaxGetLen;
  uint32_t size = 0;
  Status s = self->fs_.stat(self->name_, &size);
  if (s == Status::kNotFound) {
    char msg[MOS_FS_MAX_NAME + 64];
    std::snprintf(msg, sizeof(msg), "no file '%s'; `mos ls` shows the files", self->name_);
    return call.error(404, msg);
  }
  if (s != Status::kOk) return store_error(call, s, self->fs_, "FS.Get");
  if (offset > size) offset = size;
  if (len > size - offset) len = size - offset;
  // Read and encode in 3-byte-aligned pieces straight into the base64 buffer.
  size_t out = 0;
  for (uint32_t done = 0; done < len;) {
    uint8_t piece[192];
    uint32_t want = len - done < sizeof(piece) ? len - done : static_cast<uint32_t>(sizeof(piece));
    size_t got = 0;
    s = self->fs_.read(self->name_, offset + done, ByteSpan(piece, want), &got);
    if (s != Status::kOk || got != want) return store_error(call, s == Status::kOk ? Status::kCorrupt : s, self->fs_, "FS.Get");
    out += base64_encode(ConstByteSpan(piece, got), Span<char>(self->buf_ + out, sizeof(self->buf_) - out));
    done += want;
  }
  call.result()
      .begin_object()
      .key("data")
      .string_value(std::string_view(self->buf_, out))
      .key("left")
      .uint_value(size - offset - len)
      .end_object();
}

void FsService::put(Call& call, void* ctx) {
  auto* self = static_cast<FsService*>(ctx);
  if (!self->filename(call)) return;
  json::Token t;
  size_t text_len = 0;
  if (json::find(call.params(), "data", &t) != json::Result::kOk || !t.is_string() ||
      json::as_string(t, Span<char>(self->buf_, sizeof(self->buf_)), &text_len) != json::Result::kOk) {
    return call.error(400, "data must be a base64 string, e.g. {\"filename\": \"a.txt\", \"data\": \"aGk=\"}");
  }
  bool append = false;
  json::Token a;
  if (json::find(call.params(), "append", &a) == json::Result::kOk && !a.is_null() &&
      json::as_bool(a, &append) != json::Result::kOk) {
    return call.error(400, "append must be true or false");
  }
  size_t n = 0;
  if (!base64_decode(std::string_view(self->buf_, text_len),
                     ByteSpan(reinterpret_cast<uint8_t*>(self->buf_), sizeof(self->buf_)), &n)) {
    return call.error(400, "data is not valid base64 (RFC 4648: A-Z a-z 0-9 + / and = padding)");
  }
  ConstByteSpan bytes(reinterpret_cast<const uint8_t*>(self->buf_), n);
  Status s = append ? self->fs_.append(self->name_, bytes) : self->fs_.write(self->name_, bytes);
  if (s == Status::kInvalidArg) return call.error(400, "filename is not a valid file name");
  if (s != Status::kOk) return store_error(call, s, self->fs_, "FS.Put");
}

void FsService::remove(Call& call, void* ctx) {
  auto* self = static_cast<FsService*>(ctx);
  if (!self->filename(call)) return;
  Status s = self->fs_.remove(self->name_);
  if (s == Status::kNotFound) {
    char msg[MOS_FS_MAX_NAME + 64];
    std::snprintf(msg, sizeof(msg), "no file '%s'; `mos ls` shows the files", self->name_);
    return call.error(404, msg);
  }
  if (s != Status::kOk) return store_error(call, s, self->fs_, "FS.Remove");
}

}  // namespace mos::rpc

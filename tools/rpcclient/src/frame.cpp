#include "mos/rpcclient/frame.h"

#include <array>
#include <cstdio>

namespace mos::rpcclient {
namespace {

constexpr std::string_view kDelim = "\"\"\"";

std::array<uint32_t, 256> make_crc_table() {
  // Reflected CRC-32 with polynomial 0x04C11DB7 (reversed 0xEDB88320), as
  // zlib and Ethernet (IEEE 802.3) compute it.
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    t[i] = c;
  }
  return t;
}

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

}  // namespace

uint32_t crc32_ieee(std::string_view data) {
  static const std::array<uint32_t, 256> table = make_crc_table();
  uint32_t c = 0xFFFFFFFFu;
  for (char ch : data) c = table[(c ^ static_cast<uint8_t>(ch)) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

std::string encode_frame(std::string_view json, bool with_crc) {
  std::string f;
  f.reserve(json.size() + 16);
  f += kDelim;
  f += json;
  if (with_crc) {
    char hex[9];
    std::snprintf(hex, sizeof hex, "%08x", static_cast<unsigned>(crc32_ieee(json)));
    f += hex;
  }
  f += kDelim;
  f += '\n';
  return f;
}

void FrameReader::end_frame(std::vector<StreamItem>* out) {
  // frame_ holds what was between the delimiters: JSON, maybe + 8 hex digits.
  std::string body = std::move(frame_);
  frame_.clear();
  in_frame_ = false;
  flush(out);  // console text cut short by the frame (frames are written whole)
  if (body.empty()) return;  // `""""""`: an empty frame re-synchronises, nothing more
  StreamItem item{StreamItem::Kind::kFrame, {}, false};
  size_t n = body.size();
  if (n > 8 && body[n - 9] == '}') {
    bool hex = true;
    for (size_t i = n - 8; i < n; ++i) hex = hex && is_hex(body[i]);
    if (hex) {
      item.had_crc = true;
      std::string json = body.substr(0, n - 8);
      unsigned long want = std::strtoul(body.substr(n - 8).c_str(), nullptr, 16);
      if (crc32_ieee(json) != static_cast<uint32_t>(want)) {
        item.kind = StreamItem::Kind::kBadFrame;
        item.text = body;
      } else {
        item.text = std::move(json);
      }
      out->push_back(std::move(item));
      return;
    }
  }
  item.text = std::move(body);
  out->push_back(std::move(item));
}

void FrameReader::feed(std::string_view bytes, std::vector<StreamItem>* out) {
  for (char c : bytes) {
    if (in_frame_) {
      if (c == '\n') {
        // A frame is one line (ARCHITECTURE.md "RPC"): a newline before the
        // closing delimiter means the `"""` was console text after all.
        line_ += kDelim;
        line_ += frame_;
        frame_.clear();
        in_frame_ = false;
        if (!line_.empty() && line_.back() == '\r') line_.pop_back();
        out->push_back({StreamItem::Kind::kConsoleLine, std::move(line_), false});
        line_.clear();
        continue;
      }
      frame_ += c;
      if (frame_.size() >= kDelim.size() &&
          std::string_view(frame_).substr(frame_.size() - kDelim.size()) == kDelim) {
        frame_.resize(frame_.size() - kDelim.size());
        end_frame(out);
        after_frame_ = true;
      } else if (frame_.size() > kMaxFrame) {
        // No closing delimiter: it was never a frame. Give it back as text.
        line_ += kDelim;
        line_ += frame_;
        frame_.clear();
        in_frame_ = false;
      }
      continue;
    }
    if (c == '\n') {
      if (!line_.empty() && line_.back() == '\r') line_.pop_back();
      bool frame_eol = after_frame_ && line_.empty();  // the "\n" that ends a frame's line
      after_frame_ = false;
      if (frame_eol) continue;
      out->push_back({StreamItem::Kind::kConsoleLine, std::move(line_), false});
      line_.clear();
      continue;
    }
    if (c != '\r') after_frame_ = false;
    line_ += c;
    if (line_.size() >= kDelim.size() &&
        std::string_view(line_).substr(line_.size() - kDelim.size()) == kDelim) {
      // Text before the delimiter stays in line_: if a frame follows, it was
      // console output cut short by it (end_frame emits it first); if not,
      // the whole line is text.
      line_.resize(line_.size() - kDelim.size());
      in_frame_ = true;
    }
  }
}

void FrameReader::flush(std::vector<StreamItem>* out) {
  if (line_.empty()) return;
  out->push_back({StreamItem::Kind::kConsoleLine, std::move(line_), false});
  line_.clear();
}

}  // namespace mos::rpcclient

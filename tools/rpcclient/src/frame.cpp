// The host side of the UART framing, on the device's own codec (mos_rpc's
// rpc_frame.h), so the CLI and the firmware can never disagree on the format.
#include "mos/rpcclient/frame.h"

#include <stdexcept>

#include "mos/rpc_frame.h"

namespace mos::rpcclient {

uint32_t crc32_ieee(std::string_view data) { return rpc::crc32(data); }

std::string encode_frame(std::string_view json, bool with_crc) {
  std::string f(rpc::encoded_size(json, with_crc), '\0');
  size_t len = 0;
  if (rpc::encode_line(json, with_crc, Span<char>(f.data(), f.size()), &len) != Status::kOk) {
    throw std::runtime_error("RPC frame encoding failed");
  }
  f.resize(len);
  return f;
}

void FrameReader::end_line(std::vector<StreamItem>* out) {
  if (!line_.empty() && line_.back() == '\r') line_.pop_back();
  rpc::DecodedLine d = rpc::decode_line(line_);
  switch (d.kind) {
    case rpc::LineKind::kFrame:
      out->push_back({StreamItem::Kind::kFrame, std::string(d.json), d.had_crc});
      break;
    case rpc::LineKind::kBadCrc:
    case rpc::LineKind::kBadMeta:
      out->push_back({StreamItem::Kind::kBadFrame, line_, d.had_crc});
      break;
    case rpc::LineKind::kHandshake:
    case rpc::LineKind::kEmpty:
      break;  // framing chatter, not console output
    case rpc::LineKind::kNotFrame:
      out->push_back({StreamItem::Kind::kConsoleLine, line_, false});
      break;
  }
  line_.clear();
}

void FrameReader::feed(std::string_view bytes, std::vector<StreamItem>* out) {
  for (char c : bytes) {
    if (c == '\n') {
      end_line(out);
      continue;
    }
    line_ += c;
    // A "line" this long without a newline is noise: give it out as text
    // rather than grow without bound.
    if (line_.size() >= kMaxLine) end_line(out);
  }
}

void FrameReader::flush(std::vector<StreamItem>* out) {
  if (!line_.empty()) end_line(out);
}

}  // namespace mos::rpcclient

// The host side of the UART RPC framing that Mongoose OS uses and mos keeps
// (ARCHITECTURE.md "RPC"): the console log and RPC frames share one serial
// line; a frame is one JSON object between `"""` delimiters, optionally
// followed (inside the delimiters) by 8 lower-case hex digits of the CRC32
// (IEEE 802.3) of the JSON text. The device answers with a CRC only if the
// request carried one.
//
// FrameReader splits a byte stream into lines (the device writes each frame
// and each log line whole, on its own line) and classifies each with the
// device's decoder: a frame, a frame with a bad CRC, or console text.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mos::rpcclient {

uint32_t crc32_ieee(std::string_view data);

// `"""` + json [+ crc] + `"""` + "\n" (mos_rpc's encode_line).
std::string encode_frame(std::string_view json, bool with_crc);

struct StreamItem {
  enum class Kind { kConsoleLine, kFrame, kBadFrame } kind;
  std::string text;  // a console line without "\n", or the frame's JSON
  bool had_crc = false;
};

class FrameReader {
 public:
  // Feeds bytes; complete items are appended to *out in arrival order.
  void feed(std::string_view bytes, std::vector<StreamItem>* out);
  // Emits the pending partial line, if any.
  void flush(std::vector<StreamItem>* out);

  static constexpr size_t kMaxLine = 1 << 20;

 private:
  void end_line(std::vector<StreamItem>* out);
  std::string line_;
};

}  // namespace mos::rpcclient

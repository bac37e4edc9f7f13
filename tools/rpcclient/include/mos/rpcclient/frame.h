// The host side of the UART RPC framing that Mongoose OS uses and mos keeps
// (ARCHITECTURE.md "RPC"): the console log and RPC frames share one serial
// line; a frame is one JSON object between `"""` delimiters, optionally
// followed (inside the delimiters) by 8 lower-case hex digits of the CRC32
// (IEEE 802.3) of the JSON text. The device answers with a CRC only if the
// request carried one.
//
// FrameReader splits a byte stream into console lines and frames; bytes that
// are neither (a half line before a reboot, binary garbage) come out as
// console text, never as a frame.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mos::rpcclient {

uint32_t crc32_ieee(std::string_view data);

// `"""` + json [+ crc] + `"""` + "\n".
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
  // A console line still waiting for its "\n" (to show a prompt, say).
  const std::string& pending() const { return line_; }
  // Emits the pending partial console line, if any.
  void flush(std::vector<StreamItem>* out);

  static constexpr size_t kMaxFrame = 1 << 20;  // a runaway frame becomes console text

 private:
  void end_frame(std::vector<StreamItem>* out);
  std::string line_;   // console text since the last "\n"
  std::string frame_;  // frame bytes since the opening delimiter
  bool in_frame_ = false;
  bool after_frame_ = false;  // swallow the newline that follows a frame
};

}  // namespace mos::rpcclient

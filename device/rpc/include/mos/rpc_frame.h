// RPC frame codec: pure functions over caller buffers, no I/O (STYLE.md §1).
// Used by the device's UART channel and usable by host tools (the mos CLI).
//
// WIRE FORMAT on a serial line shared with the console log, as Mongoose OS's
// rpc-uart channel and the mos tool's stream codec use it:
//
//   """<json><crc>"""\n
//
//   - `"""` (three double quotes) before and after the frame. Valid JSON can
//     never contain three quotes in a row, so they cannot be confused with
//     the payload.
//   - <json> is one JSON object: the RPC frame
//       request:  {"id":1,"src":"mos","dst":"dev","method":"Sys.GetInfo","params":{...}}
//       response: {"id":1,"src":"dev","dst":"mos","result":{...}}
//              or {"id":1,"src":"dev","dst":"mos","error":{"code":404,"message":"..."}}
//     ("args" is accepted as an alias of "params").
//   - <crc> is optional: 8 hex digits (the mos tool writes lower case "%08x")
//     of the CRC-32/IEEE 802.3 of exactly the <json> bytes (the same function
//     as zlib's crc32() and Go's crc32.ChecksumIEEE). Whatever follows the
//     last '}' of the payload is this metadata. A receiver drops (and logs) a
//     frame whose CRC does not match. The device answers with a CRC only if
//     the request carried one.
//   - One frame per line: the mos tool sends "\n" before and after a frame;
//     we frame lines on '\n', strip a trailing '\r' and surrounding blanks.
//     Every other line is console log (device -> host) or console input
//     (host -> device) and passes through untouched.
//   - Handshake: the mos tool repeats `"""\x04"""` (0x04 = EOF char between
//     delimiters) until the device answers with the same three-part marker;
//     after that it sends frames.
#pragma once
#include "mos/crc32.h"
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mos/json.h"
#include "mos/span.h"
#include "mos/status.h"

namespace mos::rpc {

constexpr std::string_view kDelimiter = "\"\"\"";
constexpr char kEofChar = '\x04';
// The handshake marker the device sends back, as one line.
constexpr std::string_view kHandshakeReply = "\"\"\"\x04\"\"\"\n";
constexpr size_t kCrcHexLen = 8;

// CRC-32 as in IEEE 802.3 / zlib: reflected polynomial 0xEDB88320, initial
// value and final XOR 0xFFFFFFFF. crc32("123456789") == 0xCBF43926.
inline uint32_t crc32(std::string_view data, uint32_t crc = 0) {
  return mos::crc32(as_bytes(data), crc);
}

enum class LineKind {
  kNotFrame,    // a console line: pass it on (or ignore it) untouched
  kFrame,       // `json` holds the frame's JSON text, `had_crc` says if it was checked
  kHandshake,   // `"""\x04"""`: answer with kHandshakeReply
  kEmpty,       // `""""""`: nothing between the delimiters
  kBadCrc,      // CRC present and wrong: drop and log `crc_expected`/`crc_actual`
  kBadMeta,     // delimited, but what follows the JSON is not 8 hex digits
};
const char* to_string(LineKind k);

struct DecodedLine {
  LineKind kind = LineKind::kNotFrame;
  std::string_view json;  // view into the line given to decode_line()
  bool had_crc = false;
  uint32_t crc_expected = 0;  // the CRC the line carried
  uint32_t crc_actual = 0;    // the CRC of the JSON as received
};

// Classifies one line (without its '\n'). Never reads outside `line`.
DecodedLine decode_line(std::string_view line);

// Bytes encode_line() writes for `json`.
size_t encoded_size(std::string_view json, bool with_crc);
// Writes `"""<json>[crc]"""\n` into out; kNoSpace (nothing useful written)
// when it does not fit. *len = bytes written.
Status encode_line(std::string_view json, bool with_crc, Span<char> out, size_t* len);

// Splits a byte stream into lines in a fixed buffer of N bytes. A line longer
// than the buffer is discarded up to its '\n' (counted in oversize_dropped()),
// so a flood of garbage without newlines never grows memory or stalls.
//   size_t used = asm.feed(bytes, &line);  // used <= bytes.size()
//   if (got a line) ... ; feed(bytes.subspan(used), ...) again for the rest
class LineAssemblerBase {
 public:
  // Consumes bytes from `in` up to and including the first LF, CR or CRLF
  // that ends a line. Returns bytes consumed; *line is set (and *has_line true) when a
  // line completed. The view is valid until the next feed() call.
  size_t feed(ConstByteSpan in, std::string_view* line, bool* has_line);
  uint32_t oversize_dropped() const { return oversize_dropped_; }
  size_t pending() const { return len_; }

 protected:
  LineAssemblerBase(char* buf, size_t cap) : buf_(buf), cap_(cap) {}

 private:
  char* buf_;
  size_t cap_;
  size_t len_ = 0;
  bool discarding_ = false;
  bool after_cr_ = false;  // the last byte was CR: a following LF ends nothing
  uint32_t oversize_dropped_ = 0;
};

template <size_t N>
class LineAssembler : public LineAssemblerBase {
 public:
  LineAssembler() : LineAssemblerBase(storage_, N) {}
  LineAssembler(const LineAssembler&) = delete;
  LineAssembler& operator=(const LineAssembler&) = delete;

 private:
  char storage_[N];
};

// One RPC frame read from JSON text. Tokens view the text (valid while it is)
// and are Type::kInvalid when the field is absent.
struct Frame {
  bool has_id = false;
  int64_t id = 0;
  json::Token src, dst, method;  // strings when present
  json::Token params;            // "params", else "args"; any JSON value
  json::Token result;            // any JSON value
  bool has_error = false;
  int error_code = 0;
  json::Token error_message;  // string, or kInvalid
};

// kOk, or why the text is not a frame: the reader's errors, kWrongType when a
// field has the wrong type (id not an integer, method not a string, error
// without an integer code...). Unknown fields are ignored.
json::Result parse_frame(std::string_view json, Frame* out);

// What a request that parse_frame() rejects still tells us: its top-level
// "id" (any JSON number or string token, checked with the reader), "src"
// (a string token) and whether it has a "method" -- enough to send the
// caller a JSON-RPC error instead of silence (JSON-RPC 2.0 §5.1: reply to an
// invalid request whose id can be found). Views into `json`; empty when not
// found or not a valid token. One pass, no recursion, so it also reads a
// request nested deeper than the reader's MOS_JSON_MAX_DEPTH.
struct RequestHead {
  std::string_view id;   // raw: 7, -1, 1.5, "abc" (quotes included)
  std::string_view src;  // raw, quotes included
  bool has_method = false;
};
// False when `json` does not start as an object.
bool scan_request_head(std::string_view json, RequestHead* out);

}  // namespace mos::rpc

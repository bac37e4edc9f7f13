// Relaxed JSON for the device core: a reader that accepts strict JSON
// (RFC 8259) plus bare identifier keys, as Mongoose OS's frozen did, so that
//
//     {
//         gpio: {
//             pin: 2,
//             state: 0
//         }
//     }
//
// typed by a person into an MQTT test client is understood; and a writer that
// always emits strict JSON.
//
// Hand-written rather than taken from a general-purpose library because the
// device must not allocate: the reader is a scanner over the caller's text that
// hands out views into it, and the writer fills a caller-owned buffer. Nesting
// is limited to MOS_JSON_MAX_DEPTH (mos/defaults.h) so the recursion depth of
// the scanner, and thus its stack use, is bounded on hostile input.
//
// LIFETIMES: a Token is a view (std::string_view) into the text it was read
// from. It is valid only while that text is alive and unchanged; copy what you
// need (as_string() into your own buffer) before the text goes away.
//
// The relaxed grammar, over RFC 8259 §2:
//   member-key = string / identifier
//   identifier = (ALPHA / "_" / "$") *(ALPHA / DIGIT / "_" / "$")
// Everything else is strict: no comments, no trailing commas, no single quotes,
// no leading '+' or zeros, no NaN; only the four RFC 8259 §2 whitespace bytes.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mos/defaults.h"
#include "mos/span.h"

namespace mos::json {

enum class [[nodiscard]] Result {
  kOk = 0,
  kNotFound,    // the path names no value (missing key, index past the end)
  kMalformed,   // the text violates the grammar (incl. trailing garbage)
  kTruncated,   // the text ends inside a value: a valid prefix of a document
  kTooDeep,     // objects/arrays nested deeper than MOS_JSON_MAX_DEPTH
  kWrongType,   // the value exists but is not of the requested type
  kOutOfRange,  // a number does not fit the requested C++ type
  kNoSpace,     // a caller-owned output buffer is too small
  kBadPath,     // the path itself is not "key.key[index]..." syntax
};
const char* to_string(Result r);

enum class Type : uint8_t { kInvalid, kObject, kArray, kString, kNumber, kTrue, kFalse, kNull };
const char* to_string(Type t);

// One value (or one object key) inside a text. `text` is the value's raw
// source: a string keeps its quotes and escapes, an object its braces, and an
// object key read by Iterator may be a bare identifier (no quotes).
struct Token {
  Type type = Type::kInvalid;
  std::string_view text;

  bool is_object() const { return type == Type::kObject; }
  bool is_array() const { return type == Type::kArray; }
  bool is_string() const { return type == Type::kString; }
  bool is_number() const { return type == Type::kNumber; }
  bool is_bool() const { return type == Type::kTrue || type == Type::kFalse; }
  bool is_null() const { return type == Type::kNull; }
};

// Checks that `text` is exactly one relaxed-JSON value with optional
// whitespace around it. On kOk, *root (if given) is that value.
Result parse(std::string_view text, Token* root = nullptr);

// Finds the value at `path` in a whole document (which is validated first, so a
// malformed document never yields a partial answer). Path syntax:
//   ""            the root value
//   "gpio.pin"    member "pin" of member "gpio" (of the root object)
//   "a.b[2]"      third element of array a.b;  "[0].x" is valid too
// Keys cannot contain '.' or '[' here; use Iterator for such keys.
// Duplicate keys: the FIRST occurrence wins (RFC 8259 §4 leaves it open).
Result find(std::string_view text, std::string_view path, Token* out);
// Same, starting at a token already obtained from parse()/find()/Iterator.
Result find(const Token& from, std::string_view path, Token* out);

// Typed conversions of one token.
//   as_int / as_int64: integers only ("2.0" and "1e3" are kWrongType), range
//   checked: overflow is kOutOfRange, never wraps.
//   as_double: any JSON number; magnitudes beyond double are kOutOfRange, and
//   numbers over 63 characters are kOutOfRange (the digits are copied to a
//   stack buffer for strtod).
//   as_string: unescapes (incl. \uXXXX and surrogate pairs -> UTF-8) into
//   `out` and NUL-terminates it; *len (optional) excludes the NUL. Needs
//   length + 1 bytes, else kNoSpace (out then holds an empty string). Also
//   accepts a bare-identifier key token.
Result as_int(const Token& t, int* out);
Result as_int64(const Token& t, int64_t* out);
Result as_bool(const Token& t, bool* out);
Result as_double(const Token& t, double* out);
Result as_string(const Token& t, Span<char> out, size_t* len = nullptr);
// Compares the unescaped value of a string/key token with `s`, no buffer needed.
bool string_equals(const Token& t, std::string_view s);

// find() + as_*() in one call, over a whole document.
Result get_int(std::string_view text, std::string_view path, int* out);
Result get_int64(std::string_view text, std::string_view path, int64_t* out);
Result get_bool(std::string_view text, std::string_view path, bool* out);
Result get_double(std::string_view text, std::string_view path, double* out);
Result get_string(std::string_view text, std::string_view path, Span<char> out,
                  size_t* len = nullptr);

// Walks the members of an object or the elements of an array, in order:
//   json::Iterator it(obj);
//   json::Token key, value;
//   while (it.next(&key, &value)) { ... }
//   if (it.result() != json::Result::kOk) { /* the container was malformed */ }
// For arrays `key` is left kInvalid. Views point into the container's text.
class Iterator {
 public:
  explicit Iterator(const Token& container);
  bool next(Token* key, Token* value);
  Result result() const { return result_; }
  size_t index() const { return index_; }  // number of items returned so far

 private:
  const char* p_;
  const char* end_;
  Type type_;
  size_t index_ = 0;
  Result result_ = Result::kOk;
  bool done_ = false;
};

// Emits strict JSON into a caller-owned buffer, never writing past it:
//   char buf[64];
//   json::Writer w(buf);
//   w.begin_object().key("pin").int_value(2).key("on").bool_value(true).end_object();
//   if (w.result() == json::Result::kOk) send(w.view());
// Commas and colons are inserted automatically. On overflow result() is
// kNoSpace, the buffer holds a truncated prefix, and size() still counts the
// bytes the whole output needs. Writer() with no buffer only measures (result
// stays kOk). Misuse (a value in an object without key(), unbalanced end_*,
// nesting past MOS_JSON_MAX_DEPTH) makes result() kMalformed / kTooDeep.
// No NUL terminator is written; use view().
class Writer {
 public:
  Writer() : Writer(Span<char>(), true) {}
  explicit Writer(Span<char> out) : Writer(out, false) {}

  Writer& begin_object();
  Writer& end_object();
  Writer& begin_array();
  Writer& end_array();
  Writer& key(std::string_view k);
  Writer& string_value(std::string_view s);
  Writer& int_value(int64_t v);
  Writer& uint_value(uint64_t v);
  Writer& bool_value(bool v);
  Writer& null_value();
  // Shortest "%.15g"/"%.17g" text that reads back as v; NaN and infinities,
  // which JSON cannot express (RFC 8259 §6), are written as null.
  Writer& double_value(double v);
  // Inserts trusted, already-strict JSON text as one value, verbatim.
  Writer& raw_value(std::string_view json);
  // Re-emits a token read by the relaxed reader as strict JSON: bare keys get
  // quotes, insignificant whitespace is dropped. kMalformed if it is not valid.
  Writer& token_value(const Token& t);

  Result result() const { return result_; }
  size_t size() const { return size_; }  // bytes the output needs so far
  std::string_view view() const {
    return std::string_view(out_.data(), size_ < out_.size() ? size_ : out_.size());
  }
  size_t depth() const { return depth_; }

 private:
  Writer(Span<char> out, bool measure) : out_(out), measure_(measure) {}
  bool before_value();
  bool start_key();
  void put(char c);
  void put(std::string_view s);
  void put_escaped(std::string_view s);
  Writer& open(char c, bool is_object);
  Writer& close(char c, bool is_object);
  void fail(Result r) {
    if (result_ == Result::kOk) result_ = r;
  }

  Span<char> out_;
  bool measure_;
  size_t size_ = 0;
  Result result_ = Result::kOk;
  size_t depth_ = 0;
  // Per nesting level: bit set = container is an object; bit set = has items.
  uint32_t is_object_ = 0;
  uint32_t has_items_ = 0;
  bool after_key_ = false;
  bool root_done_ = false;
  static_assert(MOS_JSON_MAX_DEPTH <= 31, "Writer keeps one bit per nesting level");
};

}  // namespace mos::json

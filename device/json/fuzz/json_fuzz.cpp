// libFuzzer target for the relaxed JSON reader and the strict writer.
// Properties checked beyond "no crash / no out-of-bounds access" (ASan+UBSan):
//  - find() on a document agrees with parse() about validity;
//  - every accepted document re-emits (Writer::token_value) as strict JSON
//    that the reader accepts again, and re-emitting that is a fixed point.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "mos/json.h"

using namespace mos::json;

namespace {

void walk(const Token& t, int depth) {
  if (depth > MOS_JSON_MAX_DEPTH + 1) abort();  // the depth limit must hold
  char buf[32];
  int i = 0;
  int64_t i64 = 0;
  double d = 0;
  bool b = false;
  (void)as_int(t, &i);
  (void)as_int64(t, &i64);
  (void)as_double(t, &d);
  (void)as_bool(t, &b);
  (void)as_string(t, buf);
  if (t.is_object() || t.is_array()) {
    Iterator it(t);
    Token k, v;
    while (it.next(&k, &v)) {
      if (t.is_object()) {
        (void)as_string(k, buf);
        (void)string_equals(k, "gpio");
      }
      walk(v, depth + 1);
    }
    if (it.result() != Result::kOk) abort();  // parse() accepted the whole text
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  Token root;
  Result r = parse(text, &root);
  Token found;
  Result fr = find(text, "", &found);
  if (fr != r) abort();
  for (std::string_view path : {"gpio.pin", "a[0]", "a.b[2].c", "[1]", "params"}) {
    (void)find(text, path, &found);
  }
  if (r != Result::kOk) return 0;
  walk(root, 1);

  static char out1[8192], out2[8192];
  Writer w1{mos::Span<char>(out1)};
  w1.token_value(root);
  if (w1.result() == Result::kNoSpace) return 0;
  if (w1.result() != Result::kOk) abort();
  Token strict;
  if (parse(w1.view(), &strict) != Result::kOk) abort();
  Writer w2{mos::Span<char>(out2)};
  w2.token_value(strict);
  if (w2.result() != Result::kOk || w2.view() != w1.view()) abort();
  Writer m;
  m.token_value(root);
  if (m.size() != w1.size()) abort();
  return 0;
}

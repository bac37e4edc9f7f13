// See ini.h.
#include "mos/aws/ini.h"

namespace mos::aws {
namespace {

std::string_view trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '\r')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r')) --e;
  return s.substr(b, e - b);
}

}  // namespace

IniResult parse_ini(std::string_view text, Ini* out) {
  IniResult r;
  std::string section;
  bool in_section = false;
  bool last_was_key = false;  // an indented line continues the key above
  int line_no = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view raw = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    ++line_no;
    std::string_view line = trim(raw);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    const bool indented = raw[0] == ' ' || raw[0] == '\t';
    if (indented && last_was_key) continue;  // nested setting of the key above
    auto fail = [&](const char* what) {
      r.ok = false;
      r.error_line = line_no;
      r.error = what;
      return r;
    };
    if (line[0] == '[') {
      if (line.back() != ']') return fail("a section header must end with ']'");
      std::string_view name = trim(line.substr(1, line.size() - 2));
      if (name.empty()) return fail("empty section name");
      section = std::string(name);
      in_section = true;
      (*out)[section];
      last_was_key = false;
      continue;
    }
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) return fail("expected `key = value`, `[section]` or a comment");
    std::string_view key = trim(line.substr(0, eq));
    if (key.empty()) return fail("a setting has no name before '='");
    if (!in_section) return fail("a setting before the first [section]");
    (*out)[section][std::string(key)] = std::string(trim(line.substr(eq + 1)));
    last_was_key = true;
  }
  return r;
}

}  // namespace mos::aws

// The INI dialect of the AWS shared config and credentials files (AWS SDKs
// and Tools Reference Guide, "Shared config and credentials files"):
// `[section]` headers, `key = value` lines, full-line comments starting with
// `#` or `;`, and indented continuation lines that belong to the key above
// (nested settings such as `s3 =` blocks; mos needs none, so they are skipped).
// Keys are case-sensitive as in botocore; surrounding blanks are trimmed.
#pragma once
#include <map>
#include <string>
#include <string_view>

namespace mos::aws {

using IniSection = std::map<std::string, std::string>;
using Ini = std::map<std::string, IniSection>;  // section name -> keys

struct IniResult {
  bool ok = true;
  int error_line = 0;  // 1-based, when !ok
  std::string error;   // what is wrong with that line
};

// Parses `text` into *out (sections merge when repeated; a later key wins).
// Never throws for bad input; a malformed line stops parsing with an error.
IniResult parse_ini(std::string_view text, Ini* out);

}  // namespace mos::aws

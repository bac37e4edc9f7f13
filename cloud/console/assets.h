// The web console's static files, embedded into mos-cloud at build time
// (embed_assets.cmake writes the table from cloud/console/web/).
#pragma once
#include <cstddef>
#include <string_view>

namespace mos::console {

struct Asset {
  const char* name;          // path under web/, e.g. "index.html", "img/logo.svg"
  const char* content_type;  // e.g. "text/html; charset=utf-8"
  const unsigned char* data;
  size_t size;
};

// The generated table, sorted by name.
const Asset* assets_begin();
const Asset* assets_end();

// The file called `name` (exact match; no path resolution, so "../x" or
// "a//b" name nothing), or nullptr.
const Asset* find_asset(std::string_view name);

}  // namespace mos::console

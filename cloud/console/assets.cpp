#include "assets.h"

namespace mos::console {

const Asset* find_asset(std::string_view name) {
  for (const Asset* a = assets_begin(); a != assets_end(); ++a)
    if (name == a->name) return a;
  return nullptr;
}

}  // namespace mos::console

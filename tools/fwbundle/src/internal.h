// Pieces shared by manifest.cpp and zip_io.cpp (not part of the API).
#pragma once
#include <string>

#include "mos/fwbundle/bundle.h"

namespace mos::fwbundle::internal {

// Throws UserError unless p.data has the size and checksums its manifest entry
// (b.manifest["parts"][p.name]) declares. `origin` names the file for messages.
void verify_part_data(const Bundle& b, const Part& p, const std::string& origin);

// Refuses a part src that could leave the bundle's directory ("..", "/").
bool safe_src(const std::string& src);

// Largest part accepted (the 4 MB flash, with room): bounds memory on reads.
constexpr uint64_t kMaxPartSize = 64u << 20;
constexpr uint64_t kMaxManifestSize = 1u << 20;

}  // namespace mos::fwbundle::internal

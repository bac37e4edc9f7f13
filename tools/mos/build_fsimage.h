// `mos build`: the fs part of fw.zip, the file store (device/fs) exactly as the
// firmware mounts it at mos::sim::kFsAddr (flash_layout.h), already holding
// conf0.json and the app's files.
#pragma once
#include <string>
#include <vector>

namespace mos::cli::build {

struct FsFile {
  std::string name;    // name in the store (flat: no directories)
  std::string data;
  std::string origin;  // where it came from, for messages
};

// Formats a kFsSize store, writes the files in the given order, mounts the
// result again to check every file reads back, and returns the partition's
// kFsSize bytes. Throws UserError naming the file that does not fit (too big,
// name too long, too many files, store full).
std::string make_fs_image(const std::vector<FsFile>& files);

}  // namespace mos::cli::build

#include "sim_program.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

#include "cli.h"
#include "mos/fwbundle/bundle.h"
#include "mos/sim/flash_layout.h"
#include "mos/sim/fw_image.h"

namespace mos::cli {
namespace {

struct Chunk {
  uint32_t addr;
  std::string data;
  std::string what;
};

std::string read_all(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw UserError("cannot read " + path + ": " + std::strerror(errno), "check the path");
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

bool has_suffix(const std::string& s, const char* suffix) {
  size_t n = std::strlen(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

}  // namespace

std::string program_sim_flash(const std::string& flash_path, uint32_t flash_size,
                              const std::string& firmware, bool keep_fs) {
  std::vector<Chunk> chunks;
  std::string label;
  if (has_suffix(firmware, ".zip")) {
    fwbundle::Bundle b = fwbundle::read_bundle(firmware);
    if (b.platform != "sim") {
      throw UserError(firmware + " is built for platform " + b.platform + ", not for a virtual board",
                      "build it for the board: mos build --arch sim");
    }
    for (const fwbundle::Part& p : b.parts) {
      if (keep_fs && p.type == "fs") continue;
      chunks.push_back({p.addr, p.data, "part " + p.name});
    }
    label = b.name + " " + b.version;
  } else {
    std::string img = read_all(firmware);
    sim::FwImageInfo info;
    const char* why = "";
    if (sim::fw_image_parse_header(as_bytes(img), &info, &why) != Status::kOk) {
      throw UserError(firmware + " is neither a fw.zip nor a firmware image (" + why + ")",
                      "give the bundle that mos build wrote: --firmware build/fw.zip");
    }
    chunks.push_back({sim::kFwAddr, img, "image"});
    label = std::string(info.app) + " " + info.version;
  }
  size_t total = 0;
  for (const Chunk& c : chunks) {
    if (c.addr > flash_size || c.data.size() > flash_size - c.addr) {
      throw UserError(c.what + " (" + std::to_string(c.data.size()) + " bytes at " +
                          std::to_string(c.addr) + ") does not fit the board's " +
                          std::to_string(flash_size / 1024) + " KB flash",
                      "start the board with a larger flash: --flash-size 4194304");
    }
    total += c.data.size();
  }

  int fd = ::open(flash_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  struct stat st {};
  if (fd < 0 || fstat(fd, &st) != 0) {
    throw UserError("cannot open the board's flash " + flash_path + ": " + std::strerror(errno), "");
  }
  if (static_cast<uint64_t>(st.st_size) < flash_size) {  // new: an erased chip
    std::string ff(flash_size - static_cast<size_t>(st.st_size), '\xff');
    (void)!pwrite(fd, ff.data(), ff.size(), st.st_size);
  }
  const uint32_t ss = sim::kFlashSectorSize;
  for (const Chunk& c : chunks) {
    uint32_t begin = c.addr / ss * ss;
    uint32_t end = static_cast<uint32_t>((c.addr + c.data.size() + ss - 1) / ss * ss);
    if (end > flash_size) end = flash_size;
    std::string erased(end - begin, '\xff');
    std::memcpy(&erased[c.addr - begin], c.data.data(), c.data.size());
    if (pwrite(fd, erased.data(), erased.size(), begin) != static_cast<ssize_t>(erased.size())) {
      ::close(fd);
      throw UserError("cannot write the board's flash " + flash_path + ": " + std::strerror(errno), "");
    }
  }
  ::close(fd);
  return label + ": " + std::to_string(chunks.size()) + (chunks.size() == 1 ? " part, " : " parts, ") +
         std::to_string(total) + " bytes";
}

}  // namespace mos::cli

// mos-fwimage: packs a firmware shared object into the image the virtual
// chip's ROM boots (mos/sim/fw_image.h). Run by the firmware build.
//
//   mos-fwimage --app NAME --version V --in libfw.so --out fw.bin
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "mos/sim/flash_layout.h"
#include "mos/sim/fw_image.h"
#include "mos/sim/rom_api.h"

int main(int argc, char** argv) {
  std::string app, version, in, out;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--app") app = argv[i + 1];
    else if (a == "--version") version = argv[i + 1];
    else if (a == "--in") in = argv[i + 1];
    else if (a == "--out") out = argv[i + 1];
  }
  if (app.empty() || in.empty() || out.empty()) {
    std::fprintf(stderr, "usage: mos-fwimage --app NAME --version V --in libfw.so --out fw.bin\n");
    return 2;
  }
  std::ifstream f(in, std::ios::binary);
  if (!f) {
    std::fprintf(stderr, "mos-fwimage: cannot read %s\n", in.c_str());
    return 1;
  }
  std::vector<uint8_t> payload((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (payload.size() + mos::sim::kFwHeaderSize > mos::sim::kFwMaxSize) {
    std::fprintf(stderr, "mos-fwimage: %s is %zu bytes; the firmware slot holds %u\n", in.c_str(),
                 payload.size(), static_cast<unsigned>(mos::sim::kFwMaxSize - mos::sim::kFwHeaderSize));
    return 1;
  }
  uint8_t header[mos::sim::kFwHeaderSize];
  if (mos::sim::fw_image_header(app, version, MOS_ROM_API_MAJOR, MOS_ROM_API_MINOR,
                                mos::ConstByteSpan(payload.data(), payload.size()),
                                mos::ByteSpan(header, sizeof(header))) != mos::Status::kOk) {
    std::fprintf(stderr, "mos-fwimage: app name and version must be 1..20 and 0..20 characters\n");
    return 1;
  }
  std::string tmp = out + ".tmp";
  std::ofstream o(tmp, std::ios::binary | std::ios::trunc);
  o.write(reinterpret_cast<const char*>(header), sizeof(header));
  o.write(reinterpret_cast<const char*>(payload.data()), static_cast<std::streamsize>(payload.size()));
  o.close();
  if (!o || std::rename(tmp.c_str(), out.c_str()) != 0) {
    std::fprintf(stderr, "mos-fwimage: cannot write %s\n", out.c_str());
    return 1;
  }
  return 0;
}

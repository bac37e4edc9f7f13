// Starting the firmware the ROM found: its payload is a shared object, which
// the chip copies from flash into an anonymous in-memory file and maps with
// the dynamic loader, then jumps to its entry point with the ROM API table.
// Nothing is read from the host's disk: what runs is what the flash holds.
#include <dlfcn.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "chip.h"
#include "mos/sim/flash_layout.h"
#include "rom_table.h"

#include <openssl/sha.h>

namespace mos::sim {

bool Chip::run_firmware(const FwImageInfo& image, std::string* why) {
  std::vector<uint8_t> payload(image.payload_size);
  if (flash_.read(kFwAddr + static_cast<uint32_t>(kFwHeaderSize), ByteSpan(payload.data(), payload.size())) !=
      Status::kOk) {
    *why = "flash read failed while loading the firmware";
    return false;
  }
  // fw_id: the image's identity, from its bytes (reproducible builds give
  // the same id; any change gives another).
  uint8_t digest[SHA256_DIGEST_LENGTH];
  SHA256(payload.data(), payload.size(), digest);
  for (int i = 0; i < 8; ++i) std::snprintf(fw_id_ + 2 * i, 3, "%02x", digest[i]);

  int fd = memfd_create("mos-firmware", MFD_CLOEXEC);
  if (fd < 0 || write(fd, payload.data(), payload.size()) != static_cast<ssize_t>(payload.size())) {
    *why = std::string("cannot map the firmware: ") + std::strerror(errno);
    if (fd >= 0) close(fd);
    return false;
  }
  std::vector<uint8_t>().swap(payload);
  std::string path = "/proc/self/fd/" + std::to_string(fd);
  void* so = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  close(fd);
  if (so == nullptr) {
    const char* e = dlerror();
    *why = std::string("the firmware image does not load: ") + (e != nullptr ? e : "?");
    return false;
  }
  auto entry = reinterpret_cast<mos_firmware_entry_fn>(dlsym(so, MOS_FIRMWARE_ENTRY_SYMBOL));
  if (entry == nullptr) {
    *why = "the firmware image has no " MOS_FIRMWARE_ENTRY_SYMBOL "()";
    return false;
  }
  firmware_ = std::string(image.app) + " " + image.version;
  write_board_file("running");
  rom_print("booting %s %s (%u bytes, fw_id %s)", image.app, image.version,
            static_cast<unsigned>(image.payload_size), fw_id_);
  int rc = entry(rom_table(this));
  chip_log("firmware returned %d", rc);
  return true;
}

}  // namespace mos::sim

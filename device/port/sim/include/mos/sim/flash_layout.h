// Where things live in the virtual NodeMCU's 4 MB SPI flash. `mos build`
// writes fw.zip parts at these addresses, the ROM boots the image at kFwAddr
// and the firmware mounts its file store at kFsAddr (Mongoose OS likewise
// fixes its layout per build). The room above the store is kept for a second
// firmware slot (OTA).
#pragma once
#include <cstdint>

namespace mos::sim {

constexpr uint32_t kFlashSize = 4u << 20;        // NodeMCU (ESP-12E): 4 MB
constexpr uint32_t kFlashSectorSize = 4096;      // SPI-NOR erase unit
constexpr uint32_t kFwAddr = 0x000000;           // firmware image (fw_image.h)
constexpr uint32_t kFwMaxSize = 0x180000;        // 1.5 MB, header included
constexpr uint32_t kFsAddr = 0x300000;           // the flash store (device/fs)
constexpr uint32_t kFsSize = 0x40000;            // 256 KB, as Mongoose OS on ESP8266

static_assert(kFwAddr + kFwMaxSize <= kFsAddr, "firmware slot overlaps the store");
static_assert(kFsAddr + kFsSize <= kFlashSize, "store beyond the flash");

}  // namespace mos::sim

// The virtual board's flash map, shared by the chip (device/port/sim), the
// firmware build (app_build) and `mos build` / `mos flash`: a 4 MB SPI-NOR
// flash like a NodeMCU's ESP-12E, 4 KB erase sectors.
//
//   0x000000  fw  firmware image (header + shared object), up to 1.5 MB
//   0x300000  fs  the file store (device/fs), 256 KB: conf0.json + app files
//
// Changing a number here changes where `mos build` places the parts in fw.zip
// and where the firmware mounts its store: rebuild both.
#pragma once
#include <cstdint>

namespace mos::sim {

constexpr uint32_t kFlashSize = 4u * 1024 * 1024;
constexpr uint32_t kFlashSectorSize = 4096;

constexpr uint32_t kFwAddr = 0x0;
constexpr uint32_t kFwMaxSize = 0x180000;

constexpr uint32_t kFsAddr = 0x300000;
constexpr uint32_t kFsSize = 0x40000;

static_assert(kFwAddr + kFwMaxSize <= kFsAddr, "firmware and file store overlap");
static_assert(kFsAddr + kFsSize <= kFlashSize, "file store past the end of flash");
static_assert(kFsAddr % kFlashSectorSize == 0 && kFsSize % kFlashSectorSize == 0, "store not sector-aligned");

}  // namespace mos::sim

// Programs a virtual board's flash before it powers on, as a programmer clip
// on the SPI flash chip would (`mos sim start --firmware`): no ROM, no
// serial line. `mos flash` is the way through the board's ROM loader.
#pragma once
#include <cstdint>
#include <string>

namespace mos::cli {

// Writes `firmware` into the flash image file flash_path (created erased,
// flash_size bytes, mode 0600, if missing): a fw.zip's parts at their
// addresses (for platform sim; keep_fs skips parts of type fs), or a raw
// firmware image (fw.bin, "MOSF" header) at 0x0. Each part's sectors are
// erased first, as a programmer does. Throws UserError naming what is wrong
// (not a sim bundle, a part beyond the flash) before writing anything.
// Returns a one-line summary ("c_mqtt 1.0.0: 2 parts, 512000 bytes").
std::string program_sim_flash(const std::string& flash_path, uint32_t flash_size,
                              const std::string& firmware, bool keep_fs);

}  // namespace mos::cli

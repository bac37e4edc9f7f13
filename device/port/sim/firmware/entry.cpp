// The firmware's entry point: the ROM jumps here after checking the image
// (mos/sim/rom_api.h). Exported with C linkage; everything else in the
// shared object is hidden (-fvisibility=hidden).
#include "mos/sim/rom_api.h"
#include "runtime.h"

extern "C" __attribute__((visibility("default"))) int mos_firmware_entry(const mos_rom_api* rom) {
  // A board older than this firmware's ROM API minor would hand a shorter
  // table; the ROM checked the image header already, this guards the call.
  if (rom == nullptr || rom->major != MOS_ROM_API_MAJOR || rom->size < sizeof(mos_rom_api)) {
    return 2;
  }
  // Static: the whole firmware is sized at link time, as on the chip.
  static mos::sim::fw::Runtime runtime(*rom);
  return runtime.run();
}

// The ROM API table of this chip (see rom_table.cpp).
#pragma once
#include "chip.h"
#include "mos/sim/rom_api.h"

namespace mos::sim {
const mos_rom_api* rom_table(Chip* chip);
}  // namespace mos::sim

// Download mode: the ROM serial loader on UART0 (Espressif's protocol).
#include "chip.h"

namespace mos::sim {

void Chip::run_rom_loader(const char* why) {
  rom_print("%s; waiting for download", why);
  status_ = "download";
  write_board_file("download");
  uint8_t buf[512];
  for (;;) {
    idle(100);
    int32_t n = uart_.read(ByteSpan(buf, sizeof(buf)));
    (void)n;  // the protocol engine lands with device/port/sim/rom
  }
}

}  // namespace mos::sim

// mos's placeholder for Espressif's flasher stub. esptool uploads its stub
// (a small Xtensa program) to IRAM with MEM_BEGIN/MEM_DATA and starts it with
// MEM_END; the stub then answers `OHAI`. mos's virtual chip does not run
// uploaded code: any started RAM upload switches its loader into stub mode.
// So this image carries no machine code, only a label; its layout follows
// the real stub's (text in IRAM at 0x4010E000, data in DRAM at 0x3FFE8000,
// entry at the start of text). Flashing a physical ESP8266 needs Espressif's
// stub in its place.
#include "mos/espflash/flasher.h"

#include <string_view>

namespace mos::espflash {

const StubImage& placeholder_stub() {
  static const StubImage image = [] {
    constexpr std::string_view kText = "mos placeholder flasher stub (no machine code; see stub_image.cpp)";
    StubImage s;
    s.entry = 0x4010E000;
    std::vector<uint8_t> text(kText.begin(), kText.end());
    text.resize((text.size() + 3) / 4 * 4, 0);  // whole words, as IRAM needs
    s.segments.push_back({0x4010E000, text});
    s.segments.push_back({0x3FFE8000, std::vector<uint8_t>(16, 0)});
    return s;
  }();
  return image;
}

}  // namespace mos::espflash

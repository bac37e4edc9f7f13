// Download mode: the ROM serial loader on UART0, speaking Espressif's
// protocol (device/port/sim/rom), until a tool tells it to run the flash
// (FLASH_END / RUN_USER_CODE) or the chip is reset.
#include "chip.h"
#include "mos/sim/rom_loader.h"

namespace mos::sim {
namespace {

// The loader's view of the chip: UART0 at the line rate, and a reset into
// flash when it is told to run the user code.
class LoaderHost : public RomLoaderHost {
 public:
  explicit LoaderHost(Chip& chip) : chip_(chip) {}
  void send(ConstByteSpan bytes) override { (void)chip_.uart().write(bytes); }
  // The response that asked for it has gone out (send() blocks at the line
  // rate), so the new rate applies from the next byte, as on the chip.
  void set_baud(uint32_t baud) override {
    if (chip_.uart().set_baud(baud) != Status::kOk) {
      chip_.chip_log("ROM loader: baud rate %u refused", static_cast<unsigned>(baud));
    }
  }
  void run_user_code() override { run_ = true; }
  bool run() const { return run_; }

 private:
  Chip& chip_;
  bool run_ = false;
};

}  // namespace

void Chip::run_rom_loader(const char* why) {
  rom_print("%s; waiting for download", why);
  status_ = "download";
  write_board_file("download");
  LoaderHost host(*this);
  static RomLoader loader(flash_, host);
  loader.set_mac(mac_.b);
  uint8_t buf[512];
  for (;;) {
    idle(100);
    for (;;) {
      int32_t n = uart_.read(ByteSpan(buf, sizeof(buf)));
      if (n <= 0) break;
      loader.feed(ConstByteSpan(buf, static_cast<size_t>(n)));
      if (host.run()) {
        (void)flash_.flush();
        reset("download finished: run from flash", false, false);
      }
    }
  }
}

}  // namespace mos::sim

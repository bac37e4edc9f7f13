// The virtual chip's serial download mode: the ESP8266 ROM loader and, once
// a program is uploaded to RAM and started (MEM_END with an entry point),
// esptool's flasher stub. Device side of Espressif's serial protocol
// (esptool docs "Serial Protocol"; stub behaviour from esptool's
// flasher_stub). The chip feeds UART RX bytes in; responses go out through
// RomLoaderHost::send, already SLIP-framed.
//
// The sim does not execute uploaded code: any RAM upload that is started
// turns the loader into the stub (it answers `OHAI`, as the stub does).
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "mos/esp_packet.h"
#include "mos/hal.h"
#include "mos/slip.h"
#include "mos/span.h"

namespace mos::sim {

class RomLoaderHost {  // what the chip gives the loader
 public:
  virtual ~RomLoaderHost() = default;
  virtual void send(ConstByteSpan bytes) = 0;  // raw bytes to UART TX (already SLIP-framed)
  virtual void set_baud(uint32_t baud) = 0;    // applied after the pending response is sent
  virtual void run_user_code() = 0;            // leave the loader: the chip reboots into flash
  // All three are called from inside RomLoader::feed(): do not destroy the
  // loader there; defer the reboot to the chip's next loop turn.
};

class RomLoader {
 public:
  RomLoader(Flash& flash, RomLoaderHost& host);  // mos::Flash from mos/hal.h (whole chip flash)
  ~RomLoader();
  void feed(ConstByteSpan rx);  // bytes from UART RX, any chunking
  bool stub_running() const { return stub_; }

  // The station MAC the efuse registers report (default 5C:CF:7F:00:00:01,
  // an Espressif OUI). Call before the host reads it.
  void set_mac(const uint8_t mac[6]);
  // True after FLASH_END/RUN_USER_CODE handed control to the host.
  bool exited() const { return exited_; }

  // ESP8266 registers esptool reads to identify the chip (esptool
  // ESP8266ROM: CHIP_DETECT_MAGIC_REG_ADDR, ESP_OTP_MAC0..3).
  static constexpr uint32_t kChipMagicReg = 0x40001000;
  static constexpr uint32_t kChipMagicEsp8266 = 0xFFF0C101;
  static constexpr uint32_t kOtpMac0 = 0x3FF00050;
  static constexpr uint32_t kOtpMac1 = 0x3FF00054;
  static constexpr uint32_t kOtpMac2 = 0x3FF00058;
  static constexpr uint32_t kOtpMac3 = 0x3FF0005C;
  // ESP8266 SPI0 registers esptool drives for "flash id" (RDID 0x9F).
  static constexpr uint32_t kSpiCmdReg = 0x60000200;
  static constexpr uint32_t kSpiUsr2Reg = 0x60000224;
  static constexpr uint32_t kSpiW0Reg = 0x60000240;
  static constexpr uint32_t kSpiCmdUsr = 1u << 18;
  static constexpr uint32_t kUartClkdivReg = 0x60000014;
  // ROM SYNC responses carry this value (the first sync word echoed); the
  // stub's carry 0, which is how esptool tells them apart.
  static constexpr uint32_t kRomSyncValue = 0x20120707;

 private:
  struct Xfer {
    bool active = false;
    uint32_t offset = 0;
    uint32_t size = 0;
    uint32_t blocks = 0;
    uint32_t block_size = 0;
    uint32_t next_seq = 0;
    uint32_t next_write = 0;
    uint32_t remaining = 0;       // stub: bytes still expected
    uint32_t erase_next = 0;      // stub: next sector to erase lazily
    uint32_t erase_left = 0;      // stub: sectors still to erase
    uint8_t last_error = 0;       // stub: sticky flash error
    bool deflate = false;
  };
  struct ReadFlash {
    bool active = false;
    uint32_t addr = 0, len = 0, block = 0, max_in_flight = 0, sent = 0, acked = 0;
  };
  struct Inflater;
  struct Md5;

  void on_frame(ConstByteSpan frame);
  void on_bad_frame();
  void handle(const esp::Request& req);
  void respond(uint8_t op, uint32_t value, ConstByteSpan body, uint8_t error);
  void send_frame(ConstByteSpan payload);

  uint8_t err(esp::RomError rom, esp::StubError stub) const {
    return stub_ ? static_cast<uint8_t>(stub) : static_cast<uint8_t>(rom);
  }
  uint32_t read_reg(uint32_t addr) const;
  void write_reg(uint32_t addr, uint32_t value);

  uint8_t flash_begin(const esp::Request& req, bool deflate);
  uint8_t flash_data(const esp::Request& req, bool deflate);
  uint8_t stub_write(ConstByteSpan data);
  uint8_t mem_begin(const esp::Request& req);
  uint8_t mem_data(const esp::Request& req);
  uint8_t erase_region(uint32_t addr, uint32_t len);
  bool md5(uint32_t addr, uint32_t len, uint8_t out[16]);
  void read_flash_pump();
  void read_flash_finish();
  void rom_erase(uint32_t offset, uint32_t erase_size);

  Flash& flash_;
  RomLoaderHost& host_;
  std::vector<uint8_t> rx_buf_;
  slip::Decoder decoder_;
  std::vector<uint8_t> tx_;
  bool stub_ = false;
  bool exited_ = false;
  uint32_t baud_ = 0;  // 0 = the rate the host synced at (taken as 115200)
  uint8_t mac_[6] = {0x5C, 0xCF, 0x7F, 0x00, 0x00, 0x01};
  std::map<uint32_t, uint32_t> regs_;
  Xfer flash_x_;
  Xfer mem_x_;
  ReadFlash rf_;
  std::unique_ptr<Inflater> inflater_;
  std::unique_ptr<Md5> rf_md5_;
};

}  // namespace mos::sim

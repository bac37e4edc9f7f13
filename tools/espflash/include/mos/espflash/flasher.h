// The host side of Espressif's serial protocol for ESP8266 boards, as
// Mongoose OS's `mos flash` drives it: reset into download mode, SYNC,
// upload a flasher stub, raise the baud rate, then per part dedupe by
// sector MD5, write compressed (FLASH_DEFL_*), verify by MD5 and boot.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "mos/espflash/serial_line.h"
#include "mos/slip.h"

namespace mos::espflash {

// A failure with a next step for the user (cmd_flash turns it into UserError).
struct FlashError : std::runtime_error {
  FlashError(const std::string& what_failed, std::string what_next)
      : std::runtime_error(what_failed), hint(std::move(what_next)) {}
  std::string hint;
};

struct Part {
  std::string name;
  std::string type;
  uint32_t addr = 0;
  std::string data;
};

// Which reset sequence an attempt uses (they alternate, first esptool's).
enum class ResetKind { kEsptool, kMos };

struct FlasherOptions {
  uint32_t rom_baud = 115200;
  uint32_t esp_baud = 921600;  // 0 = stay at rom_baud
  int attempts = 10;
  bool verify = true;
  bool boot = true;
  std::function<void(const std::string&)> out;  // transcript lines (no newline)
  // Bytes written so far, total to write, bytes/second.
  std::function<void(uint64_t done, uint64_t total, double rate)> progress;
  // Injected for tests; defaults to std::this_thread::sleep_for.
  std::function<void(std::chrono::milliseconds)> sleep;
};

struct FlashStats {
  uint32_t flash_size = 0;
  uint32_t sectors_written = 0;
  uint64_t bytes_written = 0;
  double seconds = 0;
};

struct StubSegment {
  uint32_t addr;
  std::vector<uint8_t> data;
};
struct StubImage {
  uint32_t entry;
  std::vector<StubSegment> segments;
};
// mos's placeholder for Espressif's flasher stub (see stub_image.cpp).
const StubImage& placeholder_stub();

class EspFlasher {
 public:
  EspFlasher(SerialLine& line, FlasherOptions opts);

  // The whole of `mos flash` after the bundle is loaded. Throws FlashError.
  FlashStats flash(const std::vector<Part>& parts);

  // Steps, public for tests and other tools.
  void reset(ResetKind kind);
  void connect();           // reset + SYNC, up to opts.attempts times
  void run_stub(const StubImage& stub);
  void change_baud();       // to opts.esp_baud (stub only)
  uint32_t read_flash_size();  // JEDEC RDID through the SPI registers
  uint32_t read_reg(uint32_t addr);
  std::string flash_md5(uint32_t addr, uint32_t len);  // 16 raw bytes
  // One MD5 per region, requests pipelined a window at a time (the stub
  // answers in order), so dedupe costs a few round trips, not one per sector.
  std::vector<std::string> flash_md5s(const std::vector<std::pair<uint32_t, uint32_t>>& regions);
  void boot_firmware();
  bool lines_work() const { return lines_work_; }

  struct Reply {
    uint32_t value = 0;
    std::string body;  // without the status bytes
    uint8_t status = 0, error = 0;
  };
  // Sends one command and waits for the response with the same opcode.
  void send_request(uint8_t op, const std::string& data, uint32_t checksum);
  Reply read_reply(uint8_t op, std::chrono::milliseconds timeout);
  std::string md5_body(const Reply& r);
  Reply command(uint8_t op, const std::string& data, uint32_t checksum,
                std::chrono::milliseconds timeout);
  // command() that throws FlashError when the status bytes say failure.
  Reply check(uint8_t op, const std::string& data, uint32_t checksum = 0,
              std::chrono::milliseconds timeout = std::chrono::seconds(3));

 private:
  void say(const std::string& line);
  void sleep(std::chrono::milliseconds ms);
  void drop_input();
  bool read_frame(std::string* frame, std::chrono::milliseconds timeout);
  bool try_sync();
  void write_run(uint32_t addr, const std::string& data, uint64_t total_bytes, uint64_t* done,
                 std::chrono::steady_clock::time_point start);

  SerialLine& line_;
  FlasherOptions opts_;
  bool stub_ = false;
  bool lines_work_ = true;
  std::string rx_;  // bytes read but not yet decoded
  std::vector<uint8_t> frame_buf_;
  slip::Decoder dec_;
};

}  // namespace mos::espflash

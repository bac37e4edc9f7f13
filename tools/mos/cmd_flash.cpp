// mos flash [fw.zip]: write a firmware bundle to an ESP8266 board (or a
// virtual one) over Espressif's serial protocol, as Mongoose OS's
// `mos flash` does: reset into download mode, run the flasher, write only
// the sectors that differ, verify, boot.
//   --port P            the serial port (else the global --port / $MOS_PORT / auto)
//   --keep-fs           leave parts of type fs alone (keeps the board's files)
//   --esp-baud-rate N   flasher baud rate (default 921600; 0 = stay at 115200)
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <string>
#include <vector>

#include "cli.h"
#include "device_session.h"  // resolve_port: `--port auto` as every device command
#include "mos/espflash/flasher.h"
#include "mos/espflash/serial_line.h"
#include "mos/rpcclient/ports.h"
#include "sim_boards.h"
#if __has_include("mos/fwbundle/bundle.h")
#include "mos/fwbundle/bundle.h"
#define MOS_CLI_HAVE_FWBUNDLE 1
#endif

namespace mos::cli {
namespace {

struct Options {
  std::string bundle = "build/fw.zip";
  std::string port;
  bool keep_fs = false;
  uint32_t esp_baud = 921600;
};
Options o;

constexpr uint32_t kRomBaud = 115200;
// The ESP8266 addresses at most 16 MB of SPI flash.
constexpr uint64_t kMaxFlash = 16u << 20;

std::string hex(uint32_t v) {
  char b[16];
  std::snprintf(b, sizeof b, "0x%x", v);
  return b;
}

const SimBoard* board_on(const std::vector<SimBoard>& boards, const std::string& port) {
  for (const auto& b : boards) {
    if (b.running && b.pty == port) return &b;
  }
  return nullptr;
}

void say(const std::string& line) {
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

struct Firmware {
  std::string name, platform, version, build_id;
  std::vector<espflash::Part> parts;
};

// The bundle, verified (zip, manifest, sizes, checksums, overlaps) by
// tools/fwbundle, which throws UserError on any fault.
Firmware load_bundle(const std::string& path) {
#ifdef MOS_CLI_HAVE_FWBUNDLE
  fwbundle::Bundle b = fwbundle::read_bundle(path);
  Firmware fw{b.name, b.platform, b.version, b.build_id, {}};
  for (auto& p : b.parts) fw.parts.push_back({p.name, p.type, p.addr, std::move(p.data)});
  return fw;
#else
  throw UserError("cannot read " + path + ": this mos was built without the firmware bundle library",
                  "rebuild mos from a tree that has tools/fwbundle");
#endif
}

int run_flash(const std::string& global_port) {
  // Rates termios can set (the flasher switches the chip first, so an
  // impossible rate must be refused before anything is sent).
  static const uint32_t kRates[] = {0, 115200, 230400, 460800, 921600, 1500000, 2000000};
  if (std::find(std::begin(kRates), std::end(kRates), o.esp_baud) == std::end(kRates)) {
    throw UserError("--esp-baud-rate " + std::to_string(o.esp_baud) + " is not a rate the serial port can use",
                    "pick one of 115200, 230400, 460800, 921600, 1500000, 2000000 (or 0 to stay at 115200)");
  }
  Firmware fw = load_bundle(o.bundle);
  say("Loaded " + fw.name + "/" + fw.platform + " version " + fw.version + " (" + fw.build_id + ")");
  if (fw.platform != "esp8266" && fw.platform != "sim") {
    throw UserError(o.bundle + " is built for platform " + fw.platform + "; mos flash writes esp8266 and sim firmware",
                    "build for a board mos flash supports: `mos build --arch sim`");
  }
  std::vector<espflash::Part> parts;
  for (auto& p : fw.parts) {
    if (o.keep_fs && p.type == "fs") {
      say("Skipping " + p.name + " (type fs, --keep-fs)");
      continue;
    }
    parts.push_back(std::move(p));
  }

  const std::string port = resolve_port(o.port.empty() ? global_port : o.port);
  const std::vector<SimBoard> boards = sim_boards();
  const SimBoard* board = board_on(boards, port);
  // Check sizes before touching the device: a virtual board's flash size is
  // known from its board.json; a real one's is read by the flasher, which
  // checks again.
  const uint64_t limit = board != nullptr && board->flash_size > 0 ? board->flash_size : kMaxFlash;
  for (const auto& p : parts) {
    if (uint64_t{p.addr} + p.data.size() > limit) {
      throw UserError("part " + p.name + " (" + hex(p.addr) + ", " + std::to_string(p.data.size()) +
                          " bytes) does not fit in the " + std::to_string(limit) + "-byte flash" +
                          (board != nullptr ? " of virtual board " + board->name : ""),
                      board != nullptr ? "start a board with a larger flash: `mos sim start --name " + board->name +
                                             " --flash-size 4M`"
                                       : "build the firmware for this board's flash size");
    }
  }

  say("Opening " + port + " @ " + std::to_string(kRomBaud) + "...");
  std::unique_ptr<espflash::SerialLine> line;
  try {
    line = espflash::open_termios_line(port, kRomBaud);
  } catch (const std::exception& e) {
    throw UserError(e.what(), "check the path with `mos ports` (virtual boards: `mos sim list`)");
  }
  if (board != nullptr) {
    // A pty has no modem lines: DTR/RTS go to the board's control socket.
    line = espflash::with_control_socket(std::move(line), board->dir + "/ctl.sock");
  }
  espflash::FlasherOptions fo;
  fo.rom_baud = kRomBaud;
  fo.esp_baud = o.esp_baud;
  fo.out = say;
  const bool tty = isatty(STDOUT_FILENO) != 0;
  fo.progress = [tty](uint64_t done, uint64_t total, double rate) {
    if (!tty) return;
    std::printf("\r  %llu of %llu bytes (%.0f KBit/sec)   ", static_cast<unsigned long long>(done),
                static_cast<unsigned long long>(total), rate * 8 / 1000);
    if (done >= total) std::printf("\n");
    std::fflush(stdout);
  };
  try {
    espflash::EspFlasher flasher(*line, fo);
    flasher.flash(parts);
  } catch (const espflash::FlashError& e) {
    throw UserError(e.what(), e.hint);
  } catch (const std::runtime_error& e) {
    if (dynamic_cast<const UserError*>(&e) != nullptr) throw;
    throw UserError(std::string("flashing failed: ") + e.what(), "check the port and run `mos flash` again");
  }
  return 0;
}

Registration reg{"flash", [](CLI::App& app) {
  auto* cmd = app.add_subcommand("flash", "write a firmware bundle (fw.zip) to an ESP8266 or virtual board");
  cmd->add_option("bundle", o.bundle, "the firmware bundle (default build/fw.zip)");
  cmd->add_option("--port", o.port, "serial port (default: the global --port, $MOS_PORT, else auto)")
      ->envname("MOS_PORT");
  cmd->add_flag("--keep-fs", o.keep_fs, "do not write parts of type fs (keep the board's files)");
  cmd->add_option("--esp-baud-rate", o.esp_baud, "flasher baud rate; 0 = stay at 115200")
      ->capture_default_str();
  CLI::App* root = &app;
  cmd->callback([root] {
    std::string global_port = "auto";
    if (const CLI::Option* opt = root->get_option_no_throw("--port"); opt != nullptr && !opt->empty()) {
      global_port = opt->as<std::string>();
    }
    run_flash(global_port);
  });
}};

}  // namespace
}  // namespace mos::cli

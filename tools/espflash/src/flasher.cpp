#include "mos/espflash/flasher.h"

#include <openssl/evp.h>
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <thread>

#include "mos/esp_packet.h"
#include "mos/slip.h"

namespace mos::espflash {

using namespace std::chrono_literals;
using esp::Op;

namespace {

constexpr uint32_t kSector = esp::kFlashSectorSize;
constexpr uint32_t kDeflBlock = esp::kStubFlashBlock;  // esptool's stub FLASH_WRITE_SIZE
constexpr uint32_t kRamBlock = esp::kRamBlock;

// ESP8266 SPI0 registers (esptool ESP8266ROM: SPI_REG_BASE 0x60000200,
// USR 0x1C, USR1 0x20, USR2 0x24, W0 0x40) and the command bit.
constexpr uint32_t kSpiBase = 0x60000200;
constexpr uint32_t kSpiCmd = kSpiBase;
constexpr uint32_t kSpiUsr = kSpiBase + 0x1C;
constexpr uint32_t kSpiUsr1 = kSpiBase + 0x20;
constexpr uint32_t kSpiUsr2 = kSpiBase + 0x24;
constexpr uint32_t kSpiW0 = kSpiBase + 0x40;
constexpr uint32_t kSpiCmdUsr = 1u << 18;
constexpr uint32_t kChipMagicReg = 0x40001000;
constexpr uint32_t kChipMagicEsp8266 = 0xFFF0C101;

std::string u32s(std::initializer_list<uint32_t> words) {
  std::string out;
  for (uint32_t w : words) {
    uint8_t b[4];
    esp::put_u32le(b, w);
    out.append(reinterpret_cast<const char*>(b), 4);
  }
  return out;
}

ConstByteSpan bytes(const std::string& s) {
  return ConstByteSpan(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

std::string md5_raw(std::string_view data) {
  unsigned char out[16];
  unsigned n = 16;
  EVP_Digest(data.data(), data.size(), out, &n, EVP_md5(), nullptr);
  return std::string(reinterpret_cast<const char*>(out), 16);
}

std::string hex(const std::string& s) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    out += d[c >> 4];
    out += d[c & 15];
  }
  return out;
}

std::string hex32(uint32_t v) {
  char b[16];
  std::snprintf(b, sizeof b, "0x%x", v);
  return b;
}

// Names from esptool's docs (ROM) and stub_flasher.h (stub).
std::string error_text(bool stub, uint8_t status, uint8_t error) {
  if (stub) {
    switch (status) {
      case 0xC0: return "stub error 0xC0 (bad data length)";
      case 0xC1: return "stub error 0xC1 (bad data checksum)";
      case 0xC2: return "stub error 0xC2 (bad block size)";
      case 0xC3: return "stub error 0xC3 (invalid command)";
      case 0xC4: return "stub error 0xC4 (SPI flash operation failed)";
      case 0xC5: return "stub error 0xC5 (SPI unlock failed)";
      case 0xC6: return "stub error 0xC6 (not in flash mode)";
      case 0xC7: return "stub error 0xC7 (inflate error)";
      case 0xC8: return "stub error 0xC8 (not enough data)";
      case 0xC9: return "stub error 0xC9 (too much data)";
      case 0xFF: return "stub error 0xFF (command not implemented)";
      default: return "stub error " + hex32(status);
    }
  }
  switch (error) {
    case 0x05: return "ROM error 0x05 (received message is invalid)";
    case 0x06: return "ROM error 0x06 (failed to act on received message)";
    case 0x07: return "ROM error 0x07 (invalid CRC in message)";
    case 0x08: return "ROM error 0x08 (flash write error)";
    case 0x09: return "ROM error 0x09 (flash read error)";
    case 0x0A: return "ROM error 0x0A (flash read length error)";
    case 0x0B: return "ROM error 0x0B (deflate error)";
    default: return "ROM error " + hex32(error);
  }
}

struct Timeout : FlashError {
  using FlashError::FlashError;
};

}  // namespace

EspFlasher::EspFlasher(SerialLine& line, FlasherOptions opts)
    : line_(line), opts_(std::move(opts)), frame_buf_(kDeflBlock + 1024),
      dec_(ByteSpan(frame_buf_.data(), frame_buf_.size())) {}

void EspFlasher::say(const std::string& s) {
  if (opts_.out) opts_.out(s);
}

void EspFlasher::sleep(std::chrono::milliseconds ms) {
  if (opts_.sleep) {
    opts_.sleep(ms);
  } else {
    std::this_thread::sleep_for(ms);
  }
}

void EspFlasher::drop_input() {
  line_.flush_input();
  rx_.clear();
  dec_.reset();
}

// One SLIP frame, or false when `timeout` passes first. A read that returns
// nothing means the line waited the whole time it was given.
bool EspFlasher::read_frame(std::string* frame, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    while (!rx_.empty()) {
      size_t used = 0;
      Status st = dec_.feed(bytes(rx_), &used);
      rx_.erase(0, used);
      if (st == Status::kOk) {
        frame->assign(reinterpret_cast<const char*>(dec_.frame().data()), dec_.frame().size());
        return true;
      }
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() < 0) left = 0ms;
    uint8_t buf[4096];
    const size_t n = line_.read(buf, sizeof buf, left);
    if (n == 0) return false;
    rx_.append(reinterpret_cast<const char*>(buf), n);
  }
}

void EspFlasher::send_request(uint8_t op, const std::string& data, uint32_t checksum) {
  std::vector<uint8_t> pkt(esp::kHeaderSize + data.size());
  size_t n = 0;
  if (esp::encode_request(op, bytes(data), checksum, ByteSpan(pkt.data(), pkt.size()), &n) != Status::kOk) {
    throw FlashError(std::string(esp::op_name(op)) + ": request too large", "");
  }
  std::vector<uint8_t> wire(slip::encoded_size(ConstByteSpan(pkt.data(), n)));
  (void)slip::encode(ConstByteSpan(pkt.data(), n), ByteSpan(wire.data(), wire.size()), &n);
  line_.write(wire.data(), n);
}

EspFlasher::Reply EspFlasher::read_reply(uint8_t op, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string frame;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() < 0) left = 0ms;
    if (!read_frame(&frame, left)) {
      throw Timeout(std::string("no answer to ") + esp::op_name(op) + " from the ESP on " + line_.name(),
                    "check the cable and that nothing else has the port open, then run `mos flash` again");
    }
    esp::Response r;
    // Frames for other commands (the ROM's extra SYNC answers) are skipped,
    // as the docs advise: read until the Command field matches.
    if (esp::parse_response(bytes(frame), &r) != Status::kOk || r.op != op) continue;
    Reply reply;
    reply.value = r.value;
    if (r.data.size() >= 2) {
      reply.status = r.data[r.data.size() - 2];
      reply.error = r.data[r.data.size() - 1];
      reply.body.assign(reinterpret_cast<const char*>(r.data.data()), r.data.size() - 2);
    }
    return reply;
  }
}

EspFlasher::Reply EspFlasher::command(uint8_t op, const std::string& data, uint32_t checksum,
                                      std::chrono::milliseconds timeout) {
  send_request(op, data, checksum);
  return read_reply(op, timeout);
}

EspFlasher::Reply EspFlasher::check(uint8_t op, const std::string& data, uint32_t checksum,
                                    std::chrono::milliseconds timeout) {
  Reply r = command(op, data, checksum, timeout);
  if (r.status != 0) {
    throw FlashError(std::string(esp::op_name(op)) + " failed: " + error_text(stub_, r.status, r.error),
                     "reset the board and run `mos flash` again");
  }
  return r;
}

// esptool's classic reset (DTR=0 RTS=1, 100 ms, DTR=1 RTS=0, 50 ms, DTR=0)
// and Mongoose OS mos's (RTS/DTR 1/0 50 ms, 0/1 100 ms, 0/0). RTS drives EN
// (reset), DTR drives GPIO0 (low = download mode) on NodeMCU-style boards.
void EspFlasher::reset(ResetKind kind) {
  auto set = [&](bool dtr, bool rts) {
    if (!line_.set_dtr_rts(dtr, rts)) lines_work_ = false;
  };
  if (kind == ResetKind::kEsptool) {
    set(false, true);
    sleep(100ms);
    set(true, false);
    sleep(50ms);
    set(false, false);
  } else {
    set(false, true);
    sleep(50ms);
    set(true, false);
    sleep(100ms);
    set(false, false);
  }
}

bool EspFlasher::try_sync() {
  std::string payload = "\x07\x07\x12\x20";
  payload.append(32, '\x55');
  try {
    command(static_cast<uint8_t>(Op::kSync), payload, 0, 100ms);
  } catch (const Timeout&) {
    return false;
  }
  // The ROM answers eight times (esptool reads seven more); drain them.
  std::string frame;
  for (int i = 0; i < 7 && read_frame(&frame, 100ms);) ++i;
  return true;
}

void EspFlasher::connect() {
  for (int i = 1; i <= opts_.attempts; ++i) {
    say("Connecting to ESP8266 ROM, attempt " + std::to_string(i) + " of " + std::to_string(opts_.attempts) +
        "...");
    reset(i % 2 == 1 ? ResetKind::kEsptool : ResetKind::kMos);
    drop_input();  // the ROM's 74880-baud boot banner is noise here
    for (int k = 0; k < 3; ++k) {
      if (try_sync()) return;
    }
  }
  throw FlashError("no ESP ROM answered on " + line_.name() + "; is the board powered and in download mode?",
                   lines_work_ ? "check --port (`mos ports`), or hold the FLASH button while pressing RESET and "
                                 "run `mos flash` again"
                               : line_.name() + " cannot drive DTR/RTS: put the board in download mode by "
                                                "hand (hold FLASH, press RESET) and run `mos flash` again");
}

uint32_t EspFlasher::read_reg(uint32_t addr) {
  return check(static_cast<uint8_t>(Op::kReadReg), u32s({addr})).value;
}

void EspFlasher::run_stub(const StubImage& stub) {
  for (const StubSegment& seg : stub.segments) {
    const uint32_t size = static_cast<uint32_t>(seg.data.size());
    const uint32_t blocks = (size + kRamBlock - 1) / kRamBlock;
    check(static_cast<uint8_t>(Op::kMemBegin), u32s({size, blocks, kRamBlock, seg.addr}));
    for (uint32_t seq = 0; seq < blocks; ++seq) {
      const uint32_t off = seq * kRamBlock;
      const uint32_t len = std::min(kRamBlock, size - off);
      std::string chunk(reinterpret_cast<const char*>(seg.data.data()) + off, len);
      check(static_cast<uint8_t>(Op::kMemData), u32s({len, seq, 0, 0}) + chunk, esp::checksum(bytes(chunk)));
    }
  }
  // MEM_END: word 0 is 0 to execute, word 1 the entry (esptool mem_finish).
  // The ROM may start the stub before its answer is out: tolerate silence.
  try {
    check(static_cast<uint8_t>(Op::kMemEnd), u32s({0, stub.entry}), 0, 500ms);
  } catch (const Timeout&) {
  }
  std::string frame;
  const auto deadline = std::chrono::steady_clock::now() + 2s;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() < 0 || !read_frame(&frame, std::max(left, 0ms))) {
      throw FlashError("the flasher stub did not start on " + line_.name() + " (no OHAI)",
                       "reset the board and run `mos flash` again");
    }
    if (frame == "OHAI") break;
  }
  stub_ = true;
}

void EspFlasher::change_baud() {
  const uint32_t baud = opts_.esp_baud == 0 ? opts_.rom_baud : opts_.esp_baud;
  say("Running flasher @ " + std::to_string(baud) + "...");
  if (baud == opts_.rom_baud) return;
  // CHANGE_BAUDRATE: new rate, then the current one (the stub's form).
  check(static_cast<uint8_t>(Op::kChangeBaudrate), u32s({baud, opts_.rom_baud}));
  line_.set_baud(baud);
  sleep(50ms);  // as esptool: let the UART settle at the new rate
  drop_input();
}

// JEDEC RDID (0x9F) through the SPI registers, as esptool's flash_id(): the
// third byte is log2 of the capacity.
uint32_t EspFlasher::read_flash_size() {
  auto write_reg = [&](uint32_t addr, uint32_t value) {
    check(static_cast<uint8_t>(Op::kWriteReg), u32s({addr, value, 0xFFFFFFFF, 0}));
  };
  write_reg(kSpiUsr1, 23u << 8);                     // 24 bits to read (MISO bit length - 1)
  write_reg(kSpiUsr, (1u << 31) | (1u << 28));       // command phase + MISO phase
  write_reg(kSpiUsr2, (7u << 28) | 0x9F);            // 8-bit command 0x9F
  write_reg(kSpiW0, 0);
  write_reg(kSpiCmd, kSpiCmdUsr);
  for (int i = 0; i < 10 && (read_reg(kSpiCmd) & kSpiCmdUsr) != 0; ++i) {
  }
  const uint32_t id = read_reg(kSpiW0) & 0xFFFFFF;
  const uint32_t cap = (id >> 16) & 0xFF;
  if (cap < 0x12 || cap > 0x1A) {
    throw FlashError("could not tell the flash size (JEDEC id " + hex32(id) + ")",
                     "reset the board and run `mos flash` again");
  }
  return 1u << cap;
}

std::string EspFlasher::md5_body(const Reply& r) {
  if (r.status != 0) {
    throw FlashError(std::string("SPI_FLASH_MD5 failed: ") + error_text(stub_, r.status, r.error),
                     "reset the board and run `mos flash` again");
  }
  if (r.body.size() == 32) {  // the ROM form (hex text) of other chips
    std::string raw;
    for (size_t i = 0; i < 32; i += 2) raw += static_cast<char>(std::stoi(r.body.substr(i, 2), nullptr, 16));
    return raw;
  }
  if (r.body.size() != 16) throw FlashError("SPI_FLASH_MD5 returned " + std::to_string(r.body.size()) + " bytes", "");
  return r.body;
}

// esptool allows 8 s per MB for the stub's MD5.
static std::chrono::milliseconds md5_timeout(uint64_t len) {
  return std::chrono::milliseconds(3000 + static_cast<int64_t>(len) / 1024 * 8);
}

std::string EspFlasher::flash_md5(uint32_t addr, uint32_t len) {
  return md5_body(command(static_cast<uint8_t>(Op::kSpiFlashMd5), u32s({addr, len, 0, 0}), 0, md5_timeout(len)));
}

std::vector<std::string> EspFlasher::flash_md5s(const std::vector<std::pair<uint32_t, uint32_t>>& regions) {
  // 16 requests of 24 bytes in flight: well within any UART driver's buffer.
  constexpr size_t kWindow = 16;
  std::vector<std::string> out;
  out.reserve(regions.size());
  for (size_t i = 0; i < regions.size(); i += kWindow) {
    const size_t end = std::min(regions.size(), i + kWindow);
    uint64_t bytes_asked = 0;
    for (size_t k = i; k < end; ++k) {
      send_request(static_cast<uint8_t>(Op::kSpiFlashMd5), u32s({regions[k].first, regions[k].second, 0, 0}), 0);
      bytes_asked += regions[k].second;
    }
    for (size_t k = i; k < end; ++k) {
      out.push_back(md5_body(read_reply(static_cast<uint8_t>(Op::kSpiFlashMd5), md5_timeout(bytes_asked))));
    }
  }
  return out;
}

void EspFlasher::write_run(uint32_t addr, const std::string& data, uint64_t total, uint64_t* done,
                           std::chrono::steady_clock::time_point start) {
  uLongf zlen = compressBound(static_cast<uLong>(data.size()));
  std::string z(zlen, '\0');
  if (compress2(reinterpret_cast<Bytef*>(&z[0]), &zlen, reinterpret_cast<const Bytef*>(data.data()),
                static_cast<uLong>(data.size()), 9) != Z_OK) {
    throw FlashError("zlib could not compress the image", "");
  }
  z.resize(zlen);
  const uint32_t size = static_cast<uint32_t>(data.size());
  const uint32_t blocks = static_cast<uint32_t>((z.size() + kDeflBlock - 1) / kDeflBlock);
  check(static_cast<uint8_t>(Op::kFlashDeflBegin), u32s({size, blocks, kDeflBlock, addr}));
  const uint64_t base = *done;
  for (uint32_t seq = 0; seq < blocks; ++seq) {
    const size_t off = size_t{seq} * kDeflBlock;
    const std::string chunk = z.substr(off, kDeflBlock);
    check(static_cast<uint8_t>(Op::kFlashDeflData),
          u32s({static_cast<uint32_t>(chunk.size()), seq, 0, 0}) + chunk, esp::checksum(bytes(chunk)), 10s);
    *done = base + data.size() * (off + chunk.size()) / z.size();
    if (opts_.progress) {
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      opts_.progress(*done, total, s > 0 ? static_cast<double>(*done) / s : 0);
    }
  }
  check(static_cast<uint8_t>(Op::kFlashDeflEnd), u32s({1}));  // 1 = stay in the loader
}

void EspFlasher::boot_firmware() {
  // FLASH_BEGIN with nothing to write, then FLASH_END 0 = reboot (what
  // esptool's run() does); the answer may be cut short by the reboot.
  try {
    check(static_cast<uint8_t>(Op::kFlashBegin), u32s({0, 0, kDeflBlock, 0}));
    check(static_cast<uint8_t>(Op::kFlashEnd), u32s({0}), 0, 500ms);
    return;
  } catch (const Timeout&) {
    return;
  } catch (const FlashError&) {
    if (!lines_work_) throw;
  }
  // Hard reset with GPIO0 high: EN low for 100 ms.
  line_.set_dtr_rts(false, true);
  sleep(100ms);
  line_.set_dtr_rts(false, false);
}

FlashStats EspFlasher::flash(const std::vector<Part>& parts) {
  FlashStats st;
  connect();
  const uint32_t magic = read_reg(kChipMagicReg);
  if (magic != kChipMagicEsp8266) {
    throw FlashError("the chip on " + line_.name() + " is not an ESP8266 (chip magic " + hex32(magic) + ")",
                     "mos flash supports ESP8266 boards; check --port");
  }
  run_stub(placeholder_stub());
  change_baud();
  st.flash_size = read_flash_size();
  say("Flash size: " + std::to_string(st.flash_size));
  for (const Part& p : parts) {
    if (p.addr > st.flash_size || p.data.size() > st.flash_size - p.addr) {
      throw FlashError("part " + p.name + " (" + hex32(p.addr) + ", " + std::to_string(p.data.size()) +
                           " bytes) does not fit in the " + std::to_string(st.flash_size) + "-byte flash",
                       "build the firmware for this board's flash size");
    }
  }

  // Dedupe: one MD5 per 4 KB sector, compared with the image; only runs of
  // differing sectors are written.
  say("Deduping...");
  struct Run {
    uint32_t addr;
    std::string data;
  };
  std::vector<Run> runs;
  uint64_t total = 0;
  uint32_t sectors = 0;
  std::vector<std::pair<uint32_t, uint32_t>> regions;
  for (const Part& p : parts) {
    const uint32_t len = static_cast<uint32_t>(p.data.size());
    for (uint32_t off = 0; off < len; off += kSector) regions.push_back({p.addr + off, std::min(kSector, len - off)});
  }
  const std::vector<std::string> remote = flash_md5s(regions);
  std::vector<bool> part_written(parts.size(), false);
  size_t region = 0;
  for (size_t pi = 0; pi < parts.size(); ++pi) {
    const Part& p = parts[pi];
    const uint32_t len = static_cast<uint32_t>(p.data.size());
    bool open = false;
    for (uint32_t off = 0; off < len; off += kSector) {
      ++sectors;
      const uint32_t n = std::min(kSector, len - off);
      const std::string_view local(p.data.data() + off, n);
      const bool same = remote[region++] == md5_raw(local);
      if (!same) part_written[pi] = true;
      if (!same) {
        if (!open) runs.push_back({p.addr + off, {}});
        runs.back().data.append(local);
        ++st.sectors_written;
        total += n;
      }
      open = !same;
    }
  }

  say("  " + std::to_string(st.sectors_written) + " of " + std::to_string(sectors) +
      " sectors differ");
  say("Writing...");
  const auto start = std::chrono::steady_clock::now();
  uint64_t done = 0;
  for (const Run& r : runs) write_run(r.addr, r.data, total, &done, start);
  st.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  st.bytes_written = total;
  char line[128];
  std::snprintf(line, sizeof line, "Wrote %llu bytes in %.2f seconds (%.2f KBit/sec)",
                static_cast<unsigned long long>(total), st.seconds,
                st.seconds > 0 ? static_cast<double>(total) * 8 / 1000 / st.seconds : 0.0);
  say(line);

  if (opts_.verify) {
    say("Verifying...");
    for (size_t pi = 0; pi < parts.size(); ++pi) {
      const Part& p = parts[pi];
      // A part with no sector written was just proven equal, sector by sector.
      if (p.data.empty() || !part_written[pi]) continue;
      const std::string got = flash_md5(p.addr, static_cast<uint32_t>(p.data.size()));
      const std::string want = md5_raw(p.data);
      if (got != want) {
        throw FlashError("verification failed for part " + p.name + " at " + hex32(p.addr) + ": flash MD5 " +
                             hex(got) + ", expected " + hex(want),
                         "run `mos flash` again; if it fails again, the flash chip may be worn out");
      }
    }
  }
  if (opts_.boot) {
    say("Booting firmware...");
    boot_firmware();
  }
  say("All done!");
  return st;
}

}  // namespace mos::espflash

#include "mos/espflash/flasher.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "fake_line.h"
#include "ram_flash.h"

namespace mos::espflash {
namespace {

using test::FakeLine;
using test::SimChip;

struct Rig {
  FakeLine line;
  std::vector<std::string> transcript;
  FlasherOptions opts() {
    FlasherOptions o;
    o.out = [this](const std::string& s) { transcript.push_back(s); };
    o.sleep = [this](std::chrono::milliseconds ms) { line.advance(ms); };
    return o;
  }
  bool said(const std::string& s) const {
    for (const auto& t : transcript) {
      if (t.rfind(s, 0) == 0) return true;
    }
    return false;
  }
};

TEST(EspFlasherReset, SequencesAlternateWithTheirTimings) {
  Rig rig;
  EspFlasher f(rig.line, rig.opts());
  try {
    f.connect();
    FAIL() << "nothing answers, connect must fail";
  } catch (const FlashError& e) {
    EXPECT_STREQ(e.what(), "no ESP ROM answered on /dev/fake0; is the board powered and in download mode?");
  }
  ASSERT_EQ(rig.transcript.size(), 10u);
  EXPECT_EQ(rig.transcript[0], "Connecting to ESP8266 ROM, attempt 1 of 10...");
  EXPECT_EQ(rig.transcript[9], "Connecting to ESP8266 ROM, attempt 10 of 10...");
  ASSERT_EQ(rig.line.events.size(), 30u);
  const auto& ev = rig.line.events;
  // esptool: DTR=0 RTS=1, 100 ms, DTR=1 RTS=0, 50 ms, DTR=0.
  const uint64_t t0 = ev[0].t_ms;
  EXPECT_TRUE(!ev[0].dtr && ev[0].rts);
  EXPECT_TRUE(ev[1].dtr && !ev[1].rts);
  EXPECT_EQ(ev[1].t_ms - t0, 100u);
  EXPECT_TRUE(!ev[2].dtr && !ev[2].rts);
  EXPECT_EQ(ev[2].t_ms - ev[1].t_ms, 50u);
  // mos: RTS/DTR 1/0, 50 ms, 0/1, 100 ms, 0/0.
  EXPECT_TRUE(!ev[3].dtr && ev[3].rts);
  EXPECT_TRUE(ev[4].dtr && !ev[4].rts);
  EXPECT_EQ(ev[4].t_ms - ev[3].t_ms, 50u);
  EXPECT_TRUE(!ev[5].dtr && !ev[5].rts);
  EXPECT_EQ(ev[5].t_ms - ev[4].t_ms, 100u);
  // and back to esptool's on the third attempt
  EXPECT_EQ(ev[7].t_ms - ev[6].t_ms, 100u);
}

TEST(EspFlasherReset, PtyWithoutModemLinesStillSyncsWhenAlreadyInDownloadMode) {
  Rig rig;
  mos::test::RamFlash flash(1 << 20, 4096);
  SimChip chip(rig.line, flash, /*start_in_download_mode=*/true);
  rig.line.lines_ok = false;
  EspFlasher f(rig.line, rig.opts());
  f.connect();
  EXPECT_FALSE(f.lines_work());
  EXPECT_EQ(rig.transcript.size(), 1u);
}

std::vector<Part> firmware() {
  std::vector<Part> parts;
  std::string boot(5000, '\0'), app(70000, '\0'), fs(3 * 4096, '\xFF');
  for (size_t i = 0; i < boot.size(); ++i) boot[i] = static_cast<char>(i * 13);
  for (size_t i = 0; i < app.size(); ++i) app[i] = static_cast<char>((i * 7) ^ (i >> 9));
  std::memcpy(&fs[100], "config", 6);
  parts.push_back({"boot", "boot", 0x0, boot});
  parts.push_back({"fw", "app", 0x10000, app});
  parts.push_back({"fs", "fs", 0x3F0000, fs});
  return parts;
}

std::string read_flash(Flash& fl, uint32_t addr, size_t n) {
  std::string s(n, '\0');
  EXPECT_EQ(fl.read(addr, ByteSpan(reinterpret_cast<uint8_t*>(&s[0]), n)), Status::kOk);
  return s;
}

struct FlashRig : Rig {
  mos::test::RamFlash flash{4 << 20, 4096};
  SimChip chip{line, flash};
  FlashStats run(const std::vector<Part>& parts, uint32_t baud = 921600) {
    transcript.clear();
    FlasherOptions o = opts();
    o.esp_baud = baud;
    EspFlasher f(line, o);
    return f.flash(parts);
  }
};

TEST(EspFlasher, FlashesEveryPartThenReflashWritesNothing) {
  FlashRig rig;
  auto parts = firmware();
  FlashStats st = rig.run(parts);
  EXPECT_EQ(st.flash_size, 4u << 20);
  for (const Part& p : parts) EXPECT_EQ(read_flash(rig.flash, p.addr, p.data.size()), p.data) << p.name;
  // boot 2 sectors, app 18; the fs part is all 0xFF but one sector (erased flash matches the rest)
  EXPECT_EQ(st.sectors_written, 2u + 18u + 1u);
  EXPECT_EQ(rig.chip.boots, 1);
  EXPECT_EQ(rig.chip.bauds, (std::vector<uint32_t>{921600}));
  EXPECT_EQ(rig.line.bauds, (std::vector<uint32_t>{921600}));
  const std::vector<std::string> order = {"Connecting to ESP8266 ROM, attempt 1 of 10...",
                                          "Running flasher @ 921600...", "Flash size: 4194304", "Deduping...",
                                          "Writing..."};
  for (size_t i = 0; i < order.size(); ++i) EXPECT_EQ(rig.transcript[i], order[i]);
  EXPECT_TRUE(rig.said("Wrote " + std::to_string(st.bytes_written) + " bytes in "));
  EXPECT_EQ(rig.transcript[rig.transcript.size() - 3], "Verifying...");
  EXPECT_EQ(rig.transcript[rig.transcript.size() - 2], "Booting firmware...");
  EXPECT_EQ(rig.transcript.back(), "All done!");

  rig.line.bauds.clear();
  FlashStats again = rig.run(parts, 0);
  EXPECT_EQ(again.sectors_written, 0u);
  EXPECT_EQ(again.bytes_written, 0u);
  EXPECT_TRUE(rig.said("Running flasher @ 115200..."));
  EXPECT_TRUE(rig.line.bauds.empty());
  EXPECT_EQ(rig.chip.boots, 2);
}

TEST(EspFlasher, ChangedRegionWritesOnlyItsSectors) {
  FlashRig rig;
  auto parts = firmware();
  rig.run(parts);
  parts[1].data[20000] ^= 0x55;                  // sector 4 of the app
  parts[1].data[4096 * 9 + 1] ^= 0x01;           // sector 9
  parts[1].data[4096 * 10] ^= 0x01;              // sector 10: a run of two
  FlashStats st = rig.run(parts);
  EXPECT_EQ(st.sectors_written, 3u);
  EXPECT_EQ(st.bytes_written, 3u * 4096);
  EXPECT_EQ(read_flash(rig.flash, parts[1].addr, parts[1].data.size()), parts[1].data);
}

// A flash that flips a bit in whatever is written at one address.
class CorruptingFlash : public mos::test::RamFlash {
 public:
  using mos::test::RamFlash::RamFlash;
  uint32_t bad_addr = 0x10000 + 12345;
  Status write(uint32_t addr, ConstByteSpan data) override {
    std::vector<uint8_t> copy(data.begin(), data.end());
    if (bad_addr >= addr && bad_addr < addr + copy.size()) copy[bad_addr - addr] &= 0xFE;
    return mos::test::RamFlash::write(addr, ConstByteSpan(copy.data(), copy.size()));
  }
};

TEST(EspFlasher, VerifyCatchesACorruptedWrite) {
  Rig rig;
  CorruptingFlash flash(4 << 20, 4096);
  SimChip chip(rig.line, flash);
  auto parts = firmware();
  parts[1].data[12345] = '\x01';  // odd, so the flipped bit changes it
  EspFlasher f(rig.line, rig.opts());
  try {
    f.flash(parts);
    FAIL() << "verification must fail";
  } catch (const FlashError& e) {
    EXPECT_NE(std::string(e.what()).find("verification failed for part fw at 0x10000"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(chip.boots, 0);
}

TEST(EspFlasher, RefusesPartsBeyondTheFlash) {
  Rig rig;
  mos::test::RamFlash flash(1 << 20, 4096);
  SimChip chip(rig.line, flash);
  auto parts = firmware();  // fs at 0x3F0000 > 1 MB
  EspFlasher f(rig.line, rig.opts());
  try {
    f.flash(parts);
    FAIL();
  } catch (const FlashError& e) {
    EXPECT_NE(std::string(e.what()).find("part fs (0x3f0000, 12288 bytes) does not fit in the 1048576-byte flash"),
              std::string::npos)
        << e.what();
  }
}

TEST(EspFlasher, StubImageIsWholeWords) {
  const StubImage& s = placeholder_stub();
  EXPECT_NE(s.entry, 0u);
  for (const auto& seg : s.segments) EXPECT_EQ(seg.data.size() % 4, 0u);
}

}  // namespace
}  // namespace mos::espflash

#include "mos/fs.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fault_flash.h"

namespace mos {
namespace {

using test::FaultFlash;

constexpr uint32_t kSector = 4096;

std::string pattern(size_t n, uint32_t seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (seed * 7 + i * 13 + i / 97) % 26);
  return s;
}

class FsTest : public ::testing::Test {
 protected:
  explicit FsTest(uint32_t sectors = 16) : flash_(sectors * kSector, kSector), sec_(sectors) {}
  void SetUp() override {
    ASSERT_EQ(fs_.init(flash_, 0, flash_.size(), Span<FsSector>(sec_.data(), sec_.size())), Status::kOk);
    ASSERT_EQ(fs_.format(), Status::kOk);
  }
  Status put(Fs& fs, std::string_view name, const std::string& data) { return fs.write(name, as_bytes(data)); }
  std::string get(Fs& fs, std::string_view name) {
    uint32_t size = 0;
    if (fs.stat(name, &size) != Status::kOk) return "<missing>";
    std::string out(size, '\0');
    size_t n = 0;
    EXPECT_EQ(fs.read(name, 0, ByteSpan(reinterpret_cast<uint8_t*>(out.data()), out.size()), &n), Status::kOk);
    EXPECT_EQ(n, size);
    return out;
  }
  // A fresh Fs on the same flash, as after a reboot.
  void remount(Fs& fs, std::vector<FsSector>& sec) {
    sec.assign(sec_.size(), FsSector{});
    ASSERT_EQ(fs.init(flash_, 0, flash_.size(), Span<FsSector>(sec.data(), sec.size())), Status::kOk);
    ASSERT_EQ(fs.mount(), Status::kOk);
  }

  FaultFlash flash_;
  std::vector<FsSector> sec_;
  Fs fs_;
};

TEST_F(FsTest, WriteReadStatListRemove) {
  EXPECT_EQ(fs_.file_count(), 0u);
  ASSERT_EQ(put(fs_, "conf9.json", "{\"a\":1}"), Status::kOk);
  ASSERT_EQ(put(fs_, "cert.pem", pattern(4000, 1)), Status::kOk);
  EXPECT_EQ(get(fs_, "conf9.json"), "{\"a\":1}");
  EXPECT_EQ(get(fs_, "cert.pem"), pattern(4000, 1));
  uint32_t size = 0;
  ASSERT_EQ(fs_.stat("cert.pem", &size), Status::kOk);
  EXPECT_EQ(size, 4000u);
  EXPECT_EQ(fs_.stat("nope", &size), Status::kNotFound);
  ASSERT_EQ(fs_.file_count(), 2u);
  std::string_view name;
  ASSERT_TRUE(fs_.file_at(1, &name, &size));
  EXPECT_EQ(name, "cert.pem");
  EXPECT_FALSE(fs_.file_at(2, &name, &size));

  ASSERT_EQ(fs_.remove("conf9.json"), Status::kOk);
  EXPECT_EQ(fs_.remove("conf9.json"), Status::kNotFound);
  EXPECT_EQ(get(fs_, "conf9.json"), "<missing>");
  EXPECT_EQ(fs_.file_count(), 1u);
  EXPECT_EQ(flash_.overwrites(), 0u);
}

TEST_F(FsTest, PartialReadsAtOffsets) {
  std::string data = pattern(1500, 3);
  ASSERT_EQ(put(fs_, "f", data), Status::kOk);
  uint8_t buf[300];
  size_t n = 0;
  ASSERT_EQ(fs_.read("f", 400, ByteSpan(buf, sizeof(buf)), &n), Status::kOk);  // spans chunks 0 and 1
  ASSERT_EQ(n, 300u);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(buf), n), data.substr(400, 300));
  ASSERT_EQ(fs_.read("f", 1400, ByteSpan(buf, sizeof(buf)), &n), Status::kOk);
  ASSERT_EQ(n, 100u);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(buf), n), data.substr(1400));
  ASSERT_EQ(fs_.read("f", 1500, ByteSpan(buf, sizeof(buf)), &n), Status::kOk);
  EXPECT_EQ(n, 0u);
  EXPECT_EQ(fs_.read("g", 0, ByteSpan(buf, sizeof(buf)), &n), Status::kNotFound);
}

TEST_F(FsTest, EmptyFileAndOverwrite) {
  ASSERT_EQ(put(fs_, "e", ""), Status::kOk);
  EXPECT_EQ(get(fs_, "e"), "");
  ASSERT_EQ(put(fs_, "e", "now longer"), Status::kOk);
  ASSERT_EQ(put(fs_, "e", "short"), Status::kOk);
  EXPECT_EQ(get(fs_, "e"), "short");
  Fs fs2;
  std::vector<FsSector> sec2;
  remount(fs2, sec2);
  EXPECT_EQ(get(fs2, "e"), "short");
  EXPECT_EQ(fs2.file_count(), 1u);
}

TEST_F(FsTest, AppendBuildsTheFile) {
  std::string want;
  for (int i = 0; i < 12; ++i) {
    std::string piece = pattern(300 + static_cast<size_t>(i), static_cast<uint32_t>(i));
    ASSERT_EQ(fs_.append("ca.pem", as_bytes(piece)), Status::kOk);
    want += piece;
    ASSERT_EQ(get(fs_, "ca.pem"), want);
  }
  Fs fs2;
  std::vector<FsSector> sec2;
  remount(fs2, sec2);
  EXPECT_EQ(get(fs2, "ca.pem"), want);
}

TEST_F(FsTest, NamesAreChecked) {
  EXPECT_EQ(put(fs_, "", "x"), Status::kInvalidArg);
  std::string longest(MOS_FS_MAX_NAME, 'n');
  EXPECT_EQ(put(fs_, longest, "x"), Status::kOk);
  EXPECT_EQ(put(fs_, longest + "n", "x"), Status::kInvalidArg);
  EXPECT_EQ(put(fs_, std::string_view("a\0b", 3), "x"), Status::kInvalidArg);
  EXPECT_EQ(get(fs_, longest), "x");
}

TEST_F(FsTest, TooBigOrTooManyFiles) {
  EXPECT_EQ(put(fs_, "big", std::string(MOS_FS_MAX_FILE_SIZE + 1, 'x')), Status::kNoSpace);
  for (int i = 0; i < MOS_FS_MAX_FILES; ++i) {
    ASSERT_EQ(put(fs_, "f" + std::to_string(i), "v" + std::to_string(i)), Status::kOk) << i;
  }
  EXPECT_EQ(put(fs_, "one-more", "x"), Status::kNoSpace);
  EXPECT_EQ(put(fs_, "f3", "replaced"), Status::kOk);  // replacing is still fine
  Fs fs2;
  std::vector<FsSector> sec2;
  remount(fs2, sec2);
  EXPECT_EQ(fs2.file_count(), static_cast<size_t>(MOS_FS_MAX_FILES));
  EXPECT_EQ(get(fs2, "f3"), "replaced");
  EXPECT_EQ(get(fs2, "f31"), "v31");
}

TEST_F(FsTest, FillsToItsLimitAndCollectsForever) {
  FsInfo fi = fs_.info();
  EXPECT_GT(fi.total, 10u * 3000u);
  EXPECT_EQ(fi.used, 0u);
  // Fill most of the promised space with static files, then keep rewriting
  // one file: the collector must always find room, and never lose a file.
  std::vector<std::string> names;
  int i = 0;
  while (fs_.info().free > 2 * 4700 + 4300) {  // leave room for two versions of "hot"
    names.push_back("static" + std::to_string(i));
    ASSERT_EQ(put(fs_, names.back(), pattern(4000, static_cast<uint32_t>(i))), Status::kOk);
    ++i;
  }
  for (int round = 0; round < 300; ++round) {
    ASSERT_EQ(put(fs_, "hot", pattern(3000 + static_cast<size_t>(round % 7) * 150, static_cast<uint32_t>(round))),
              Status::kOk)
        << round;
  }
  EXPECT_GT(fs_.gc_runs(), 50u);
  EXPECT_EQ(put(fs_, "too-big", pattern(fs_.info().free + 1000, 9)), Status::kNoSpace);
  Fs fs2;
  std::vector<FsSector> sec2;
  remount(fs2, sec2);
  for (size_t k = 0; k < names.size(); ++k) EXPECT_EQ(get(fs2, names[k]), pattern(4000, static_cast<uint32_t>(k)));
  EXPECT_EQ(get(fs2, "hot"), pattern(3000 + 299 % 7 * 150, 299));
  EXPECT_EQ(flash_.overwrites(), 0u);
}

TEST_F(FsTest, RemovedFilesStayRemovedThroughCollection) {
  ASSERT_EQ(put(fs_, "gone", "old secret"), Status::kOk);
  ASSERT_EQ(fs_.remove("gone"), Status::kOk);
  for (int round = 0; round < 200; ++round) {
    ASSERT_EQ(put(fs_, "hot", pattern(2000, static_cast<uint32_t>(round))), Status::kOk);
  }
  Fs fs2;
  std::vector<FsSector> sec2;
  remount(fs2, sec2);
  EXPECT_EQ(get(fs2, "gone"), "<missing>");
  EXPECT_EQ(fs2.file_count(), 1u);
}

TEST_F(FsTest, ManyRemovedNamesAreResolvedInBatches) {
  // More distinct names on flash than index slots: removed ones must not
  // crowd out live ones at mount.
  for (int i = 0; i < 3 * MOS_FS_MAX_FILES; ++i) {
    std::string n = "tmp" + std::to_string(i);
    ASSERT_EQ(put(fs_, n, "x"), Status::kOk);
    if (i % 3 != 2) {
      ASSERT_EQ(fs_.remove(n), Status::kOk);
    }
  }
  Fs fs2;
  std::vector<FsSector> sec2;
  remount(fs2, sec2);
  EXPECT_EQ(fs2.file_count(), static_cast<size_t>(MOS_FS_MAX_FILES));
  for (int i = 0; i < 3 * MOS_FS_MAX_FILES; ++i) {
    EXPECT_EQ(get(fs2, "tmp" + std::to_string(i)), i % 3 == 2 ? "x" : "<missing>") << i;
  }
}

TEST_F(FsTest, WearIsSpreadOverAllSectors) {
  ASSERT_EQ(put(fs_, "cert.pem", pattern(1800, 1)), Status::kOk);
  ASSERT_EQ(put(fs_, "key.pem", pattern(250, 2)), Status::kOk);
  std::vector<uint32_t> before = flash_.erases();
  const int kSaves = 2000;
  for (int round = 0; round < kSaves; ++round) {
    ASSERT_EQ(put(fs_, "conf9.json", pattern(200 + static_cast<size_t>(round % 300), static_cast<uint32_t>(round))),
              Status::kOk);
  }
  uint32_t lo = UINT32_MAX, hi = 0, sum = 0;
  for (size_t i = 0; i < before.size(); ++i) {
    uint32_t e = flash_.erases()[i] - before[i];
    lo = std::min(lo, e);
    hi = std::max(hi, e);
    sum += e;
  }
  std::printf("wear: %d saves of conf9.json over %zu sectors: erases per sector min %u max %u total %u\n", kSaves,
              before.size(), lo, hi, sum);
  // A store that rewrote one sector per save would show max == kSaves.
  EXPECT_LE(hi - lo, 1u);
  EXPECT_LT(hi, kSaves / 20u);
}

TEST(FsInit, RejectsBadGeometry) {
  FaultFlash flash(16 * 4096, 4096);
  std::vector<FsSector> sec(16);
  Fs fs;
  Span<FsSector> s(sec.data(), sec.size());
  EXPECT_EQ(fs.init(flash, 100, 8 * 4096, s), Status::kInvalidArg);        // unaligned
  EXPECT_EQ(fs.init(flash, 0, 4 * 4096, s), Status::kInvalidArg);          // too few sectors
  EXPECT_EQ(fs.init(flash, 8 * 4096, 12 * 4096, s), Status::kInvalidArg);  // past the end
  EXPECT_EQ(fs.init(flash, 0, 16 * 4096, Span<FsSector>(sec.data(), 8)), Status::kInvalidArg);
  EXPECT_EQ(fs.init(flash, 4096, 8 * 4096, s), Status::kOk);
  EXPECT_EQ(fs.write("x", ConstByteSpan()), Status::kInvalidArg);  // not mounted
}

TEST(FsInit, PartitionLeavesTheRestOfTheFlashAlone) {
  FaultFlash flash(16 * 4096, 4096);
  std::vector<FsSector> sec(8);
  Fs fs;
  ASSERT_EQ(fs.init(flash, 4 * 4096, 8 * 4096, Span<FsSector>(sec.data(), sec.size())), Status::kOk);
  ASSERT_EQ(fs.mount(), Status::kOk);  // blank flash mounts empty
  EXPECT_EQ(fs.file_count(), 0u);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(fs.write("f", as_bytes(pattern(3000, static_cast<uint32_t>(i)))), Status::kOk);
  for (uint32_t a = 0; a < 4 * 4096; ++a) ASSERT_EQ(flash.mem()[a], 0xFF);
  for (uint32_t a = 12 * 4096; a < 16 * 4096; ++a) ASSERT_EQ(flash.mem()[a], 0xFF);
}

}  // namespace
}  // namespace mos

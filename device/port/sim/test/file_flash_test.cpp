#include "mos/sim/file_flash.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

namespace mos::sim {
namespace {

class FileFlashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/mos-flash-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/flash.bin";
  }
  void TearDown() override {
    ::unlink(path_.c_str());
    ::rmdir(dir_.c_str());
  }
  std::string dir_, path_;
};

constexpr uint32_t kSize = 64 * 1024;

TEST_F(FileFlashTest, NewImageIsErased) {
  FileFlash f;
  ASSERT_EQ(f.open(path_.c_str(), kSize), Status::kOk) << f.error();
  EXPECT_EQ(f.size(), kSize);
  EXPECT_EQ(f.sector_size(), 4096u);
  std::vector<uint8_t> buf(kSize);
  ASSERT_EQ(f.read(0, ByteSpan(buf.data(), buf.size())), Status::kOk);
  for (uint8_t b : buf) ASSERT_EQ(b, 0xFF);
}

TEST_F(FileFlashTest, WriteOnlyClearsBitsAndEraseSetsThem) {
  FileFlash f;
  ASSERT_EQ(f.open(path_.c_str(), kSize), Status::kOk);
  const uint8_t a[] = {0xF0, 0x55};
  const uint8_t b[] = {0x0F, 0xFF};
  ASSERT_EQ(f.write(4100, a), Status::kOk);
  ASSERT_EQ(f.write(4100, b), Status::kOk);
  uint8_t got[3] = {};
  ASSERT_EQ(f.read(4099, got), Status::kOk);
  EXPECT_EQ(got[0], 0xFF);
  EXPECT_EQ(got[1], 0x00);  // 0xF0 & 0x0F: a 1 is never written back
  EXPECT_EQ(got[2], 0x55);
  ASSERT_EQ(f.erase(4096), Status::kOk);
  ASSERT_EQ(f.read(4099, got), Status::kOk);
  EXPECT_EQ(got[1], 0xFF);
  EXPECT_EQ(got[2], 0xFF);
  EXPECT_EQ(f.erase_count(), 1u);
}

TEST_F(FileFlashTest, EraseTouchesOnlyItsSector) {
  FileFlash f;
  ASSERT_EQ(f.open(path_.c_str(), kSize), Status::kOk);
  const uint8_t z[] = {0};
  ASSERT_EQ(f.write(4095, z), Status::kOk);
  ASSERT_EQ(f.write(8192, z), Status::kOk);
  ASSERT_EQ(f.erase(4096), Status::kOk);
  uint8_t got[1];
  ASSERT_EQ(f.read(4095, got), Status::kOk);
  EXPECT_EQ(got[0], 0);
  ASSERT_EQ(f.read(8192, got), Status::kOk);
  EXPECT_EQ(got[0], 0);
}

TEST_F(FileFlashTest, ContentSurvivesReopen) {
  {
    FileFlash f;
    ASSERT_EQ(f.open(path_.c_str(), kSize, FileFlash::Sync::kEveryWrite), Status::kOk);
    const uint8_t data[] = {1, 2, 3};
    ASSERT_EQ(f.write(kSize - 3, data), Status::kOk);
  }
  FileFlash f;
  ASSERT_EQ(f.open(path_.c_str(), kSize), Status::kOk);
  uint8_t got[3] = {};
  ASSERT_EQ(f.read(kSize - 3, got), Status::kOk);
  EXPECT_EQ(got[0], 1);
  EXPECT_EQ(got[2], 3);
}

TEST_F(FileFlashTest, RejectsOutOfRangeAndUnaligned) {
  FileFlash f;
  ASSERT_EQ(f.open(path_.c_str(), kSize), Status::kOk);
  uint8_t buf[4] = {};
  EXPECT_EQ(f.read(kSize - 3, buf), Status::kInvalidArg);
  EXPECT_EQ(f.read(0xFFFFFFFFu, buf), Status::kInvalidArg);
  EXPECT_EQ(f.write(kSize, ConstByteSpan(buf, 1)), Status::kInvalidArg);
  EXPECT_EQ(f.write(kSize, ConstByteSpan(buf, 0)), Status::kOk);
  EXPECT_EQ(f.erase(100), Status::kInvalidArg);
  EXPECT_EQ(f.erase(kSize), Status::kInvalidArg);
}

TEST_F(FileFlashTest, WrongSizeAndSecondUserAreRefused) {
  {
    FileFlash f;
    ASSERT_EQ(f.open(path_.c_str(), kSize), Status::kOk);
    FileFlash other;
    EXPECT_EQ(other.open(path_.c_str(), kSize), Status::kBusy);
    EXPECT_NE(std::string(other.error()).find("in use"), std::string::npos);
  }
  FileFlash f;
  EXPECT_EQ(f.open(path_.c_str(), 2 * kSize), Status::kInvalidArg);
  EXPECT_NE(std::string(f.error()).find("65536"), std::string::npos) << f.error();
  EXPECT_EQ(f.open(path_.c_str(), 1000), Status::kInvalidArg);
}

}  // namespace
}  // namespace mos::sim

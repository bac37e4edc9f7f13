// The firmware image header and check (mos/sim/fw_image.h): what the ROM
// accepts and, for everything else, that it refuses and says why.
#include "mos/sim/fw_image.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "../../../fs/test/ram_flash.h"

namespace mos::sim {
namespace {

std::vector<uint8_t> image(std::string_view app, std::string_view version, size_t payload_size) {
  std::vector<uint8_t> payload(payload_size);
  for (size_t i = 0; i < payload_size; ++i) payload[i] = static_cast<uint8_t>(i * 7 + 3);
  std::vector<uint8_t> out(kFwHeaderSize);
  EXPECT_EQ(fw_image_header(app, version, 1, 2, ConstByteSpan(payload.data(), payload.size()),
                            ByteSpan(out.data(), out.size())),
            Status::kOk);
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

class FwImageTest : public ::testing::Test {
 protected:
  void erase_all() {
    for (uint32_t a = 0; a < flash_.size(); a += flash_.sector_size()) {
      ASSERT_EQ(flash_.erase(a), Status::kOk);
    }
  }
  void flash_image(const std::vector<uint8_t>& img) {
    erase_all();
    ASSERT_EQ(flash_.write(0, ConstByteSpan(img.data(), img.size())), Status::kOk);
  }
  Status check(FwImageInfo* info, const char** why, uint32_t max = 64 * 1024) {
    return fw_image_check(flash_, 0, max, ByteSpan(scratch_, sizeof(scratch_)), info, why);
  }
  mos::test::RamFlash flash_{128 * 1024, 4096};
  uint8_t scratch_[100];  // smaller than the payload: the CRC runs in chunks
};

TEST_F(FwImageTest, HeaderBytesAreAsDocumented) {
  std::vector<uint8_t> img = image("c_mqtt", "1.0.0", 300);
  EXPECT_EQ(std::memcmp(img.data(), "MOSF", 4), 0);
  EXPECT_EQ(img[4], 1);
  EXPECT_EQ(img[6] | img[7] << 8, 1);
  EXPECT_EQ(img[8] | img[9] << 8, 2);
  EXPECT_EQ(img[12] | img[13] << 8, 300);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(&img[20])), "c_mqtt");
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(&img[40])), "1.0.0");
}

TEST_F(FwImageTest, AcceptsAGoodImage) {
  flash_image(image("c_mqtt", "1.0.0", 5000));
  FwImageInfo info;
  const char* why = "";
  ASSERT_EQ(check(&info, &why), Status::kOk) << why;
  EXPECT_EQ(info.payload_size, 5000u);
  EXPECT_STREQ(info.app, "c_mqtt");
  EXPECT_STREQ(info.version, "1.0.0");
  EXPECT_EQ(info.api_major, 1);
  EXPECT_EQ(info.api_minor, 2);
}

TEST_F(FwImageTest, BlankFlashSaysSo) {
  erase_all();
  FwImageInfo info;
  const char* why = "";
  EXPECT_EQ(check(&info, &why), Status::kCorrupt);
  EXPECT_STREQ(why, "blank flash");
}

TEST_F(FwImageTest, RefusesEveryDamage) {
  const std::vector<uint8_t> good = image("app", "2", 5000);
  struct Case {
    size_t at;
    const char* why;
  };
  // A flipped bit in the magic, a header field, the names, the header CRC
  // and the payload: each is caught, with its own reason.
  for (Case c : {Case{0, "bad magic"}, Case{12, "header checksum"}, Case{21, "header checksum"},
                 Case{61, "header checksum"}, Case{64, "payload checksum"},
                 Case{64 + 4999, "payload checksum"}}) {
    std::vector<uint8_t> img = good;
    img[c.at] ^= 0x10;
    flash_image(img);
    FwImageInfo info;
    const char* why = "";
    EXPECT_EQ(check(&info, &why), Status::kCorrupt) << c.at;
    EXPECT_NE(std::string(why).find(c.why), std::string::npos) << c.at << ": " << why;
  }
}

TEST_F(FwImageTest, RefusesATruncatedWrite) {
  std::vector<uint8_t> img = image("app", "2", 5000);
  img.resize(3000);  // a flash cut off half-way: the rest is still erased
  flash_image(img);
  FwImageInfo info;
  const char* why = "";
  EXPECT_EQ(check(&info, &why), Status::kCorrupt);
  EXPECT_NE(std::string(why).find("payload checksum"), std::string::npos) << why;
}

TEST_F(FwImageTest, RefusesAPayloadLargerThanTheSlot) {
  flash_image(image("app", "2", 5000));
  FwImageInfo info;
  const char* why = "";
  EXPECT_EQ(check(&info, &why, 4096), Status::kCorrupt);
  EXPECT_NE(std::string(why).find("size"), std::string::npos) << why;
}

TEST_F(FwImageTest, RefusesBadNames) {
  uint8_t h[kFwHeaderSize];
  uint8_t p[1] = {0};
  EXPECT_EQ(fw_image_header("", "1", 1, 0, ConstByteSpan(p, 1), ByteSpan(h, sizeof(h))),
            Status::kInvalidArg);
  EXPECT_EQ(fw_image_header("a_name_longer_than_20_chars", "1", 1, 0, ConstByteSpan(p, 1),
                            ByteSpan(h, sizeof(h))),
            Status::kInvalidArg);
  EXPECT_EQ(fw_image_header("app", "1", 1, 0, ConstByteSpan(p, 1), ByteSpan(h, 63)),
            Status::kInvalidArg);
}

}  // namespace
}  // namespace mos::sim

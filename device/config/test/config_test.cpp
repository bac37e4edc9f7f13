#include "mos/config.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "../../fs/test/fault_flash.h"
#include "mos_config.h"  // generated from mos_core.yml + test/app.yml

namespace mos {
namespace {

const uint8_t kMac[6] = {0x5C, 0xCF, 0x7F, 0x12, 0x34, 0x56};

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(fs_.init(flash_, 0, flash_.size(), Span<FsSector>(sec_, 8)), Status::kOk);
    ASSERT_EQ(fs_.format(), Status::kOk);
    boot();
  }
  void boot() {
    ASSERT_EQ(cfg_.init(kMosConfigSchema, &cur_, &base_, Span<char>(work_, sizeof(work_)), &fs_,
                        ConstByteSpan(kMac, 6)),
              Status::kOk);
    ASSERT_EQ(cfg_.load(), Status::kOk);
  }
  void put(const char* name, std::string_view text) { ASSERT_EQ(fs_.write(name, as_bytes(text)), Status::kOk); }
  std::string file(const char* name) {
    uint32_t size = 0;
    if (fs_.stat(name, &size) != Status::kOk) return "<missing>";
    std::string s(size, '\0');
    size_t n = 0;
    EXPECT_EQ(fs_.read(name, 0, ByteSpan(reinterpret_cast<uint8_t*>(s.data()), size), &n), Status::kOk);
    return s;
  }
  std::string get(std::string_view key) {
    char buf[4096];
    json::Writer w(buf);
    Status s = cfg_.get(key, w);
    if (s != Status::kOk) return std::string("<") + to_string(s) + ">";
    return std::string(w.view());
  }

  test::FaultFlash flash_{8 * 4096, 4096};
  FsSector sec_[8];
  Fs fs_;
  MosConfig cur_, base_;
  char work_[2048];
  Config cfg_;
};

TEST_F(ConfigTest, DefaultsWithMacAndAppOverrides) {
  EXPECT_STREQ(cur_.device.id, "esp8266_123456");
  EXPECT_STREQ(cur_.wifi.ap.ssid, "Mongoose_123456");
  EXPECT_STREQ(cur_.app.led.name, "led_56");
  EXPECT_STREQ(cur_.mqtt.pub, "/response");  // c_mqtt-style override of a core default
  EXPECT_STREQ(cur_.mqtt.sub, "/request");
  EXPECT_EQ(cur_.mqtt.keep_alive, 60);
  EXPECT_TRUE(cur_.mqtt.clean_session);
  EXPECT_FALSE(cur_.mqtt.enable);
  EXPECT_DOUBLE_EQ(cur_.mqtt.reconnect_timeout_max, 60.0);
  EXPECT_STREQ(cur_.app.greeting, "hi \"there\"");
  EXPECT_EQ(sizeof(cur_.app.greeting), 17u);  // max_len 16 + NUL
  EXPECT_EQ(cur_.debug.level, 2);
  EXPECT_STREQ(cfg_.get_string("device.id"), "esp8266_123456");
  int32_t ka = 0;
  EXPECT_TRUE(cfg_.get_int("mqtt.keep_alive", &ka));
  EXPECT_EQ(ka, 60);
  EXPECT_FALSE(cfg_.get_int("mqtt.server", &ka));
}

TEST(ConfigMac, FillsFromTheEnd) {
  char s[] = "id_??_x_????";
  config_fill_mac(Span<char>(s, sizeof(s)), "5CCF7F123456");
  EXPECT_STREQ(s, "id_12_x_3456");  // one run of digits across the groups
  char t[] = "??????????????";  // more ? than digits: the leading ones stay
  config_fill_mac(Span<char>(t, sizeof(t)), "5CCF7F123456");
  EXPECT_STREQ(t, "??5CCF7F123456");
}

TEST_F(ConfigTest, LevelsMergeInOrder) {
  put("conf0.json", "{\"mqtt\":{\"server\":\"ignored:1\"}}");  // conf0 is the schema, not a file
  put("conf1.json", "{\"mqtt\":{\"server\":\"vendor1:1883\",\"keep_alive\":10}}");
  put("conf5.json", "{mqtt:{server:\"vendor5:1883\"}, debug:{level:3}}");
  put("conf9.json", "{\"mqtt\":{\"server\":\"user:8883\"}}");
  boot();
  EXPECT_STREQ(cur_.mqtt.server, "user:8883");
  EXPECT_EQ(cur_.mqtt.keep_alive, 10);
  EXPECT_EQ(cur_.debug.level, 3);
  EXPECT_STREQ(base_.mqtt.server, "vendor5:1883");
  EXPECT_EQ(std::string(cfg_.error()), "");
}

TEST_F(ConfigTest, SaveWritesExactlyTheUserDiff) {
  put("conf1.json", "{\"mqtt\":{\"server\":\"vendor:1883\"}}");
  boot();
  ASSERT_EQ(cfg_.set("{wifi: {sta: {enable: true, ssid: \"Home\", pass: \"se\\\"cret\"}},"
                     " mqtt: {server: \"vendor:1883\"}, app: {ratio: 0.25}}"),
            Status::kOk)
      << cfg_.error();
  ASSERT_EQ(cfg_.save(), Status::kOk) << cfg_.error();
  // mqtt.server equals the vendor level, so it is no user change.
  EXPECT_EQ(file("conf9.json"),
            "{\"wifi\":{\"sta\":{\"enable\":true,\"ssid\":\"Home\",\"pass\":\"se\\\"cret\"}},\"app\":{\"ratio\":0.25}}");
  // Setting a value back to its default removes it from the diff.
  ASSERT_EQ(cfg_.set("{\"app\":{\"ratio\":0.5}}"), Status::kOk);
  ASSERT_EQ(cfg_.save(), Status::kOk);
  EXPECT_EQ(file("conf9.json"), "{\"wifi\":{\"sta\":{\"enable\":true,\"ssid\":\"Home\",\"pass\":\"se\\\"cret\"}}}");
  ASSERT_EQ(cfg_.set("{\"wifi\":{\"sta\":{\"enable\":false,\"ssid\":\"\",\"pass\":\"\"}}}"), Status::kOk);
  ASSERT_EQ(cfg_.save(), Status::kOk);
  EXPECT_EQ(file("conf9.json"), "{}");
}

TEST_F(ConfigTest, ReloadAfterSave) {
  ASSERT_EQ(cfg_.set("{\"mqtt\":{\"server\":\"a1b2-ats.iot.eu-west-1.amazonaws.com:8883\",\"enable\":true,"
                     "\"ssl_cert\":\"aws-esp8266_123456.crt.pem\"},\"device\":{\"id\":\"kitchen\"},"
                     "\"app\":{\"greeting\":\"gr\\u00fc\\u00df dich\",\"button_pin\":-4}}"),
            Status::kOk)
      << cfg_.error();
  ASSERT_EQ(cfg_.save(), Status::kOk);
  MosConfig before = cur_;
  std::memset(&cur_, 0, sizeof(cur_));
  boot();
  EXPECT_STREQ(cur_.mqtt.server, "a1b2-ats.iot.eu-west-1.amazonaws.com:8883");
  EXPECT_TRUE(cur_.mqtt.enable);
  EXPECT_STREQ(cur_.device.id, "kitchen");
  EXPECT_STREQ(cur_.app.greeting, "gr\xc3\xbc\xc3\x9f dich");
  EXPECT_EQ(cur_.app.button_pin, -4);
  EXPECT_EQ(std::memcmp(&before, &cur_, sizeof(cur_)), 0);
}

TEST_F(ConfigTest, WrongTypesNameTheKeyAndChangeNothing) {
  MosConfig before = cur_;
  struct Case {
    const char* patch;
    Status status;
    const char* error;
  } cases[] = {
      {"{\"wifi\":{\"sta\":{\"ssid\":\"ok\"}},\"mqtt\":{\"keep_alive\":\"60\"}}", Status::kInvalidArg,
       "mqtt.keep_alive: expected an integer, got a string"},
      {"{\"mqtt\":{\"keep_alive\":1.5}}", Status::kInvalidArg,
       "mqtt.keep_alive: expected an integer, got a number with a fraction or exponent"},
      {"{\"mqtt\":{\"keep_alive\":2147483648}}", Status::kInvalidArg, "mqtt.keep_alive: integer out of range"},
      {"{\"mqtt\":5}", Status::kInvalidArg, "mqtt: expected an object, got a number"},
      {"{\"mqtt\":{\"enable\":1}}", Status::kInvalidArg, "mqtt.enable: expected true or false, got a number"},
      {"{\"mqtt\":{\"server\":null}}", Status::kInvalidArg, "mqtt.server: expected a string, got null"},
      {"{\"app\":{\"ratio\":\"x\"}}", Status::kInvalidArg, "app.ratio: expected a number, got a string"},
      {"{\"app\":{\"greeting\":\"12345678901234567\"}}", Status::kNoSpace,
       "app.greeting: longer than 16 characters"},
      {"{\"device\":{\"id\":\"a\\u0000b\"}}", Status::kInvalidArg, "device.id: not a valid string"},
      {"[1]", Status::kInvalidArg, "config: expected an object, got an array"},
      {"{\"mqtt\":{\"server\":", Status::kMalformed, nullptr},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(cfg_.set(c.patch), c.status) << c.patch;
    if (c.error) {
      EXPECT_EQ(std::string(cfg_.error()), c.error) << c.patch;
    }
    EXPECT_EQ(std::memcmp(&before, &cur_, sizeof(cur_)), 0) << c.patch;
  }
  // The longest string that fits is fine.
  EXPECT_EQ(cfg_.set("{\"app\":{\"greeting\":\"1234567890123456\"}}"), Status::kOk);
  EXPECT_STREQ(cur_.app.greeting, "1234567890123456");
}

TEST_F(ConfigTest, UnknownKeysAreNotFound) {
  EXPECT_EQ(cfg_.set("{\"mqtt\":{\"nope\":1}}"), Status::kNotFound);
  EXPECT_EQ(std::string(cfg_.error()), "mqtt.nope: no such key; see Config.Get for the keys there are");
  EXPECT_EQ(cfg_.set("{\"nope\":{}}"), Status::kNotFound);
  EXPECT_EQ(cfg_.set("{\"mqtt.server\":\"x\"}"), Status::kNotFound);  // dotted keys are not paths
  EXPECT_EQ(get("nope"), "<not found>");
  EXPECT_EQ(get("mqtt.nope"), "<not found>");
}

TEST_F(ConfigTest, GetLeafSubtreeAndAll) {
  EXPECT_EQ(get("mqtt.pub"), "\"/response\"");
  EXPECT_EQ(get("mqtt.keep_alive"), "60");
  EXPECT_EQ(get("wifi.sta"), "{\"enable\":false,\"ssid\":\"\",\"pass\":\"\"}");
  EXPECT_EQ(get("app.led"), "{\"on\":true,\"name\":\"led_56\"}");
  std::string all = get("");
  EXPECT_EQ(all.rfind("{\"device\":{\"id\":\"esp8266_123456\",\"password\":\"\"},\"wifi\":{", 0), 0u) << all;
  EXPECT_NE(all.find("\"debug\":{\"level\":2}"), std::string::npos);
  // The whole config read back is a valid patch that changes nothing.
  MosConfig before = cur_;
  EXPECT_EQ(cfg_.set(all), Status::kOk) << cfg_.error();
  EXPECT_EQ(std::memcmp(&before, &cur_, sizeof(cur_)), 0);
  char small[8];
  json::Writer w(small);
  EXPECT_EQ(cfg_.get("", w), Status::kNoSpace);
}

TEST_F(ConfigTest, DamagedFilesDoNotStopTheBoot) {
  put("conf2.json", "{\"mqtt\":{\"server\":\"v:1\"");  // truncated
  put("conf9.json", "{\"mqtt\":{\"keep_alive\":\"x\",\"user\":\"bob\",\"zzz\":1},\"debug\":{\"level\":1}}");
  boot();
  EXPECT_STREQ(cur_.mqtt.server, "");
  EXPECT_EQ(cur_.mqtt.keep_alive, 60);
  EXPECT_STREQ(cur_.mqtt.user, "bob");
  EXPECT_EQ(cur_.debug.level, 1);
  EXPECT_NE(std::string(cfg_.error()), "");
}

TEST_F(ConfigTest, FileLargerThanTheBufferIsSkipped) {
  std::string big = "{\"mqtt\":{\"user\":\"" + std::string(3000, 'u') + "\"}}";
  put("conf9.json", big);
  boot();
  EXPECT_STREQ(cur_.mqtt.user, "");
  EXPECT_NE(std::string(cfg_.error()).find("conf9.json"), std::string::npos);
}

TEST(ConfigInit, NeedsAWorkBuffer) {
  MosConfig a, b;
  char work[64];
  Config c;
  EXPECT_EQ(c.init(kMosConfigSchema, &a, &b, Span<char>(work, sizeof(work)), nullptr, ConstByteSpan()),
            Status::kInvalidArg);
  char work2[1024];
  ASSERT_EQ(c.init(kMosConfigSchema, &a, &b, Span<char>(work2, sizeof(work2)), nullptr, ConstByteSpan()),
            Status::kOk);
  EXPECT_EQ(c.load(), Status::kOk);
  EXPECT_STREQ(a.device.id, "esp8266_000000");
  EXPECT_EQ(c.save(), Status::kInvalidArg);
}

}  // namespace
}  // namespace mos

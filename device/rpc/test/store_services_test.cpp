#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "../../fs/test/fault_flash.h"
#include "mos/rpc_store.h"
#include "mos_config.h"  // generated from the core schema
#include "rpc_fakes.h"

namespace mos::rpc {
namespace {

using testing::FakeChannel;
using testing::FakeClock;
using testing::FakeSysPort;

const uint8_t kMac[6] = {0x5C, 0xCF, 0x7F, 0xAA, 0xBB, 0xCC};

std::string b64(std::string_view s) {
  std::string out((s.size() + 2) / 3 * 4, '\0');
  size_t n = base64_encode(as_bytes(s), Span<char>(out.data(), out.size()));
  out.resize(n);
  return out;
}

class StoreServicesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(fs.init(flash, 0, flash.size(), Span<FsSector>(sec, 16)), Status::kOk);
    ASSERT_EQ(fs.format(), Status::kOk);
    ASSERT_EQ(cfg.init(kMosConfigSchema, &cur, &base, Span<char>(work, sizeof(work)), &fs, ConstByteSpan(kMac, 6)),
              Status::kOk);
    ASSERT_EQ(cfg.load(), Status::kOk);
    d.set_device_id("esp8266_AABBCC");
    ASSERT_EQ(config_service.register_handlers(), Status::kOk);
    ASSERT_EQ(fs_service.register_handlers(), Status::kOk);
  }
  // Sends one request; returns the reply's "result" or "error" part.
  std::string call(std::string_view method, std::string_view params = "") {
    std::string req = "{\"id\":1,\"method\":\"" + std::string(method) + "\"";
    if (!params.empty()) req += ",\"params\":" + std::string(params);
    req += "}";
    ch.sent.clear();
    d.handle_frame(ch, req, false);
    if (ch.sent.size() != 1) return "<" + std::to_string(ch.sent.size()) + " frames>";
    const std::string& r = ch.sent[0].json;
    if (r == "{\"id\":1,\"src\":\"esp8266_AABBCC\"}") return "";  // no result: a void method
    const std::string head = "{\"id\":1,\"src\":\"esp8266_AABBCC\",";
    if (r.rfind(head, 0) != 0 || r.back() != '}') return "<bad envelope: " + r + ">";
    return r.substr(head.size(), r.size() - head.size() - 1);
  }
  std::string file(const char* name) {
    uint32_t size = 0;
    if (fs.stat(name, &size) != Status::kOk) return "<missing>";
    std::string s(size, '\0');
    size_t n = 0;
    EXPECT_EQ(fs.read(name, 0, ByteSpan(reinterpret_cast<uint8_t*>(s.data()), size), &n), Status::kOk);
    return s;
  }

  test::FaultFlash flash{16 * 4096, 4096};
  FsSector sec[16];
  Fs fs;
  MosConfig cur, base;
  char work[2048];
  Config cfg;
  FakeClock clock;
  EventLoop loop{clock};
  FakeSysPort port;
  Dispatcher d;
  ConfigService config_service{d, cfg, &port, loop};
  FsService fs_service{d, fs};
  FakeChannel ch;
};

TEST(Base64, Rfc4648Vectors) {
  // RFC 4648 §10 test vectors.
  const char* plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
  const char* enc[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
  for (int i = 0; i < 7; ++i) {
    EXPECT_EQ(b64(plain[i]), enc[i]);
    uint8_t out[16];
    size_t n = 0;
    ASSERT_TRUE(base64_decode(enc[i], ByteSpan(out, sizeof(out)), &n)) << enc[i];
    EXPECT_EQ(std::string(reinterpret_cast<char*>(out), n), plain[i]);
  }
  uint8_t out[16];
  size_t n = 0;
  EXPECT_TRUE(base64_decode("Zm9vYg", ByteSpan(out, sizeof(out)), &n));  // unpadded
  EXPECT_EQ(n, 4u);
  EXPECT_FALSE(base64_decode("Zm9v!", ByteSpan(out, sizeof(out)), &n));
  EXPECT_FALSE(base64_decode("Z", ByteSpan(out, sizeof(out)), &n));
  EXPECT_FALSE(base64_decode("Zm9=v", ByteSpan(out, sizeof(out)), &n));
  EXPECT_FALSE(base64_decode("Zh==", ByteSpan(out, sizeof(out)), &n));  // non-canonical bits
  EXPECT_FALSE(base64_decode("Zm9vYmFy", ByteSpan(out, 5), &n));        // too small
  char small[3];
  EXPECT_EQ(base64_encode(as_bytes("foo"), Span<char>(small, sizeof(small))), 0u);
}

TEST_F(StoreServicesTest, ConfigGet) {
  EXPECT_EQ(call("Config.Get", R"({"key":"mqtt.keep_alive"})"), R"("result":60)");
  EXPECT_EQ(call("Config.Get", R"({"key":"device.id"})"), R"("result":"esp8266_AABBCC")");
  EXPECT_EQ(call("Config.Get", R"({"key":"wifi.sta"})"),
            R"("result":{"enable":false,"ssid":"","pass":""})");
  std::string all = call("Config.Get");
  EXPECT_EQ(all.rfind(R"("result":{"device":{"id":"esp8266_AABBCC")", 0), 0u) << all;
  EXPECT_EQ(call("Config.Get", "{}"), all);
  EXPECT_EQ(call("Config.Get", R"({"key":"wifi.nope"})"),
            R"("error":{"code":404,"message":"unknown config key 'wifi.nope'; Config.Get without a key lists them"})");
  EXPECT_EQ(call("Config.Get", R"({"key":5})").substr(0, 20), R"("error":{"code":400,)");
  EXPECT_EQ(call("Config.Get", "[1]").substr(0, 20), R"("error":{"code":400,)");
}

TEST_F(StoreServicesTest, ConfigSetThenSaveWithReboot) {
  // What `mos wifi SSID PASS` sends, relaxed keys included.
  EXPECT_EQ(call("Config.Set", R"({config: {wifi: {sta: {enable: true, ssid: "Home", pass: "pw"}}}})"),
            R"("result":{"saved":false})");
  EXPECT_STREQ(cur.wifi.sta.ssid, "Home");
  EXPECT_EQ(file("conf9.json"), "<missing>");
  EXPECT_EQ(call("Config.Save", R"({"reboot":true})"), R"("result":{"saved":true})");
  EXPECT_EQ(file("conf9.json"), R"({"wifi":{"sta":{"enable":true,"ssid":"Home","pass":"pw"}}})");
  EXPECT_EQ(port.reboots, 0);  // the reply goes out first
  clock.now += ConfigService::kRebootDelayMs;
  loop.run_once(0);
  EXPECT_EQ(port.reboots, 1);
}

TEST_F(StoreServicesTest, ConfigSetWithSave) {
  EXPECT_EQ(call("Config.Set", R"({"config":{"mqtt":{"server":"h:8883","enable":true}},"save":true})"),
            R"("result":{"saved":true})");
  EXPECT_EQ(file("conf9.json"), R"({"mqtt":{"enable":true,"server":"h:8883"}})");
  EXPECT_EQ(port.reboots, 0);
}

TEST_F(StoreServicesTest, ConfigSetErrors) {
  EXPECT_EQ(call("Config.Set", R"({"config":{"mqtt":{"keep_alive":"x"}}})"),
            R"("error":{"code":400,"message":"mqtt.keep_alive: expected an integer, got a string"})");
  EXPECT_EQ(call("Config.Set", R"({"config":{"mqtt":{"bogus":1}}})"),
            R"("error":{"code":404,"message":"mqtt.bogus: no such key; see Config.Get for the keys there are"})");
  EXPECT_EQ(call("Config.Set", R"({"config":5})").substr(0, 20), R"("error":{"code":400,)");
  EXPECT_EQ(call("Config.Set").substr(0, 20), R"("error":{"code":400,)");
  EXPECT_EQ(call("Config.Set", R"({"config":{},"save":"yes"})"),
            R"("error":{"code":400,"message":"save must be true or false"})");
  EXPECT_EQ(call("Config.Save", R"({"reboot":1})"),
            R"("error":{"code":400,"message":"reboot must be true or false"})");
}

TEST_F(StoreServicesTest, FsPutGetListRemove) {
  EXPECT_EQ(call("FS.List"), R"("result":[])");
  EXPECT_EQ(call("FS.Put", R"({"filename":"ca.pem","data":")" + b64("-----BEGIN") + R"(","append":false})"),
            "");
  EXPECT_EQ(call("FS.Put", R"({"filename":"ca.pem","data":")" + b64(" CERT-----\n") + R"(","append":true})"),
            "");
  EXPECT_EQ(file("ca.pem"), "-----BEGIN CERT-----\n");
  EXPECT_EQ(call("FS.List"), R"("result":["ca.pem"])");
  EXPECT_EQ(call("FS.ListExt"), R"("result":[{"name":"ca.pem","size":21}])");
  EXPECT_EQ(call("FS.Get", R"({"filename":"ca.pem"})"),
            R"("result":{"data":")" + b64("-----BEGIN CERT-----\n") + R"(","left":0})");
  EXPECT_EQ(call("FS.Get", R"({"filename":"/ca.pem","offset":5,"len":5})"),
            R"("result":{"data":")" + b64("BEGIN") + R"(","left":11})");
  EXPECT_EQ(call("FS.Get", R"({"filename":"ca.pem","offset":99})"), R"("result":{"data":"","left":0})");
  EXPECT_EQ(call("FS.Remove", R"({"filename":"ca.pem"})"), "");
  EXPECT_EQ(call("FS.List"), R"("result":[])");
}

TEST_F(StoreServicesTest, FsGetChunksABigFile) {
  std::string big;
  for (int i = 0; i < 9000; ++i) big += static_cast<char>('A' + (i * 7) % 26);
  ASSERT_EQ(fs.write("big.bin", as_bytes(big)), Status::kOk);
  std::string got;
  for (int guard = 0; guard < 10; ++guard) {
    std::string r = call("FS.Get", R"({"filename":"big.bin","offset":)" + std::to_string(got.size()) + "}");
    size_t a = r.find("\"data\":\"") + 8, b = r.find('"', a);
    ASSERT_NE(b, std::string::npos) << r;
    uint8_t buf[4096];
    size_t n = 0;
    ASSERT_TRUE(base64_decode(r.substr(a, b - a), ByteSpan(buf, sizeof(buf)), &n));
    EXPECT_LE(n, FsService::kMaxGetLen);
    got.append(reinterpret_cast<char*>(buf), n);
    if (r.find("\"left\":0}") != std::string::npos) break;
  }
  EXPECT_EQ(got, big);
}

TEST_F(StoreServicesTest, FsErrors) {
  EXPECT_EQ(call("FS.Get", R"({"filename":"nope"})"),
            R"("error":{"code":404,"message":"no file 'nope'; `mos ls` shows the files"})");
  EXPECT_EQ(call("FS.Remove", R"({"filename":"nope"})"),
            R"("error":{"code":404,"message":"no file 'nope'; `mos ls` shows the files"})");
  EXPECT_EQ(call("FS.Get", "{}").substr(0, 20), R"("error":{"code":400,)");
  EXPECT_EQ(call("FS.Get", R"({"filename":7})").substr(0, 20), R"("error":{"code":400,)");
  EXPECT_EQ(call("FS.Put", R"({"filename":"a","data":"!!"})"),
            R"x("error":{"code":400,"message":"data is not valid base64 (RFC 4648: A-Z a-z 0-9 + / and = padding)"})x");
  EXPECT_EQ(call("FS.Put", R"({"filename":"a"})").substr(0, 20), R"("error":{"code":400,)");
  EXPECT_EQ(call("FS.Put", R"({"filename":"a","data":"","append":3})"),
            R"("error":{"code":400,"message":"append must be true or false"})");
  EXPECT_EQ(call("FS.Get", R"({"filename":"a","len":-1})").substr(0, 20), R"("error":{"code":400,)");
  std::string longname(MOS_FS_MAX_NAME + 1, 'n');
  EXPECT_EQ(call("FS.Put", R"({"filename":")" + longname + R"(","data":""})").substr(0, 20), R"("error":{"code":400,)");
  EXPECT_EQ(call("FS.List"), R"("result":[])");
}

TEST_F(StoreServicesTest, FsPutWhenFullSaysWhatToDo) {
  std::string chunk(2000, 'x');
  std::string data = b64(chunk);
  std::string r;
  for (int i = 0; i < 40; ++i) {
    r = call("FS.Put", R"({"filename":"f)" + std::to_string(i) + R"(","data":")" + data + "\"}");
    if (!r.empty()) break;
  }
  EXPECT_EQ(r.rfind(R"("error":{"code":500,"message":"FS.Put: not enough room in the file store)", 0), 0u) << r;
  EXPECT_NE(r.find("remove files with FS.Remove"), std::string::npos);
}

}  // namespace
}  // namespace mos::rpc

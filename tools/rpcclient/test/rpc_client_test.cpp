// The host RPC client against a scripted fake board on a real pseudo-terminal
// (the same kind of port a virtual board offers), plus the frame codec and
// base64 with published vectors.
#include "mos/rpcclient/rpc_client.h"

#include "mos/rpcclient/relaxed_json.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <thread>

namespace mos::rpcclient {
namespace {

using namespace std::chrono_literals;
using Kind = StreamItem::Kind;

TEST(Crc32, IeeeCheckValue) {
  // The standard check value of CRC-32/ISO-HDLC over "123456789".
  EXPECT_EQ(crc32_ieee("123456789"), 0xCBF43926u);
  EXPECT_EQ(crc32_ieee(""), 0u);
}

TEST(Frame, EncodeWithAndWithoutCrc) {
  EXPECT_EQ(encode_frame("{\"id\":1}", false), "\"\"\"{\"id\":1}\"\"\"\n");
  char want[64];
  std::snprintf(want, sizeof want, "\"\"\"{\"id\":1}%08x\"\"\"\n",
                static_cast<unsigned>(crc32_ieee("{\"id\":1}")));
  EXPECT_EQ(encode_frame("{\"id\":1}", true), want);
}

std::vector<StreamItem> feed_bytewise(std::string_view s) {
  FrameReader r;
  std::vector<StreamItem> out;
  for (char c : s) r.feed(std::string_view(&c, 1), &out);
  r.flush(&out);
  return out;
}

TEST(FrameReader, SplitsConsoleLinesAndFrames) {
  std::string s = "boot banner\r\n[00:01] wifi: connecting\n" + encode_frame("{\"id\":7}", true) +
                  encode_frame("{\"id\":8}", false) + "\"\"\"\x04\"\"\"\n" + "tail";
  auto items = feed_bytewise(s);
  ASSERT_EQ(items.size(), 5u);
  EXPECT_EQ(items[0].kind, Kind::kConsoleLine);
  EXPECT_EQ(items[0].text, "boot banner");
  EXPECT_EQ(items[1].text, "[00:01] wifi: connecting");
  EXPECT_EQ(items[2].kind, Kind::kFrame);
  EXPECT_EQ(items[2].text, "{\"id\":7}");
  EXPECT_TRUE(items[2].had_crc);
  EXPECT_EQ(items[3].kind, Kind::kFrame);
  EXPECT_EQ(items[3].text, "{\"id\":8}");
  EXPECT_FALSE(items[3].had_crc);
  EXPECT_EQ(items[4].kind, Kind::kConsoleLine);
  EXPECT_EQ(items[4].text, "tail");
}

TEST(FrameReader, BadCrcIsNotAFrame) {
  auto items = feed_bytewise("\"\"\"{\"id\":7}00000000\"\"\"\n");
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].kind, Kind::kBadFrame);
}

TEST(FrameReader, DelimitersInLogTextAndLongNoise) {
  FrameReader r;
  std::vector<StreamItem> out;
  r.feed("say \"\"\"hi\n" + encode_frame("{}", false), &out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].kind, Kind::kConsoleLine);
  EXPECT_EQ(out[0].text, "say \"\"\"hi");
  EXPECT_EQ(out[1].kind, Kind::kFrame);
  out.clear();
  r.feed(std::string(FrameReader::kMaxLine + 10, 'x') + "\nnext\n", &out);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].kind, Kind::kConsoleLine);
  EXPECT_EQ(out[2].text, "next");
}

TEST(Base64, Rfc4648Vectors) {
  // RFC 4648 §10.
  const char* plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
  const char* coded[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
  for (int i = 0; i < 7; ++i) {
    EXPECT_EQ(base64_encode(plain[i]), coded[i]);
    EXPECT_EQ(base64_decode(coded[i]), plain[i]);
  }
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  EXPECT_EQ(base64_decode(base64_encode(all)), all);
  EXPECT_THROW(base64_decode("Zm9v*"), std::runtime_error);
}

// A fake board on the master side of a pty. `script` gets each request frame
// (JSON) and returns the bytes to write back.
class FakeBoard {
 public:
  explicit FakeBoard(std::function<std::string(const Json&)> script) : script_(std::move(script)) {
    char name[128];
    EXPECT_EQ(::openpty(&master_, &slave_, name, nullptr, nullptr), 0);
    path_ = name;
    thread_ = std::thread([this] { run(); });
  }
  ~FakeBoard() {
    stop_ = true;
    thread_.join();
    ::close(master_);
    ::close(slave_);
  }
  const std::string& path() const { return path_; }
  std::vector<Json> requests;
  std::vector<bool> request_crc;

 private:
  void run() {
    FrameReader r;
    while (!stop_) {
      pollfd p{master_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      char buf[4096];
      ssize_t n = ::read(master_, buf, sizeof buf);
      if (n <= 0) continue;
      std::vector<StreamItem> items;
      r.feed(std::string_view(buf, static_cast<size_t>(n)), &items);
      for (auto& it : items) {
        if (it.kind != Kind::kFrame) continue;
        Json req = Json::parse(it.text);
        requests.push_back(req);
        request_crc.push_back(it.had_crc);
        std::string out = script_(req);
        if (!out.empty()) {
          EXPECT_EQ(::write(master_, out.data(), out.size()), static_cast<ssize_t>(out.size()));
        }
      }
    }
  }
  std::function<std::string(const Json&)> script_;
  int master_ = -1, slave_ = -1;
  std::string path_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
};

TEST(RpcClient, FindsTheReplyAmongLogLinesAndOtherFrames) {
  FakeBoard board([](const Json& req) {
    Json other = {{"id", req["id"].get<int64_t>() + 1000}, {"result", "not yours"}};
    Json mine = {{"id", req["id"]}, {"src", "esp8266_ABCDEF"}, {"result", {{"app", "c_mqtt"}}}};
    std::string bad = encode_frame(mine.dump(), true);
    bad[bad.size() - 6] ^= 1;  // corrupt a CRC digit: must be skipped
    return "[05:00:00.001] mqtt: connecting\n" + encode_frame(other.dump(), true) + bad +
           "[05:00:00.002] more log\r\n" + encode_frame(mine.dump(), true) + "after\n";
  });
  SerialPort port(board.path());
  std::vector<std::string> log;
  RpcClient client(port, {2000ms, true, [&](std::string_view l) { log.emplace_back(l); }});
  Json r = client.call("Sys.GetInfo");
  EXPECT_EQ(r, Json({{"app", "c_mqtt"}}));
  ASSERT_EQ(board.requests.size(), 1u);
  EXPECT_EQ(board.requests[0]["method"], "Sys.GetInfo");
  EXPECT_FALSE(board.requests[0].contains("args"));
  EXPECT_TRUE(board.request_crc[0]);
  ASSERT_GE(log.size(), 2u);
  EXPECT_EQ(log[0], "[05:00:00.001] mqtt: connecting");
  EXPECT_EQ(log[1], "[05:00:00.002] more log");
}

TEST(RpcClient, ArgsAndErrorReply) {
  FakeBoard board([](const Json& req) {
    Json reply = {{"id", req["id"]},
                  {"error", {{"code", 404}, {"message", "no such file: x.pem"}}}};
    return encode_frame(reply.dump(), false);
  });
  SerialPort port(board.path());
  RpcClient client(port, {2000ms, false, nullptr});
  try {
    client.call("FS.Remove", {{"filename", "x.pem"}});
    FAIL() << "expected RpcError";
  } catch (const RpcError& e) {
    EXPECT_EQ(e.code, 404);
    EXPECT_EQ(e.message, "no such file: x.pem");
    EXPECT_NE(std::string(e.what()).find("FS.Remove"), std::string::npos);
    // What the device said, as it said it (main prints "Error: " + what()).
    EXPECT_EQ(std::string(e.what()).rfind("device: no such file: x.pem (code 404", 0), 0u) << e.what();
  }
  ASSERT_EQ(board.requests.size(), 1u);
  EXPECT_EQ(board.requests[0]["args"]["filename"], "x.pem");
  EXPECT_FALSE(board.request_crc[0]);
}

TEST(RpcClient, TimeoutSaysWhatToDo) {
  FakeBoard board([](const Json&) { return std::string("just a log line\n"); });
  SerialPort port(board.path());
  RpcClient client(port, {300ms, true, nullptr});
  try {
    client.call("RPC.Ping");
    FAIL() << "expected RpcTimeout";
  } catch (const RpcTimeout& e) {
    std::string w = e.what();
    EXPECT_NE(w.find("no answer to RPC.Ping from " + board.path() + " in 0.3 s"), std::string::npos) << w;
    EXPECT_NE(w.find("mos sim list"), std::string::npos);
  }
}

TEST(RelaxedJson, BareKeysAreQuotedAndTheRestKept) {
  std::string out, why;
  ASSERT_TRUE(relaxed_to_strict("{pin:2,value:0}", &out, &why)) << why;
  EXPECT_EQ(out, R"({"pin":2,"value":0})");
  ASSERT_TRUE(relaxed_to_strict(R"({ gpio : { $p_1: true, "s": "a:b \" x: y" }, n: null, l: [false] })", &out, &why));
  EXPECT_EQ(out, R"({ "gpio" : { "$p_1": true, "s": "a:b \" x: y" }, "n": null, "l": [false] })");
  EXPECT_TRUE(Json::parse(out).is_object());
  ASSERT_TRUE(relaxed_to_strict(R"({"strict":1})", &out, &why));
  EXPECT_EQ(out, R"({"strict":1})");
  ASSERT_TRUE(relaxed_to_strict("[1, 2]", &out, &why));
  EXPECT_EQ(out, "[1, 2]");
  // Deeper than the device reads: converted all the same (the device answers).
  std::string deep, want;
  for (int i = 0; i < 40; ++i) deep += "{a:", want += R"({"a":)";
  deep += "1" + std::string(40, '}');
  want += "1" + std::string(40, '}');
  ASSERT_TRUE(relaxed_to_strict(deep, &out, &why)) << why;
  EXPECT_EQ(out, want);
}

TEST(RelaxedJson, WhatTheDeviceRejectsIsRejected) {
  std::string out, why;
  for (const char* bad : {"{pin:}", "{'pin':1}", "{pin:2,}", "{1pin:2}", "{pin:2", "pin:2", ""}) {
    EXPECT_FALSE(relaxed_to_strict(bad, &out, &why)) << bad;
    EXPECT_FALSE(why.empty()) << bad;
  }
}

TEST(SerialPort, MissingPathIsAClearError) {
  try {
    SerialPort p("/dev/pts/does-not-exist");
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/dev/pts/does-not-exist"), std::string::npos);
  }
}

}  // namespace
}  // namespace mos::rpcclient

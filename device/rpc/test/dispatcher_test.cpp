#include <gtest/gtest.h>

#include <string>

#include "mos/rpc.h"
#include "mos/rpc_sys.h"
#include "rpc_fakes.h"

namespace mos::rpc {
namespace {

using testing::FakeChannel;
using testing::FakeClock;
using testing::FakeSysPort;
using testing::LogCapture;

class DispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    d.set_device_id("dev1");
    ASSERT_EQ(sys.register_handlers(), Status::kOk);
  }
  std::string call(std::string_view json, bool crc = false) {
    ch.sent.clear();
    d.handle_frame(ch, json, crc);
    if (ch.sent.size() != 1) return "<" + std::to_string(ch.sent.size()) + " frames>";
    return ch.sent[0].json;
  }
  FakeClock clock;
  EventLoop loop{clock};
  FakeSysPort port;
  Dispatcher d;
  SysService sys{d, port, loop};
  FakeChannel ch;
};

TEST_F(DispatcherTest, UnknownMethodIs404) {
  EXPECT_EQ(call(R"({"id":5,"src":"mos","method":"Foo.Bar"})"),
            R"({"id":5,"src":"dev1","dst":"mos","error":{"code":404,)"
            R"("message":"No handler for Foo.Bar; `mos call RPC.List` shows the methods"}})");
}

TEST_F(DispatcherTest, SysGetInfoByteExact) {
  EXPECT_EQ(call(R"({"id":1,"src":"mos","method":"Sys.GetInfo"})"),
            R"({"id":1,"src":"dev1","dst":"mos","result":{"app":"c_mqtt","arch":"sim",)"
            R"("fw_version":"1.0","fw_id":"20261127-000000","mac":"5ECF7F0A1B2C","uptime":42,)"
            R"("ram_size":81920,"ram_free":40000,"ram_min_free":35000,"fs_size":262144,)"
            R"("fs_free":200000,"wifi":{"status":"got ip","ssid":"home","ip":"127.0.0.1",)"
            R"("sta_ip":"127.0.0.1"}}})");
}

TEST_F(DispatcherTest, RpcListAndPing) {
  EXPECT_EQ(call(R"({"id":2,"method":"RPC.List"})"),
            R"({"id":2,"src":"dev1","result":["RPC.List","RPC.Ping","Sys.GetInfo","Sys.Reboot"]})");
  EXPECT_EQ(call(R"({"id":3,"method":"RPC.Ping"})"),
            R"({"id":3,"src":"dev1","result":{"channel_info":"FAKE"}})");
}

TEST_F(DispatcherTest, CrcFlagFollowsRequest) {
  call(R"({"id":1,"method":"RPC.Ping"})", true);
  ASSERT_EQ(ch.sent.size(), 1u);
  EXPECT_TRUE(ch.sent[0].with_crc);
  call(R"({"id":1,"method":"RPC.Ping"})", false);
  ASSERT_EQ(ch.sent.size(), 1u);
  EXPECT_FALSE(ch.sent[0].with_crc);
}

TEST_F(DispatcherTest, RelaxedRequestAndArgsAlias) {
  // What a person types into a console: bare keys, "args" instead of "params".
  EXPECT_EQ(call(R"({id: 9, src: "me", method: "Sys.Reboot", args: {delay_ms: 5}})"),
            R"({"id":9,"src":"dev1","dst":"me","result":{}})");
  EXPECT_EQ(port.reboots, 0);
  clock.now += 4;
  loop.run_once(0);
  EXPECT_EQ(port.reboots, 0);
  clock.now += 1;
  loop.run_once(0);
  EXPECT_EQ(port.reboots, 1);
}

TEST_F(DispatcherTest, SysRebootDefaultDelay) {
  call(R"({"id":1,"method":"Sys.Reboot"})");
  clock.now += SysService::kDefaultRebootDelayMs - 1;
  loop.run_once(0);
  EXPECT_EQ(port.reboots, 0);
  clock.now += 1;
  loop.run_once(0);
  EXPECT_EQ(port.reboots, 1);
}

TEST_F(DispatcherTest, BadParamsAre400) {
  EXPECT_EQ(call(R"({"id":42,"method":"Sys.Reboot","params":{"delay_ms":"soon"}})"),
            R"({"id":42,"src":"dev1","error":{"code":400,)"
            R"j("message":"delay_ms must be a non-negative integer (milliseconds)"}})j");
  EXPECT_EQ(call(R"({"id":43,"method":"Sys.Reboot","params":{"delay_ms":-1}})"),
            R"({"id":43,"src":"dev1","error":{"code":400,)"
            R"j("message":"delay_ms must be a non-negative integer (milliseconds)"}})j");
  EXPECT_EQ(call(R"({"id":44,"method":"Sys.Reboot","params":[1]})"),
            R"({"id":44,"src":"dev1","error":{"code":400,)"
            R"("message":"params must be an object, e.g. {\"delay_ms\": 500}"}})");
  clock.now += 1000;
  loop.run_once(0);
  EXPECT_EQ(port.reboots, 0);
}

TEST_F(DispatcherTest, MalformedFramesAndResponsesDropped) {
  LogCapture logs;
  EXPECT_EQ(call(R"({"id":1,"result":{}})"), "<0 frames>");  // a response: not for us
  EXPECT_EQ(call("\x01\x02garbage"), "<0 frames>");
  EXPECT_TRUE(logs.contains("frame dropped: malformed JSON"));
  EXPECT_EQ(call(R"({"method":"RPC.Ping",)"), "<0 frames>");  // no id: nobody to answer
  EXPECT_EQ(call(R"({"id":1,"result":{)"), "<0 frames>");     // a broken response
  EXPECT_EQ(call(R"({"id":{"a":1},"method":"RPC.Ping")"), "<0 frames>");  // id unusable
  EXPECT_EQ(d.frames_dropped(), 5u);
}

// Requests the reader rejects are answered when their id can be found, so a
// caller such as `mos call` hears why instead of timing out.
TEST_F(DispatcherTest, RejectedRequestsWithAnIdGetA400) {
  EXPECT_EQ(call(R"({"id":1,"src":"mos","method":"RPC.Ping")"),
            R"({"id":1,"src":"dev1","dst":"mos","error":{"code":400,"message":"bad request: truncated JSON"}})");
  EXPECT_EQ(call(R"({"id":"x","method":"RPC.Ping"})"),
            R"({"id":"x","src":"dev1","error":{"code":400,)"
            R"("message":"id must be an integer, e.g. {\"id\":1,\"method\":\"RPC.List\"}"}})");
  EXPECT_EQ(call(R"({id:1.5,method:"RPC.Ping"})"),
            R"({"id":1.5,"src":"dev1","error":{"code":400,)"
            R"("message":"id must be an integer, e.g. {\"id\":1,\"method\":\"RPC.List\"}"}})");
  EXPECT_EQ(call(R"({"id":2,"method":7})"),
            R"({"id":2,"src":"dev1","error":{"code":400,"message":"bad request: method, src and dst must be strings"}})");
  // Deeper than MOS_JSON_MAX_DEPTH: the id comes after the deep part here,
  // and strings holding brackets and quotes do not confuse the scan.
  std::string deep = R"({"method":"RPC.Ping","args":{"s":"}]\"{",)";
  for (int i = 0; i < MOS_JSON_MAX_DEPTH + 4; ++i) deep += R"("a":{)";
  for (int i = 0; i < MOS_JSON_MAX_DEPTH + 4; ++i) deep += "}";
  deep += R"(},"id":77,"src":"mos"})";
  std::string want = R"({"id":77,"src":"dev1","dst":"mos","error":{"code":400,"message":"request nested deeper than )" +
                     std::to_string(MOS_JSON_MAX_DEPTH) + R"( levels; send flatter args"}})";
  EXPECT_EQ(call(deep, true), want);
  EXPECT_TRUE(ch.sent[0].with_crc);
  // An "id" inside a nested object is not the request's.
  std::string nested_id = R"({"method":"RPC.Ping","args":{"id":5,)";
  for (int i = 0; i < MOS_JSON_MAX_DEPTH + 4; ++i) nested_id += "[";
  EXPECT_EQ(call(nested_id), "<0 frames>");
}

TEST(ScanRequestHead, FindsTopLevelMembersOnly) {
  RequestHead h;
  ASSERT_TRUE(scan_request_head(R"( { "args" : {"id":9,"src":"no"}, id : -3 , "src":"a\"b", "method":"X" )", &h));
  EXPECT_EQ(h.id, "-3");
  EXPECT_EQ(h.src, R"("a\"b")");
  EXPECT_TRUE(h.has_method);
  ASSERT_TRUE(scan_request_head(R"({"id":"unterminated)", &h));
  EXPECT_TRUE(h.id.empty());
  ASSERT_TRUE(scan_request_head(R"({"id":1e999999,"src":5})", &h));
  EXPECT_EQ(h.id, "1e999999");  // a valid JSON number, echoed as it came
  EXPECT_TRUE(h.src.empty());   // not a string
  ASSERT_TRUE(scan_request_head(R"({"id":--1})", &h));
  EXPECT_TRUE(h.id.empty());
  EXPECT_FALSE(scan_request_head("[1]", &h));
  EXPECT_FALSE(scan_request_head("", &h));
}

TEST_F(DispatcherTest, FramesForOtherDevicesIgnored) {
  EXPECT_EQ(call(R"({"id":1,"dst":"other","method":"RPC.Ping"})"), "<0 frames>");
  EXPECT_EQ(call(R"({"id":1,"dst":"dev1","method":"RPC.Ping"})"),
            R"({"id":1,"src":"dev1","result":{"channel_info":"FAKE"}})");
}

TEST_F(DispatcherTest, SrcWithEscapesEchoedAsDst) {
  EXPECT_EQ(call(R"({"id":1,"src":"a\"b","method":"RPC.Ping"})"),
            R"({"id":1,"src":"dev1","dst":"a\"b","result":{"channel_info":"FAKE"}})");
}

void void_handler(Call&, void*) {}
void error_after_result(Call& c, void*) {
  c.result().begin_object().key("partial").int_value(1);
  c.error(500, "disk on fire");
}
void huge_result(Call& c, void*) {
  std::string big(Dispatcher::kMaxReply, 'x');
  c.result().string_value(big);
}
void two_values(Call& c, void*) { c.result().int_value(1).int_value(2); }
void echo_params(Call& c, void*) { c.result().token_value(c.params()); }

Reply g_saved;
void deferring(Call& c, void*) {
  g_saved = c.reply();
  c.defer();
}

TEST_F(DispatcherTest, HandlerOutcomes) {
  ASSERT_EQ(d.add_handler("T.Void", void_handler, nullptr), Status::kOk);
  ASSERT_EQ(d.add_handler("T.Err", error_after_result, nullptr), Status::kOk);
  ASSERT_EQ(d.add_handler("T.Huge", huge_result, nullptr), Status::kOk);
  ASSERT_EQ(d.add_handler("T.Two", two_values, nullptr), Status::kOk);
  ASSERT_EQ(d.add_handler("T.Echo", echo_params, nullptr), Status::kOk);
  EXPECT_EQ(call(R"({"id":1,"method":"T.Void"})"), R"({"id":1,"src":"dev1"})");
  EXPECT_EQ(call(R"({"id":1,"method":"T.Err"})"),
            R"({"id":1,"src":"dev1","error":{"code":500,"message":"disk on fire"}})");
  EXPECT_EQ(call(R"({"id":1,"method":"T.Huge"})"),
            R"({"id":1,"src":"dev1","error":{"code":500,)"
            R"j("message":"reply too large for one frame; ask for less (e.g. a smaller len)"}})j");
  EXPECT_EQ(call(R"({"id":1,"method":"T.Two"})"),
            R"({"id":1,"src":"dev1","error":{"code":500,"message":"handler produced invalid JSON"}})");
  EXPECT_EQ(call(R"({"method":"T.Echo","params":{ gpio : { pin : 2 } }})"),
            R"({"src":"dev1","result":{"gpio":{"pin":2}}})");
}

TEST_F(DispatcherTest, DeferredReply) {
  ASSERT_EQ(d.add_handler("T.Later", deferring, nullptr), Status::kOk);
  EXPECT_EQ(call(R"({"id":77,"src":"cli","method":"T.Later"})", true), "<0 frames>");
  json::Writer* w = d.begin_reply(g_saved);
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(d.begin_reply(g_saved), nullptr);  // one at a time
  w->begin_object().key("done").bool_value(true).end_object();
  ASSERT_EQ(d.end_reply(), Status::kOk);
  ASSERT_EQ(ch.sent.size(), 1u);
  EXPECT_EQ(ch.sent[0].json, R"({"id":77,"src":"dev1","dst":"cli","result":{"done":true}})");
  EXPECT_TRUE(ch.sent[0].with_crc);
  ch.sent.clear();
  ASSERT_EQ(d.send_error(g_saved, 504, "timed out"), Status::kOk);
  ASSERT_EQ(ch.sent.size(), 1u);
  EXPECT_EQ(ch.sent[0].json,
            R"({"id":77,"src":"dev1","dst":"cli","error":{"code":504,"message":"timed out"}})");
}

TEST(Dispatcher, RegistrationLimits) {
  Dispatcher d;
  EXPECT_EQ(d.add_handler("", void_handler, nullptr), Status::kInvalidArg);
  EXPECT_EQ(d.add_handler("A", nullptr, nullptr), Status::kInvalidArg);
  static char names[MOS_RPC_MAX_HANDLERS + 1][8];
  for (int i = 0; i < MOS_RPC_MAX_HANDLERS; ++i) {
    std::snprintf(names[i], sizeof(names[i]), "M%d", i);
    ASSERT_EQ(d.add_handler(names[i], void_handler, nullptr), Status::kOk) << i;
  }
  EXPECT_EQ(d.add_handler("M0", void_handler, nullptr), Status::kInvalidArg);
  EXPECT_EQ(d.add_handler("Extra", void_handler, nullptr), Status::kNoSpace);
  EXPECT_EQ(d.handler_count(), static_cast<size_t>(MOS_RPC_MAX_HANDLERS));
}

}  // namespace
}  // namespace mos::rpc

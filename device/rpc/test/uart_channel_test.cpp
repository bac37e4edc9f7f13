#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "mos/rpc_sys.h"
#include "mos/rpc_uart.h"
#include "rpc_fakes.h"

namespace mos::rpc {
namespace {

using testing::FakeClock;
using testing::FakeSysPort;

// A serial port: the test queues what the host "types"; the device's output
// collects in `out`. max_write limits bytes accepted per write() call.
class FakeUart : public Uart {
 public:
  int32_t write(ConstByteSpan data) override {
    size_t n = std::min({data.size(), max_write, write_budget});
    if (n == 0) return 0;
    write_budget -= n;
    out.append(reinterpret_cast<const char*>(data.data()), n);
    return static_cast<int32_t>(n);
  }
  int32_t read(ByteSpan buf) override {
    size_t n = std::min({buf.size(), in.size(), max_read});
    if (n == 0) return 0;
    std::memcpy(buf.data(), in.data(), n);
    in.erase(0, n);
    return static_cast<int32_t>(n);
  }
  std::string in, out;
  size_t max_write = SIZE_MAX;
  size_t write_budget = SIZE_MAX;  // bytes accepted in total before writes block
  size_t max_read = SIZE_MAX;
};

class UartChannelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    d.set_device_id("esp8266_0A1B2C");
    ASSERT_EQ(sys.register_handlers(), Status::kOk);
    set_log_level(LogLevel::kInfo);
    set_log_sink(&UartChannel::log_sink, &ch);
  }
  void TearDown() override { set_log_sink(nullptr, nullptr); }
  // Polls until the fake UART has no more input (bounded).
  void pump() {
    for (int i = 0; i < 10000 && !uart.in.empty(); ++i) ch.poll(0);
    ch.poll(0);
  }

  FakeClock clock;
  EventLoop loop{clock};
  FakeSysPort port;
  Dispatcher d;
  SysService sys{d, port, loop};
  FakeUart uart;
  UartChannel ch{uart, d};
};

// CRCs computed independently with Python zlib.crc32.
constexpr std::string_view kPingWithCrc =
    "\n\"\"\"{\"id\":1,\"src\":\"mos\",\"method\":\"RPC.Ping\"}bc299311\"\"\"\n";
constexpr std::string_view kPongWithCrc =
    "\"\"\"{\"id\":1,\"src\":\"esp8266_0A1B2C\",\"dst\":\"mos\",\"result\":"
    "{\"channel_info\":\"UART0\"}}43ac14ec\"\"\"\n";

TEST_F(UartChannelTest, RequestWithCrcGetsReplyWithCrcByteExact) {
  uart.in = std::string(kPingWithCrc);
  pump();
  EXPECT_EQ(uart.out, kPongWithCrc);
}

TEST_F(UartChannelTest, RequestWithoutCrcGetsReplyWithoutCrc) {
  uart.in = "\"\"\"{\"id\":1,\"src\":\"mos\",\"method\":\"RPC.Ping\"}\"\"\"\r\n";
  pump();
  EXPECT_EQ(uart.out,
            "\"\"\"{\"id\":1,\"src\":\"esp8266_0A1B2C\",\"dst\":\"mos\",\"result\":"
            "{\"channel_info\":\"UART0\"}}\"\"\"\n");
}

TEST_F(UartChannelTest, BadCrcDroppedAndLogged) {
  uart.in = "\"\"\"{\"id\":1,\"src\":\"mos\",\"method\":\"RPC.Ping\"}bc299310\"\"\"\n";
  pump();
  EXPECT_EQ(uart.out,
            "W rpc: UART0: frame dropped: CRC bc299310 in the frame, bc299311 computed; "
            "resend it\n");
  EXPECT_EQ(ch.stats().bad_crc, 1u);
  EXPECT_EQ(ch.stats().frames_in, 0u);
}

TEST_F(UartChannelTest, ErrorReplyCarriesCrc) {
  // {"id":42,"method":"Sys.Reboot","params":{"delay_ms":"soon"}} has CRC f6aea78e.
  uart.in = "\"\"\"{\"id\":42,\"method\":\"Sys.Reboot\",\"params\":{\"delay_ms\":\"soon\"}}"
            "f6aea78e\"\"\"\n";
  pump();
  EXPECT_EQ(uart.out,
            "\"\"\"{\"id\":42,\"src\":\"esp8266_0A1B2C\",\"error\":{\"code\":400,\"message\":"
            "\"delay_ms must be a non-negative integer (milliseconds)\"}}0e373ea4\"\"\"\n");
}

TEST_F(UartChannelTest, GarbageAndConsoleLinesIgnored) {
  std::string seen;
  ch.set_console_handler(
      [](std::string_view line, void* ctx) { *static_cast<std::string*>(ctx) += "[" + std::string(line) + "]"; },
      &seen);
  uart.in = std::string("hello device\n\x00\xff\xfe\x13\x11 binary\n", 26) +
            "\"\"\"not json\"\"\"\n\"\"\"{broken}\"\"\"\n" + std::string(kPingWithCrc);
  pump();
  // The console lines went to the handler; the broken frames were logged; the
  // good frame after them was answered.
  EXPECT_EQ(seen, "[hello device][" + std::string("\x00\xff\xfe\x13\x11 binary", 12) + "][]");
  EXPECT_NE(uart.out.find("W rpc: UART0: frame dropped: expected a JSON object"),
            std::string::npos);
  EXPECT_NE(uart.out.find("W rpc: UART0: frame dropped: malformed JSON"), std::string::npos);
  EXPECT_EQ(uart.out.substr(uart.out.size() - kPongWithCrc.size()), kPongWithCrc);
}

TEST_F(UartChannelTest, ConsoleInputIsLoggedByDefault) {
  // What a person types in `mos console`: plain lines reach the log (and the
  // firmware, once it sets a line handler); blank ones do not; a frame typed
  // by hand, without a CRC, is answered without one.
  uart.in = std::string("hello device\n\n  \r\nbell\x07\x1b[2J\n") +
            "\"\"\"{\"id\":3,\"method\":\"RPC.Ping\"}\"\"\"\n";
  pump();
  EXPECT_NE(uart.out.find("I UART0 input: hello device\n"), std::string::npos) << uart.out;
  EXPECT_NE(uart.out.find("I UART0 input: bell..[2J\n"), std::string::npos) << uart.out;
  EXPECT_EQ(uart.out.find("input:  "), std::string::npos) << uart.out;
  EXPECT_EQ(uart.out.find("input: \n"), std::string::npos) << uart.out;
  EXPECT_NE(uart.out.find("\"\"\"{\"id\":3,\"src\":\"esp8266_0A1B2C\",\"result\":{\"channel_info\":\"UART0\"}}\"\"\"\n"),
            std::string::npos)
      << uart.out;
  EXPECT_EQ(ch.stats().console_lines, 4u);
}

TEST_F(UartChannelTest, PartialLinesAcrossReads) {
  uart.in = std::string(kPingWithCrc);
  uart.max_read = 1;  // the worst case: one byte per read
  pump();
  EXPECT_EQ(uart.out, kPongWithCrc);
  // And split across separate polls with nothing in between.
  uart.out.clear();
  uart.max_read = SIZE_MAX;
  std::string_view req = kPingWithCrc;
  uart.in = std::string(req.substr(0, 20));
  ch.poll(0);
  EXPECT_EQ(uart.out, "");
  uart.in = std::string(req.substr(20));
  ch.poll(0);
  EXPECT_EQ(uart.out, kPongWithCrc);
}

TEST_F(UartChannelTest, OversizeLineDiscardedThenFramesWork) {
  uart.in = "\"\"\"{\"x\":\"" + std::string(MOS_RPC_MAX_FRAME + 100, 'a') + "\"}\"\"\"\n" +
            std::string(kPingWithCrc);
  pump();
  EXPECT_EQ(ch.stats().oversize, 1u);
  EXPECT_NE(uart.out.find("W rpc: UART0: line longer than"), std::string::npos);
  EXPECT_EQ(uart.out.substr(uart.out.size() - kPongWithCrc.size()), kPongWithCrc);
}

TEST_F(UartChannelTest, Handshake) {
  // What the mos tool repeats until the device answers.
  uart.in = "\"\"\"\x04\"\"\"\n\n";
  pump();
  EXPECT_EQ(uart.out, "\"\"\"\x04\"\"\"\n");
  EXPECT_EQ(ch.stats().handshakes, 1u);
}

TEST_F(UartChannelTest, LogLinesNeverSplitAFrame) {
  uart.max_write = 5;      // a slow UART...
  uart.write_budget = 20;  // ...that blocks after 20 bytes of the reply
  uart.in = std::string(kPingWithCrc);
  ch.poll(0);
  EXPECT_EQ(uart.out, kPongWithCrc.substr(0, 20));
  MOS_LOGI("sensor: t=21");  // logged while the reply is still going out
  uart.write_budget = SIZE_MAX;
  for (int i = 0; i < 1000 && !ch.tx_empty(); ++i) ch.poll(0);
  EXPECT_EQ(uart.out, std::string(kPongWithCrc) + "I sensor: t=21\n");
}

TEST_F(UartChannelTest, SharedTxForAPortConsole) {
  uart.write_budget = 20;
  uart.in = std::string(kPingWithCrc);
  ch.poll(0);
  // A console with its own format writes through the channel, not the UART.
  Uart& console = ch.shared_tx();
  EXPECT_EQ(console.write(as_bytes("[Nov 27 05:00:00.000] I boot\r\n")), 30);
  uart.write_budget = SIZE_MAX;
  ch.flush();
  EXPECT_EQ(uart.out, std::string(kPongWithCrc) + "[Nov 27 05:00:00.000] I boot\r\n");
  ByteSpan none;
  EXPECT_EQ(console.read(none), 0);
}

TEST_F(UartChannelTest, FullQueueDropsWholeLogLines) {
  uart.write_budget = 0;  // UART stalled
  std::string big(MOS_LOG_LINE_MAX - 10, 'L');
  for (int i = 0; i < 100; ++i) ch.write_log_line(big);
  EXPECT_GT(ch.stats().log_dropped, 0u);
  uart.write_budget = SIZE_MAX;
  ch.flush();
  EXPECT_TRUE(ch.tx_empty());
  // Every queued line arrived whole.
  size_t lines = 0, pos = 0;
  while ((pos = uart.out.find('\n', pos)) != std::string::npos) {
    ++lines;
    ++pos;
  }
  EXPECT_EQ(uart.out.size(), lines * (big.size() + 1));
  EXPECT_EQ(lines + ch.stats().log_dropped, 100u);
}

}  // namespace
}  // namespace mos::rpc

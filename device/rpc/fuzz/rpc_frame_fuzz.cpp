// libFuzzer target for the RPC frame path: bytes arriving on the UART go
// through the line assembler, the frame decoder (CRC), the frame parser and
// the dispatcher with the built-in services, exactly as on the device.
// Checked beyond memory safety: every reply is one well-formed line whose
// JSON parses as a frame, and carries a CRC only when the request did.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "mos/rpc_sys.h"
#include "mos/rpc_uart.h"

using namespace mos;
using namespace mos::rpc;

namespace {

class NullClock : public Clock {
 public:
  uint64_t now_ms() const override { return 0; }
};

class Port : public SysPort {
 public:
  void get_info(SysInfo* out) override {
    out->app = "fuzz";
    out->arch = "sim";
    out->mac = "000000000000";
  }
  void reboot() override {}
};

// Feeds the input in chunks whose sizes come from the input itself.
class FuzzUart : public Uart {
 public:
  FuzzUart(const uint8_t* d, size_t n) : data(d), size(n) {}
  int32_t read(ByteSpan out) override {
    if (pos >= size) return 0;
    size_t n = 1 + (data[pos] % 97);
    if (n > out.size()) n = out.size();
    if (n > size - pos) n = size - pos;
    std::memcpy(out.data(), data + pos, n);
    pos += n;
    return static_cast<int32_t>(n);
  }
  int32_t write(ConstByteSpan in) override {
    // Check each complete line the device writes.
    for (size_t i = 0; i < in.size(); ++i) {
      char c = static_cast<char>(in[i]);
      if (c == '\n') {
        check_line(std::string_view(line, len));
        len = 0;
      } else if (len < sizeof(line)) {
        line[len++] = c;
      } else {
        abort();  // the device wrote a line longer than MOS_RPC_MAX_FRAME
      }
    }
    return static_cast<int32_t>(in.size());
  }
  void check_line(std::string_view l) {
    DecodedLine d = decode_line(l);
    if (d.kind == LineKind::kHandshake || d.kind == LineKind::kNotFrame) return;  // log lines
    if (d.kind != LineKind::kFrame) abort();
    if (json::parse(d.json) != json::Result::kOk) abort();  // strict JSON out, always
    Frame f;
    if (parse_frame(d.json, &f) == json::Result::kOk) return;
    // The one reply that is not a Mongoose OS frame: the 400 to a request
    // whose id is not a 64-bit integer (a string, 1e99), which echoes that id
    // as the request sent it so the sender can match the answer.
    json::Token id, error;
    int64_t as_int = 0;
    if (json::find(d.json, "error", &error) != json::Result::kOk ||
        json::find(d.json, "id", &id) != json::Result::kOk ||
        (id.type == json::Type::kNumber && json::as_int64(id, &as_int) == json::Result::kOk)) {
      abort();
    }
  }
  const uint8_t* data;
  size_t size;
  size_t pos = 0;
  char line[MOS_RPC_MAX_FRAME];
  size_t len = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The pure codec on the whole input as one line.
  std::string_view text(reinterpret_cast<const char*>(data), size);
  DecodedLine d = decode_line(text);
  if (d.kind == LineKind::kFrame) {
    Frame f;
    (void)parse_frame(d.json, &f);
  }

  NullClock clock;
  EventLoop loop(clock);
  Port port;
  // Large objects: on the heap here (the harness is host-only).
  auto dispatcher = std::make_unique<Dispatcher>();
  dispatcher->set_device_id("fuzzdev");
  SysService sys(*dispatcher, port, loop);
  (void)sys.register_handlers();
  auto uart = std::make_unique<FuzzUart>(data, size);
  auto ch = std::make_unique<UartChannel>(*uart, *dispatcher);
  set_log_sink(&UartChannel::log_sink, ch.get());
  for (int i = 0; i < 100000 && uart->pos < uart->size; ++i) ch->poll(0);
  ch->poll(0);
  set_log_sink(nullptr, nullptr);
  return 0;
}

// The firmware app interface: what the runtime gives an app, and the one
// entry point an app implements (Mongoose OS: mgos_app_init()).
//
//   #include "mos/app.h"
//   mos::Status mos_app_init(mos::app::Context& ctx) {
//     static MyApp app(ctx.loop(), ctx.gpio());            // no allocation
//     ctx.on_network(&MyApp::on_network, &app);            // Wi-Fi got IP / lost
//     return mos::Status::kOk;
//   }
//
// The runtime calls mos_app_init() once per boot, after the flash store is
// mounted, the config loaded and RPC is up, and before Wi-Fi starts joining.
// A non-kOk result is logged and the board keeps running (RPC still works, so
// a person can fix the config). Everything the Context hands out lives until
// the next reboot. Portable: no POSIX here, so the same app builds for any
// port that implements Context.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mos/event_loop.h"
#include "mos/hal.h"
#include "mos/span.h"
#include "mos/status.h"

namespace mos::tls {
class WallClock;
}
namespace mos::rpc {
class Dispatcher;
}

namespace mos::app {

// The device config after merging defaults (conf0) and levels (conf1..9).
// Keys are dotted paths: "mqtt.server", "wifi.sta.ssid".
class Config {
 public:
  virtual ~Config() = default;
  // The value of a string key, "" when missing. Valid until the next
  // Config.Set/Save or reboot: copy what you keep.
  virtual std::string_view get_string(std::string_view key) const = 0;
  virtual int64_t get_int(std::string_view key, int64_t def) const = 0;
  virtual bool get_bool(std::string_view key, bool def) const = 0;
};

// Network up (Wi-Fi "got IP") or down (lost it). Mongoose OS starts MQTT on
// the first, and so should an app that owns a connection.
using NetworkFn = void (*)(bool up, void* ctx);
using UartLineFn = void (*)(std::string_view line, void* ctx);

class Context {
 public:
  virtual ~Context() = default;
  virtual EventLoop& loop() = 0;
  virtual const Clock& clock() = 0;
  virtual Random& random() = 0;
  virtual Gpio& gpio() = 0;
  virtual const Config& config() = 0;
  // Wall time for certificate validity checks (TLS).
  virtual const tls::WallClock* wall_clock() = 0;
  // The RPC dispatcher, to add app methods (method names must be literals).
  virtual rpc::Dispatcher& rpc() = 0;

  // Reads a whole file of the flash store (certificates, keys). *len gets
  // its size. kNotFound when missing, kNoSpace when out is too small.
  virtual Status read_file(std::string_view name, Span<char> out, size_t* len) = 0;

  // Memory for a buffer whose size comes from the config (e.g. the TLS
  // record buffers from mqtt.ssl_rx_buf_size): `size` bytes aligned to
  // `align` (a power of two) from the runtime's boot arena
  // (MOS_BOOT_ARENA_BYTES), kept until the next reboot. Only during
  // mos_app_init(): afterwards kBusy, since nothing is allocated after init.
  // kNoSpace when the rest of the arena is smaller, kInvalidArg for size 0 or
  // a bad alignment; *out is left alone on failure.
  virtual Status boot_buffer(size_t size, size_t align, ByteSpan* out) = 0;

  // A TCP client transport for the app's one connection (MQTT). The loop
  // wakes when it is readable; connect() fails with "network down" until
  // Wi-Fi has an IP. One per boot: nullptr on a second call.
  virtual Transport* tcp() = 0;

  virtual void on_network(NetworkFn fn, void* ctx) = 0;
  // Lines typed on UART0 that are not RPC frames (`mos console`, picocom),
  // without the line ending; the view is valid during the call. Without a
  // handler the runtime logs them ("UART0 input: ...").
  virtual void on_uart_line(UartLineFn fn, void* ctx) = 0;
  virtual bool network_up() const = 0;

  // The board's identity: device.id ("esp8266_A1B2C3") and MAC (12 hex).
  virtual std::string_view device_id() const = 0;
  virtual std::string_view mac() const = 0;
};

}  // namespace mos::app

// Implemented by the app; exactly one per firmware.
mos::Status mos_app_init(mos::app::Context& ctx);

// A plain-function adapter of Context::read_file for apps that take a C-style
// reader (fn + ctx): pass this with the Context as ctx.
inline mos::Status mos_app_read_file(std::string_view name, mos::Span<char> out, size_t* len,
                                     void* ctx) {
  return static_cast<mos::app::Context*>(ctx)->read_file(name, out, len);
}

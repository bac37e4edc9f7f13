// RPC dispatcher and channels (ARCHITECTURE.md "RPC").
//
// A Channel carries frames: UART (mos/rpc_uart.h, shared with the console
// log) and MQTT (mos/rpc_mqtt.h: requests on "<device.id>/rpc", replies to
// "<src>/rpc"). Any other transport: call Dispatcher::handle_frame() for each
// frame received and implement send_frame().
// The Dispatcher finds the handler by method name and builds the reply.
//
// ADDING A SERVICE (e.g. Config.*, FS.* in their own files under device/rpc):
//
//   static void config_get(rpc::Call& call, void* ctx) {
//     auto* cfg = static_cast<Config*>(ctx);
//     char key[64];
//     json::Token k;
//     if (json::find(call.params(), "key", &k) == json::Result::kOk &&
//         json::as_string(k, key) != json::Result::kOk) {
//       return call.error(400, "key must be a string, e.g. {\"key\": \"wifi.sta\"}");
//     }
//     json::Writer& w = call.result();   // write exactly one JSON value
//     w.begin_object().key("ssid").string_value("x").end_object();
//   }                                    // the reply is sent when the handler returns
//   ...
//   dispatcher.add_handler("Config.Get", config_get, &cfg);
//
// Rules for handlers:
//   - call.params() is the request's "params" (or "args"); its type is
//     kInvalid when the request had none. It views the received frame and is
//     valid only during the handler call: copy what you keep.
//   - Either write one value into call.result(), or call call.error(code, msg)
//     (an error replaces anything written), or write nothing (the reply then
//     has no "result" member, as Mongoose OS does for void methods).
//   - Codes: 400 bad params, 404 unknown method/key/file, 500 internal.
//     Messages say what failed and what to do.
//   - The reply must fit in MOS_RPC_MAX_FRAME with its envelope (about 100
//     bytes + the addresses); Dispatcher::kMaxResult tells handlers that
//     chunk data (FS.Get) how much room there is. A result that does not fit
//     becomes a 500 error reply.
//   - Async: call.defer() and keep the Reply (a small value copy); later
//     answer with dispatcher.begin_reply(reply) + dispatcher.end_reply(), or
//     dispatcher.send_error(reply, code, msg). Only one reply is built at a time.
//   - Method names are kept as views: pass string literals (or other storage
//     that outlives the dispatcher).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mos/defaults.h"
#include "mos/json.h"
#include "mos/rpc_frame.h"
#include "mos/status.h"

#ifndef MOS_RPC_MAX_RAW_ID
#define MOS_RPC_MAX_RAW_ID 40  // longest non-integer "id" echoed in an error reply (raw JSON)
#endif

#ifndef MOS_RPC_MAX_ADDR
#define MOS_RPC_MAX_ADDR 64  // longest "src" we can answer to (raw JSON string)
#endif

namespace mos::rpc {

// Something frames travel over. Implementations: UartChannel, an MQTT channel.
class Channel {
 public:
  virtual ~Channel() = default;
  // Sends one frame's JSON text; the channel adds its framing. with_crc asks
  // for the CRC suffix where the framing has one (the UART does).
  virtual Status send_frame(std::string_view json, bool with_crc) = 0;
  // Short description for logs and RPC.Ping ("UART0", "MQTT").
  virtual const char* info() const = 0;
};

// Where a reply goes: copied out of the request so it outlives it.
struct Reply {
  Channel* channel = nullptr;
  bool has_id = false;
  int64_t id = 0;
  bool with_crc = false;
  uint8_t dst_len = 0;
  char dst[MOS_RPC_MAX_ADDR];  // the request's "src" as raw (quoted) JSON
  std::string_view dst_json() const { return std::string_view(dst, dst_len); }
  // An id that is not an int64 ("abc", 1.5), echoed as raw JSON in the error
  // reply to such a request; used when !has_id.
  uint8_t raw_id_len = 0;
  char raw_id[MOS_RPC_MAX_RAW_ID];
  std::string_view raw_id_json() const { return std::string_view(raw_id, raw_id_len); }
};

class Dispatcher;

// One request being handled. Only valid during the handler call.
class Call {
 public:
  const json::Token& params() const { return params_; }
  const json::Token& method() const { return method_; }
  const Reply& reply() const { return reply_; }
  Channel* channel() const { return reply_.channel; }
  // Starts the success reply; write exactly one JSON value into it.
  json::Writer& result();
  // Replies with {"error":{"code":code,"message":message}} instead.
  void error(int code, std::string_view message);
  // The handler answers later through Dispatcher::begin_reply(reply()).
  void defer() { deferred_ = true; }

 private:
  friend class Dispatcher;
  Call(Dispatcher& d, const json::Token& method, const json::Token& params, const Reply& reply)
      : d_(d), method_(method), params_(params), reply_(reply) {}
  Dispatcher& d_;
  json::Token method_;
  json::Token params_;
  Reply reply_;
  bool started_ = false;
  bool deferred_ = false;
  bool errored_ = false;
  int error_code_ = 0;
};

using Handler = void (*)(Call& call, void* ctx);

class Dispatcher {
 public:
  // A reply's JSON is at most this long, so that its UART line
  // (`"""` + json + crc + `"""` + newline) fits in MOS_RPC_MAX_FRAME.
  static constexpr size_t kMaxReply = MOS_RPC_MAX_FRAME - 15;
  // Room left for a handler's result value: the envelope takes about 55
  // bytes plus the device id and the request's src (both <= MOS_RPC_MAX_ADDR).
  static constexpr size_t kMaxResult = kMaxReply - 64 - 2 * MOS_RPC_MAX_ADDR;

  Dispatcher() = default;
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // The "src" of every reply (device.id). The view must stay valid.
  void set_device_id(std::string_view id) { device_id_ = id; }
  std::string_view device_id() const { return device_id_; }

  // kNoSpace when MOS_RPC_MAX_HANDLERS are registered, kInvalidArg for an
  // empty name, a null handler or a name already registered.
  Status add_handler(std::string_view method, Handler fn, void* ctx);
  size_t handler_count() const { return count_; }
  std::string_view handler_name(size_t i) const { return i < count_ ? handlers_[i].method : ""; }

  // A channel received one frame's JSON (framing and CRC already checked).
  // Requests are answered on the same channel; responses are dropped;
  // requests addressed (dst) to another device id are ignored. A request
  // the reader rejects (malformed, nested deeper than MOS_JSON_MAX_DEPTH,
  // an id that is not an integer) gets a 400 error reply when its "id" and
  // "method" can still be found (scan_request_head), else it is logged and
  // dropped.
  void handle_frame(Channel& ch, std::string_view json, bool had_crc);

  // Deferred replies (see Call::defer). begin_reply() returns the writer for
  // the one result value; end_reply() sends. begin_reply() returns nullptr and
  // send_error() kBusy while another reply is being built or a handler runs.
  json::Writer* begin_reply(const Reply& to);
  Status end_reply();
  Status send_error(const Reply& to, int code, std::string_view message);

  // Counters for tests and diagnostics.
  uint32_t frames_dropped() const { return dropped_; }

 private:
  friend class Call;
  struct Entry {
    std::string_view method;
    Handler fn = nullptr;
    void* ctx = nullptr;
  };
  void start_envelope(const Reply& to);
  void reject(Channel& ch, std::string_view text, bool had_crc, json::Result why);
  Status finish_and_send(const Reply& to);

  Entry handlers_[MOS_RPC_MAX_HANDLERS];
  size_t count_ = 0;
  std::string_view device_id_;
  char out_[kMaxReply];
  json::Writer w_;
  bool building_ = false;
  bool in_handler_ = false;
  Reply building_to_;
  uint32_t dropped_ = 0;
};

}  // namespace mos::rpc

// JSON-RPC to a board over its serial port, as `mos` does it: send one frame
// (with a CRC), then read the shared line, passing console log lines to a
// callback and skipping frames that are not the answer (other ids, bad CRCs),
// until the reply with our id arrives or the timeout ends.
//
// Host-only: throws RpcError for an error reply and UserError-shaped
// std::runtime_error ("what failed\n  -> what to do") for transport problems.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>

#include "mos/rpcclient/frame.h"
#include "mos/rpcclient/serial_port.h"

namespace mos::rpcclient {

using Json = nlohmann::json;

// The board answered with {"error":{"code":C,"message":M}}; what() is
// "device: M (code C, METHOD)": what the device said, as it said it.
struct RpcError : std::runtime_error {
  RpcError(std::string method_, int code_, std::string message_)
      : std::runtime_error("device: " + message_ + " (code " + std::to_string(code_) + ", " + method_ +
                           ")"),
        method(std::move(method_)), code(code_), message(std::move(message_)) {}
  std::string method;
  int code;
  std::string message;
};

// No reply within the timeout.
struct RpcTimeout : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class RpcClient {
 public:
  struct Options {
    std::chrono::milliseconds timeout{5000};
    bool crc = true;
    // Gets every console line seen while waiting (the board's log); may be empty.
    std::function<void(std::string_view)> on_console_line;
  };

  RpcClient(SerialPort& port, Options options);

  // Calls `method` with `args` (an object, or null for none) and returns the
  // "result" member (null when the reply has none).
  Json call(const std::string& method, const Json& args = nullptr);
  // Same with an explicit timeout for slow methods.
  Json call(const std::string& method, const Json& args, std::chrono::milliseconds timeout);

  // Reads the line for `duration`, passing console lines to the callback.
  void drain(std::chrono::milliseconds duration);

  SerialPort& port() { return port_; }

 private:
  SerialPort& port_;
  Options options_;
  FrameReader reader_;
  int64_t next_id_;
};

// Base64 (RFC 4648 §4, with padding) for FS.Get / FS.Put payloads.
std::string base64_encode(std::string_view data);
// Throws std::runtime_error on characters outside the alphabet.
std::string base64_decode(std::string_view text);

}  // namespace mos::rpcclient

// The board a device command talks to: the global --port/--timeout/--verbose
// options (registered by cmd_device.cpp), `--port auto` resolution, and an
// open serial port with an RPC client. Shared by cmd_device.cpp and
// cmd_aws_iot_setup.cpp so both find and open the board the same way.
#pragma once
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "mos/rpcclient/ports.h"
#include "mos/rpcclient/rpc_client.h"

namespace mos::cli {

struct DeviceGlobals {
  std::string port = "auto";
  double timeout_s = 0;  // 0 = the command's default
  bool verbose = false;
};
DeviceGlobals& device_globals();

// `--port auto`, as Mongoose OS's mos on Linux: /dev/ttyUSB*, /dev/ttyACM*,
// then the pseudo-terminals of running virtual boards.
std::vector<rpcclient::PortInfo> all_ports();
std::string resolve_port(const std::string& port);
std::chrono::milliseconds rpc_timeout();

// An open port plus a client; console lines seen during a call go to stderr
// with --verbose, else nowhere (they are the board's log, not our output).
struct Session {
  explicit Session(bool print_log = false);
  static rpcclient::SerialPort open_port(const std::string& path);
  rpcclient::SerialPort port;
  rpcclient::RpcClient client;
};

// The node at a dotted key ("mqtt.server") of a Config.Get tree, or null.
const rpcclient::Json* find_key(const rpcclient::Json& tree, const std::string& key);

// Sets a dotted key in a Config.Set tree, creating the objects on the way.
void set_path(rpcclient::Json* tree, const std::string& key, rpcclient::Json value);

// Writes `data` to `remote` on the board with FS.Put, kPutChunk raw bytes per
// call (the first replaces the file, the rest append); `progress(done, total)`
// runs after each chunk. Throws rpcclient::RpcError when the board refuses.
constexpr size_t kPutChunk = 1024;  // ~1.4 KB of base64 per frame
void put_data(rpcclient::RpcClient& client, const std::string& remote, const std::string& data,
              const std::function<void(size_t, size_t)>& progress = {});

}  // namespace mos::cli

// See device_session.h.
#include "device_session.h"

#include <cstdio>
#include <sstream>
#include <stdexcept>

#include "cli.h"
#if __has_include("sim_boards.h")
#include "sim_boards.h"  // running virtual boards are serial ports too
#define MOS_CLI_HAVE_SIM 1
#endif

namespace mos::cli {

DeviceGlobals& device_globals() {
  static DeviceGlobals g;
  return g;
}

std::vector<rpcclient::PortInfo> all_ports() {
  std::vector<rpcclient::PortInfo> ports = rpcclient::candidate_ports();
#ifdef MOS_CLI_HAVE_SIM
  for (const auto& b : sim_boards()) {
    if (b.running && !b.pty.empty()) ports.push_back({b.pty, "virtual board " + b.name});
  }
#endif
  return ports;
}

std::string resolve_port(const std::string& port) {
  if (port != "auto" && !port.empty()) return port;
  auto ports = all_ports();
  if (ports.empty()) {
    std::string looked = "/dev/ttyUSB*, /dev/ttyACM*";
#ifdef MOS_CLI_HAVE_SIM
    looked += " and the running virtual boards in " + sim_where_looked();
#endif
    throw UserError("no serial port found (looked at " + looked + ")",
                    "plug a board in, or start a virtual one with `mos sim start`, then pass --port");
  }
  std::fprintf(stderr, "Using port %s (%s)\n", ports.front().path.c_str(), ports.front().what.c_str());
  return ports.front().path;
}

std::chrono::milliseconds rpc_timeout() {
  const double t = device_globals().timeout_s;
  return std::chrono::milliseconds(static_cast<int64_t>((t > 0 ? t : 5.0) * 1000));
}

Session::Session(bool print_log)
    : port(open_port(resolve_port(device_globals().port))),
      client(port, {rpc_timeout(), true, [print_log](std::string_view line) {
                      if (print_log || device_globals().verbose) {
                        std::fprintf(stderr, "%.*s\n", int(line.size()), line.data());
                      }
                    }}) {}

rpcclient::SerialPort Session::open_port(const std::string& path) {
  try {
    return rpcclient::SerialPort(path);
  } catch (const std::runtime_error& e) {
    throw UserError(e.what(), "check the path with `mos ports` (virtual boards: `mos sim list`)");
  }
}

const rpcclient::Json* find_key(const rpcclient::Json& tree, const std::string& key) {
  const rpcclient::Json* node = &tree;
  std::stringstream ss(key);
  std::string part;
  while (std::getline(ss, part, '.')) {
    if (!node->is_object() || !node->contains(part)) return nullptr;
    node = &(*node)[part];
  }
  return node;
}

void set_path(rpcclient::Json* tree, const std::string& key, rpcclient::Json value) {
  rpcclient::Json* node = tree;
  std::stringstream ss(key);
  std::string part;
  std::vector<std::string> parts;
  while (std::getline(ss, part, '.')) parts.push_back(part);
  for (size_t i = 0; i + 1 < parts.size(); ++i) node = &(*node)[parts[i]];
  (*node)[parts.back()] = std::move(value);
}

void put_data(rpcclient::RpcClient& client, const std::string& remote, const std::string& data,
              const std::function<void(size_t, size_t)>& progress) {
  size_t off = 0;
  do {
    std::string chunk = data.substr(off, kPutChunk);
    client.call("FS.Put", {{"filename", remote}, {"data", rpcclient::base64_encode(chunk)}, {"append", off > 0}});
    off += chunk.size();
    if (progress) progress(off, data.size());
  } while (off < data.size());
}

}  // namespace mos::cli

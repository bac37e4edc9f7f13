// Finding a board's serial port, as Mongoose OS's `mos --port auto` did on
// Linux: USB-UART bridges (/dev/ttyUSB*), then CDC-ACM (/dev/ttyACM*), then
// the pseudo-terminals of running virtual boards (`mos sim`).
#pragma once
#include <string>
#include <vector>

namespace mos::rpcclient {

struct PortInfo {
  std::string path;
  std::string what;  // "USB serial", "virtual board sim0"
};

std::vector<PortInfo> candidate_ports();

// `auto` -> the first candidate (printing "Using port X" on stderr); any other
// value is returned as is. Throws std::runtime_error when nothing is found.
std::string resolve_port(const std::string& port);

}  // namespace mos::rpcclient

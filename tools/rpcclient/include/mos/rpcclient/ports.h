// The hardware serial ports `mos --port auto` tries first, as Mongoose OS's
// mos did on Linux: USB-UART bridges (/dev/ttyUSB*), then CDC-ACM
// (/dev/ttyACM*). tools/mos/cmd_device.cpp adds running virtual boards.
#pragma once
#include <string>
#include <vector>

namespace mos::rpcclient {

struct PortInfo {
  std::string path;
  std::string what;  // "USB serial", "virtual board sim0"
};

std::vector<PortInfo> candidate_ports();

}  // namespace mos::rpcclient

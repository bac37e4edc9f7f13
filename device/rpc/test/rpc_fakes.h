// Test doubles for the RPC tests (host only: std::string is fine here).
#pragma once
#include <string>
#include <vector>

#include "mos/event_loop.h"
#include "mos/hal.h"
#include "mos/log.h"
#include "mos/rpc.h"
#include "mos/rpc_sys.h"

namespace mos::rpc::testing {

struct SentFrame {
  std::string json;
  bool with_crc;
};

class FakeChannel : public Channel {
 public:
  Status send_frame(std::string_view json, bool with_crc) override {
    sent.push_back(SentFrame{std::string(json), with_crc});
    return Status::kOk;
  }
  const char* info() const override { return "FAKE"; }
  std::vector<SentFrame> sent;
};

class FakeClock : public Clock {
 public:
  uint64_t now_ms() const override { return now; }
  uint64_t now = 0;
};

class FakeSysPort : public SysPort {
 public:
  void get_info(SysInfo* out) override {
    out->app = "c_mqtt";
    out->arch = "sim";
    out->fw_version = "1.0";
    out->fw_id = "20261127-000000";
    out->mac = "5ECF7F0A1B2C";
    out->uptime_s = 42;
    out->ram_size = 81920;
    out->ram_free = 40000;
    out->ram_min_free = 35000;
    out->fs_size = 262144;
    out->fs_free = 200000;
    out->wifi_status = "got ip";
    out->wifi_ssid = "home";
    out->wifi_ip = "127.0.0.1";
  }
  void reboot() override { ++reboots; }
  int reboots = 0;
};

// Captures log lines while alive.
class LogCapture {
 public:
  LogCapture() {
    set_log_level(LogLevel::kDebug);
    set_log_sink(&LogCapture::sink, this);
  }
  ~LogCapture() {
    set_log_sink(nullptr, nullptr);
    set_log_level(LogLevel::kInfo);
  }
  static void sink(LogLevel, std::string_view line, void* ctx) {
    static_cast<LogCapture*>(ctx)->lines.emplace_back(line);
  }
  bool contains(std::string_view needle) const {
    for (const auto& l : lines) {
      if (l.find(needle) != std::string::npos) return true;
    }
    return false;
  }
  std::vector<std::string> lines;
};

}  // namespace mos::rpc::testing

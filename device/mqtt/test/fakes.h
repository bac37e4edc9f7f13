// Test doubles for the MQTT session: a scripted transport, a settable clock,
// a scripted random source and a log capture.
#pragma once
#include <cstring>
#include <deque>
#include <string>
#include <vector>

#include "mos/hal.h"
#include "mos/log.h"

namespace mos::mqtt::testing {

class FakeClock : public Clock {
 public:
  uint64_t now_ms() const override { return now; }
  uint64_t now = 1000;
};

class FakeRandom : public Random {
 public:
  uint32_t next_u32() override {
    if (values.empty()) return 0x7fffffff;  // an arbitrary value within any range
    uint32_t v = values.front();
    values.pop_front();
    return v;
  }
  std::deque<uint32_t> values;
};

// The "server" side: what the session wrote is in `sent`; bytes queued in
// `incoming` are handed to read(), at most `read_chunk` at a time.
class FakeTransport : public Transport {
 public:
  explicit FakeTransport(const FakeClock& clock) : clock_(clock) {}
  Status connect(std::string_view host, uint16_t port) override {
    connect_times.push_back(clock_.now);
    last_host = std::string(host);
    last_port = port;
    sent.clear();
    incoming.clear();
    peer_closed = false;
    if (refuse) {
      error = "connect to " + last_host + ": connection refused";
      return Status::kIoError;
    }
    open = true;
    return Status::kWouldBlock;
  }
  int32_t write(ConstByteSpan data) override {
    if (!open) return kError;
    size_t n = data.size() < write_room ? data.size() : write_room;
    sent.append(reinterpret_cast<const char*>(data.data()), n);
    return static_cast<int32_t>(n);
  }
  int32_t read(ByteSpan out) override {
    if (!open) return kError;
    if (incoming.empty()) return peer_closed ? kClosed : kWouldBlock;
    size_t n = incoming.size();
    if (n > out.size()) n = out.size();
    if (n > read_chunk) n = read_chunk;
    std::memcpy(out.data(), incoming.data(), n);
    incoming.erase(0, n);
    return static_cast<int32_t>(n);
  }
  void close() override {
    if (open) ++closes;
    open = false;
  }
  bool connected() const override { return open; }
  const char* last_error() const override { return error.c_str(); }

  // The packets sent so far, split by their fixed headers; consumes `sent`.
  std::vector<std::string> take_packets() {
    std::vector<std::string> out;
    size_t pos = 0;
    while (sent.size() - pos >= 2) {
      size_t len = 0, i = pos + 1, shift = 0;
      uint8_t b;
      do {
        b = static_cast<uint8_t>(sent[i++]);
        len |= size_t{b & 0x7fu} << shift;
        shift += 7;
      } while ((b & 0x80) != 0 && i < sent.size());
      if (i + len > sent.size()) break;
      out.push_back(sent.substr(pos, i + len - pos));
      pos = i + len;
    }
    sent.erase(0, pos);
    return out;
  }

  bool open = false;
  bool refuse = false;
  bool peer_closed = false;
  size_t read_chunk = SIZE_MAX;
  size_t write_room = SIZE_MAX;
  int closes = 0;
  std::string sent;
  std::string incoming;
  std::string error;
  std::string last_host;
  uint16_t last_port = 0;
  std::vector<uint64_t> connect_times;

 private:
  const FakeClock& clock_;
};

// Captures log lines while alive.
class LogCapture {
 public:
  LogCapture() {
    set_log_level(LogLevel::kDebug);
    set_log_sink(
        [](LogLevel, std::string_view line, void* ctx) {
          static_cast<LogCapture*>(ctx)->lines.emplace_back(line);
        },
        this);
  }
  ~LogCapture() { set_log_sink(nullptr, nullptr); }
  bool contains(std::string_view needle) const {
    for (const std::string& l : lines) {
      if (l.find(needle) != std::string::npos) return true;
    }
    return false;
  }
  std::vector<std::string> lines;
};

}  // namespace mos::mqtt::testing

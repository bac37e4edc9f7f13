// The one fake LiveChannel of the console's tests and fuzzer: records what the
// server sends, as the HTTP front's WebSocket would carry it.
#pragma once
#include <nlohmann/json.hpp>

#include <mutex>
#include <string>
#include <vector>

#include "http_server.h"

namespace mos::console::test {

class FakeLiveChannel : public cloud::LiveChannel {
 public:
  bool send_text(std::string message) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_ || !open_) return false;
    sent_.push_back(std::move(message));
    return true;
  }
  void close(const std::string& reason) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return;
    closed_ = true;
    close_reason_ = reason;
  }

  // Before the HTTP front accepts a channel, send_text fails (as the real one does).
  void set_open(bool open) {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = open;
  }
  std::vector<std::string> sent() {
    std::lock_guard<std::mutex> lock(mu_);
    return sent_;
  }
  // Every frame sent so far, parsed; clears them.
  std::vector<nlohmann::json> take() {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<nlohmann::json> out;
    for (const auto& s : sent_) out.push_back(nlohmann::json::parse(s));
    sent_.clear();
    return out;
  }
  bool closed() {
    std::lock_guard<std::mutex> lock(mu_);
    return closed_;
  }
  std::string close_reason() {
    std::lock_guard<std::mutex> lock(mu_);
    return close_reason_;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> sent_;
  bool open_ = true, closed_ = false;
  std::string close_reason_;
};

}  // namespace mos::console::test

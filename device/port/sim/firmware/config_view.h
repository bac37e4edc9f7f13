// The app's view of mos::Config (mos/app.h): dotted keys of the schema built
// from mos_core.yml and the app's mos.yml.
#pragma once
#include "mos/app.h"
#include "mos/config.h"

namespace mos::sim::fw {

class ConfigView : public app::Config {
 public:
  explicit ConfigView(const mos::Config& cfg) : cfg_(cfg) {}
  std::string_view get_string(std::string_view key) const override {
    const char* v = cfg_.get_string(key);
    return v != nullptr ? std::string_view(v) : std::string_view();
  }
  int64_t get_int(std::string_view key, int64_t def) const override {
    int32_t i = 0;
    if (cfg_.get_int(key, &i)) return i;
    double d = 0;  // "d" keys such as mqtt.reconnect_timeout_min
    if (cfg_.get_double(key, &d)) return static_cast<int64_t>(d);
    return def;
  }
  bool get_bool(std::string_view key, bool def) const override {
    bool v = def;
    return cfg_.get_bool(key, &v) ? v : def;
  }

 private:
  const mos::Config& cfg_;
};

}  // namespace mos::sim::fw

// Arbitrary request frames to the Config.* and FS.* services (hostile params:
// wrong types, bad base64, huge offsets, unknown keys). Must never crash, and
// every reply must be strict JSON.
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include "mos/rpc_store.h"
#include "mos_config.h"
#include "../../fs/test/ram_flash.h"

namespace {

class NullChannel : public mos::rpc::Channel {
 public:
  mos::Status send_frame(std::string_view json, bool) override {
    if (mos::json::parse(json) != mos::json::Result::kOk) __builtin_trap();  // replies are strict JSON
    ++sent;
    return mos::Status::kOk;
  }
  const char* info() const override { return "FUZZ"; }
  int sent = 0;
};

class NoPort : public mos::rpc::SysPort {
 public:
  void get_info(mos::rpc::SysInfo*) override {}
  void reboot() override {}
};

class ZeroClock : public mos::Clock {
 public:
  uint64_t now_ms() const override { return 0; }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static mos::test::RamFlash flash(16 * 4096, 4096);
  static mos::FsSector sec[16];
  static mos::Fs fs;
  static mos::MosConfig cur, base;
  static char work[2048];
  static mos::Config cfg;
  static ZeroClock clock;
  static mos::EventLoop loop(clock);
  static NoPort port;
  static mos::rpc::Dispatcher d;
  static mos::rpc::ConfigService config_service(d, cfg, &port, loop);
  static mos::rpc::FsService fs_service(d, fs);
  static bool once = [] {
    if (fs.init(flash, 0, flash.size(), mos::Span<mos::FsSector>(sec, 16)) != mos::Status::kOk ||
        fs.format() != mos::Status::kOk ||
        cfg.init(mos::kMosConfigSchema, &cur, &base, mos::Span<char>(work, sizeof(work)), &fs,
                 mos::ConstByteSpan()) != mos::Status::kOk ||
        cfg.load() != mos::Status::kOk || config_service.register_handlers() != mos::Status::kOk ||
        fs_service.register_handlers() != mos::Status::kOk) {
      __builtin_trap();
    }
    d.set_device_id("fuzz");
    return true;
  }();
  (void)once;
  // Several frames per input, separated by newlines, so that state carries
  // over (FS.Put then FS.Get, Config.Set then Config.Save).
  NullChannel ch;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  while (!in.empty()) {
    size_t nl = in.find('\n');
    std::string_view frame = in.substr(0, nl);
    d.handle_frame(ch, frame, false);
    if (nl == std::string_view::npos) break;
    in.remove_prefix(nl + 1);
  }
  return 0;
}

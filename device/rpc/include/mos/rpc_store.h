// RPC services over the config and the file store (Mongoose OS names and
// parameters, so the mos tool's config-get/config-set/ls/get/put/rm work):
//
//   Config.Get  {key}                    -> the value at key ("" or none = all)
//   Config.Set  {config, save, reboot}   -> {"saved": bool}; config is an object
//                                           patch, applied all or nothing
//   Config.Save {reboot}                 -> {"saved": true}; writes the user diff
//                                           to conf9.json
//   FS.List                              -> ["conf9.json", ...]
//   FS.ListExt                           -> [{"name": ..., "size": ...}, ...]
//   FS.Get      {filename, offset, len}  -> {"data": base64, "left": bytes after}
//   FS.Put      {filename, data, append} -> (no result); data is base64
//   FS.Remove   {filename}               -> (no result)
//
// Errors: 404 unknown config key or file, 400 bad params (wrong type, not
// base64, ...), 500 the store failed (e.g. full). Messages say what to do.
// FS.Get returns at most kMaxGetLen bytes per call (less than asked for is
// normal: read on from offset + returned length while "left" > 0).
#pragma once
#include <cstddef>
#include <cstdint>

#include "mos/config.h"
#include "mos/event_loop.h"
#include "mos/fs.h"
#include "mos/rpc.h"
#include "mos/rpc_sys.h"

namespace mos::rpc {

class ConfigService {
 public:
  static constexpr uint32_t kRebootDelayMs = 100;
  // port/loop reboot the device after a save with reboot: true; port may be
  // null (then reboot requests are refused with 400).
  ConfigService(Dispatcher& d, Config& cfg, SysPort* port, EventLoop& loop)
      : d_(d), cfg_(cfg), port_(port), loop_(loop) {}
  ConfigService(const ConfigService&) = delete;
  ConfigService& operator=(const ConfigService&) = delete;
  Status register_handlers();

 private:
  static void get(Call& call, void* ctx);
  static void set(Call& call, void* ctx);
  static void save(Call& call, void* ctx);
  static void reboot_now(void* ctx);
  // Saves (and schedules the reboot) for Config.Set/Save; false if it replied an error.
  bool save_and_reboot(Call& call, bool reboot);

  Dispatcher& d_;
  Config& cfg_;
  SysPort* port_;
  EventLoop& loop_;
  TimerId reboot_timer_ = kNoTimer;
};

class FsService {
 public:
  // Raw bytes per FS.Get reply: its base64 plus the envelope fit a frame.
  static constexpr size_t kMaxGetLen = (Dispatcher::kMaxResult - 48) / 4 * 3;

  FsService(Dispatcher& d, Fs& fs) : d_(d), fs_(fs) {}
  FsService(const FsService&) = delete;
  FsService& operator=(const FsService&) = delete;
  Status register_handlers();

 private:
  static void list(Call& call, void* ctx);
  static void list_ext(Call& call, void* ctx);
  static void get(Call& call, void* ctx);
  static void put(Call& call, void* ctx);
  static void remove(Call& call, void* ctx);
  // Reads params.filename into name_; false if it replied an error.
  bool filename(Call& call);

  Dispatcher& d_;
  Fs& fs_;
  char name_[MOS_FS_MAX_NAME + 1] = {};
  char buf_[MOS_RPC_MAX_FRAME] = {};  // base64 out (FS.Get) or in (FS.Put)
};

// RFC 4648 §4 base64 with padding. encode returns the length written, or 0
// if `out` is too small (needs 4 * ceil(n / 3)). decode accepts the text with
// or without padding, in place (out may alias in), and fails (returns false)
// on any other character or a bad length.
size_t base64_encode(ConstByteSpan in, Span<char> out);
bool base64_decode(std::string_view in, ByteSpan out, size_t* n);

}  // namespace mos::rpc

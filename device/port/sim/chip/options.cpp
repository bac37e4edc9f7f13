#include "options.h"

#include <cstdio>
#include <cstdlib>

namespace mos::sim {
namespace {

void usage() {
  std::fprintf(stderr,
               "usage: mos-sim-board [--name N] [--dir D] [--ap SSID:PASS]... [--flash-size BYTES]\n"
               "                     [--flash-sync every-write|on-flush]\n"
               "A virtual NodeMCU board (ESP8266-like chip): it boots the firmware in its\n"
               "flash, or waits in its ROM serial loader. Start it with `mos sim start`.\n");
}

bool parse_uint(const std::string& v, unsigned long long max, unsigned long long* out) {
  char* end = nullptr;
  unsigned long long n = std::strtoull(v.c_str(), &end, 10);
  if (v.empty() || end == v.c_str() || *end != '\0' || n > max) return false;
  *out = n;
  return true;
}

}  // namespace

bool parse_options(int argc, char** argv, Options* o) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&](std::string* out) {
      if (i + 1 >= argc) return false;
      *out = argv[++i];
      return true;
    };
    std::string v;
    unsigned long long n = 0;
    if (a == "--in-reset") {
      o->in_reset = true;
    } else if (a == "--download") {
      o->download = true;
    } else if (a == "--name" && next(&v)) {
      o->name = v;
    } else if (a == "--dir" && next(&v)) {
      o->dir = v;
    } else if (a == "--ap" && next(&v)) {
      AccessPoint ap;
      std::string why;
      if (parse_access_point(v, &ap, &why) != Status::kOk) {
        std::fprintf(stderr, "bad --ap %s: %s\n", v.c_str(), why.c_str());
        return false;
      }
      o->aps.push_back(ap);
      o->ap_specs.push_back(v);
    } else if (a == "--flash-size" && next(&v)) {
      if (!parse_uint(v, FileFlash::kMaxSize, &n)) {
        std::fprintf(stderr, "bad --flash-size %s: give bytes, e.g. 4194304\n", v.c_str());
        return false;
      }
      o->flash_size = static_cast<uint32_t>(n);
    } else if (a == "--flash-sync" && next(&v)) {
      if (v == "every-write") {
        o->flash_sync = FileFlash::Sync::kEveryWrite;
      } else if (v == "on-flush") {
        o->flash_sync = FileFlash::Sync::kOnFlush;
      } else {
        std::fprintf(stderr, "bad --flash-sync %s: every-write or on-flush\n", v.c_str());
        return false;
      }
    } else if ((a == "--uart-fd" || a == "--ctl-fd" || a == "--boot") && next(&v)) {
      if (!parse_uint(v, 1u << 30, &n)) {
        std::fprintf(stderr, "bad %s %s\n", a.c_str(), v.c_str());
        return false;
      }
      if (a == "--uart-fd") o->uart_fd = static_cast<int>(n);
      if (a == "--ctl-fd") o->ctl_fd = static_cast<int>(n);
      if (a == "--boot") o->boot = static_cast<unsigned>(n);
    } else if (a == "--reset-reason" && next(&v)) {
      o->reset_reason = v;
    } else if ((a == "--dtr" || a == "--rts") && next(&v)) {
      (a == "--dtr" ? o->dtr : o->rts) = v == "1";
    } else {
      usage();
      return false;
    }
  }
  return true;
}

std::vector<std::string> reexec_args(const char* argv0, const Options& o) {
  std::vector<std::string> args = {
      argv0, "--name", o.name, "--dir", ".", "--flash-size", std::to_string(o.flash_size),
      "--uart-fd", std::to_string(o.uart_fd), "--ctl-fd", std::to_string(o.ctl_fd),
      "--boot", std::to_string(o.boot), "--reset-reason", o.reset_reason,
      "--flash-sync", o.flash_sync == FileFlash::Sync::kEveryWrite ? "every-write" : "on-flush",
      "--dtr", o.dtr ? "1" : "0", "--rts", o.rts ? "1" : "0"};
  if (o.in_reset) args.emplace_back("--in-reset");
  if (o.download) args.emplace_back("--download");
  for (const std::string& a : o.ap_specs) {
    args.emplace_back("--ap");
    args.push_back(a);
  }
  return args;
}

}  // namespace mos::sim

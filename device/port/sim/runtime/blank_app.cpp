// The firmware with no app: the board runtime alone (RPC, GPIO, Wi-Fi). Used
// by the board's tests, and as the smallest example of mos/app.h.
#include "mos/app.h"
#include "mos/log.h"

namespace {
void on_network(bool up, void*) { MOS_LOGI("blank app: network %s", up ? "up" : "down"); }
}  // namespace

mos::Status mos_app_init(mos::app::Context& ctx) {
  ctx.on_network(&on_network, nullptr);
  return mos::Status::kOk;
}

// The firmware with no app: the board runtime alone (RPC, GPIO, Wi-Fi). Used
// by the board's tests, and as the smallest example of mos/app.h.
#include "mos/app.h"
#include "mos/log.h"

namespace {
void on_network(bool up, void*) { MOS_LOGI("blank app: network %s", up ? "up" : "down"); }
// What a person types on the console (not an RPC frame) reaches the app.
void on_line(std::string_view line, void*) {
  MOS_LOGI("blank app: you typed \"%.*s\"", static_cast<int>(line.size() > 80 ? 80 : line.size()), line.data());
}
}  // namespace

mos::Status mos_app_init(mos::app::Context& ctx) {
  ctx.on_network(&on_network, nullptr);
  ctx.on_uart_line(&on_line, nullptr);
  return mos::Status::kOk;
}

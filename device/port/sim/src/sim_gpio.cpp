#include "mos/sim/sim_gpio.h"

#include <cstdio>

namespace mos::sim {
namespace {
// NodeMCU v1.0 schematic: 12 kΩ pull-ups on GPIO0 (FLASH button) and GPIO2
// (LED, boot strap); GPIO15 has a pull-down (boot strap). Others float, and a
// floating input reads as LOW here.
bool board_pull(int pin) { return pin == 0 || pin == 2; }
}  // namespace

const char* to_string(GpioMode mode) {
  switch (mode) {
    case GpioMode::kInput: return "input";
    case GpioMode::kInputPullUp: return "input_pullup";
    case GpioMode::kOutput: return "output";
  }
  return "?";
}

SimGpio::SimGpio() = default;

bool SimGpio::usable(int pin) { return pin >= 0 && pin < kPins && !(pin >= 6 && pin <= 11); }

bool SimGpio::level(int pin) const {
  if (pin < 0 || pin >= kPins) return false;
  const Pin& p = pins_[pin];
  if (p.mode == GpioMode::kOutput) return p.latch;
  if (p.driven) return p.drive_level;
  // GPIO16 has no internal pull-up on the ESP8266 (only a pull-down).
  if (p.mode == GpioMode::kInputPullUp && pin != 16) return true;
  return board_pull(pin);
}

template <class F>
Status SimGpio::change(int pin, F&& f) {
  if (!usable(pin)) return Status::kInvalidArg;
  const bool before = level(pin);
  f(pins_[pin]);
  const bool after = level(pin);
  if (before != after && on_change_ != nullptr) on_change_(pin, after, on_change_ctx_);
  return Status::kOk;
}

Status SimGpio::set_mode(int pin, GpioMode mode) {
  return change(pin, [mode](Pin& p) { p.mode = mode; });
}

Status SimGpio::write(int pin, bool lvl) {
  return change(pin, [lvl](Pin& p) { p.latch = lvl; });
}

Status SimGpio::read(int pin, bool* lvl) {
  if (!usable(pin) || lvl == nullptr) return Status::kInvalidArg;
  *lvl = level(pin);
  return Status::kOk;
}

Status SimGpio::drive(int pin, bool lvl) {
  return change(pin, [lvl](Pin& p) {
    p.driven = true;
    p.drive_level = lvl;
  });
}

Status SimGpio::release(int pin) {
  return change(pin, [](Pin& p) { p.driven = false; });
}

std::string SimGpio::to_json() const {
  std::string out = "{\"pins\":{";
  char buf[96];
  bool first = true;
  for (int pin = 0; pin < kPins; ++pin) {
    if (!usable(pin)) continue;
    std::snprintf(buf, sizeof(buf), "%s\"%d\":{\"mode\":\"%s\",\"level\":%d,\"driven\":%s}",
                  first ? "" : ",", pin, to_string(pins_[pin].mode), level(pin) ? 1 : 0,
                  pins_[pin].driven ? "true" : "false");
    out += buf;
    first = false;
  }
  out += "},\"led\":\"";
  out += led_on() ? "on" : "off";
  out += "\"}";
  return out;
}

}  // namespace mos::sim

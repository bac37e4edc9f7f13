#include "mos/rpc_gpio.h"

#include "mos/json.h"

namespace mos::rpc {

Status GpioService::register_handlers() {
  for (const char* m : {"GPIO.Read", "GPIO.Write", "GPIO.Toggle"}) {
    Status s = d_.add_handler(m, &GpioService::handle, this);
    if (s != Status::kOk) return s;
  }
  return Status::kOk;
}

void GpioService::handle(Call& call, void* ctx) {
  Gpio& gpio = static_cast<GpioService*>(ctx)->gpio_;
  json::Token t;
  int pin = -1;
  if (json::find(call.params(), "pin", &t) != json::Result::kOk ||
      json::as_int(t, &pin) != json::Result::kOk) {
    return call.error(400, "pin is required, e.g. {\"pin\": 2}");
  }
  const bool write = json::string_equals(call.method(), "GPIO.Write");
  const bool toggle = json::string_equals(call.method(), "GPIO.Toggle");
  int value = -1;
  if (write && (json::find(call.params(), "value", &t) != json::Result::kOk ||
                json::as_int(t, &value) != json::Result::kOk || (value != 0 && value != 1))) {
    return call.error(400, "value 0 or 1 is required, e.g. {\"pin\": 2, \"value\": 0}");
  }
  bool level = false;
  if (gpio.read(pin, &level) != Status::kOk) {
    return call.error(400, "no such pin: GPIO 0..16 except 6..11 (the flash chip)");
  }
  if (write || toggle) {
    level = write ? value == 1 : !level;
    // Latch first, then switch to output: one edge, no glitch.
    (void)gpio.write(pin, level);
    (void)gpio.set_mode(pin, GpioMode::kOutput);
  }
  (void)gpio.read(pin, &level);
  call.result().begin_object().key("value").int_value(level ? 1 : 0).end_object();
}

}  // namespace mos::rpc

// GPIO of a NodeMCU (ESP-12E module): GPIO0..GPIO16. The board wires the blue
// LED of the module to GPIO2, lit when the pin is LOW, and the FLASH button
// from GPIO0 to ground, with pull-up resistors on both.
#pragma once
#include <cstdint>
#include <string>

#include "mos/hal.h"

namespace mos::sim {

class SimGpio : public Gpio {
 public:
  static constexpr int kPins = 17;
  static constexpr int kLedPin = 2;     // active low
  static constexpr int kButtonPin = 0;  // FLASH: pulls GPIO0 to ground

  // Called whenever the level a voltmeter would read on a pin changes.
  using ChangeFn = void (*)(int pin, bool level, void* ctx);

  SimGpio();
  void set_change_handler(ChangeFn fn, void* ctx) {
    on_change_ = fn;
    on_change_ctx_ = ctx;
  }

  // kInvalidArg for pins out of 0..16 and for GPIO6..11, which wire the
  // module's flash chip (driving them crashes a real ESP8266).
  Status set_mode(int pin, GpioMode mode) override;
  // The level is latched even before the pin is an output, as the chip does.
  Status write(int pin, bool level) override;
  Status read(int pin, bool* level) override;

  // The outside world: something (a pressed button) drives the pin until
  // released. An output pin keeps its own level.
  Status drive(int pin, bool level);
  Status release(int pin);

  // The level on the pin seen from outside: the output latch for outputs,
  // else the external driver, else the pull-up (internal or on the board).
  bool level(int pin) const;
  GpioMode mode(int pin) const { return pins_[pin].mode; }
  bool led_on() const { return !level(kLedPin); }  // lit when the pin is LOW

  // {"pins":{"0":{"mode":"input_pullup","level":1,"driven":false},...},
  //  "led":"off"}: what gpio.json holds and `mos sim gpio` prints.
  std::string to_json() const;

 private:
  struct Pin {
    GpioMode mode = GpioMode::kInput;
    bool latch = false;
    bool driven = false;
    bool drive_level = false;
  };
  static bool usable(int pin);
  template <class F>
  Status change(int pin, F&& f);

  Pin pins_[kPins];
  ChangeFn on_change_ = nullptr;
  void* on_change_ctx_ = nullptr;
};

const char* to_string(GpioMode mode);

}  // namespace mos::sim

// GPIO.* RPC methods, as Mongoose OS's rpc-service-gpio names them:
//   GPIO.Read   {pin}         -> {value}   (never changes the pin's mode)
//   GPIO.Write  {pin, value}  -> {value}   (makes the pin an output)
//   GPIO.Toggle {pin}         -> {value}   (makes the pin an output)
// A pin that becomes an output gets its level latched first, then its
// direction switched, so it shows one edge and never a glitch.
#pragma once
#include "mos/hal.h"
#include "mos/rpc.h"

namespace mos::rpc {

class GpioService {
 public:
  GpioService(Dispatcher& d, Gpio& gpio) : d_(d), gpio_(gpio) {}
  GpioService(const GpioService&) = delete;
  GpioService& operator=(const GpioService&) = delete;
  [[nodiscard]] Status register_handlers();

 private:
  static void handle(Call& call, void* ctx);

  Dispatcher& d_;
  Gpio& gpio_;
};

}  // namespace mos::rpc

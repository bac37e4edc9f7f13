#pragma once
#include "mos/hal.h"

namespace mos::sim::test {
class FakeClock : public Clock {
 public:
  uint64_t now_ms() const override { return now; }
  uint64_t now = 0;
};
}  // namespace mos::sim::test

#include "mos/assert.h"

#include <cstdlib>

namespace mos {
namespace {
AssertHandler g_handler = nullptr;
}

void set_assert_handler(AssertHandler handler) { g_handler = handler; }

void assert_failed(const char* file, int line, const char* expr) {
  if (g_handler != nullptr) g_handler(file, line, expr);
  std::abort();
}

}  // namespace mos

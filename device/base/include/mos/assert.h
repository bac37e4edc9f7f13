// Broken invariants (programming errors, never bad input) go to one handler.
// Bad input must return a Status instead (STYLE.md §4).
#pragma once

namespace mos {
using AssertHandler = void (*)(const char* file, int line, const char* expr);
void set_assert_handler(AssertHandler handler);
[[noreturn]] void assert_failed(const char* file, int line, const char* expr);
}  // namespace mos

// The condition is always evaluated (it may have effects). Release (NDEBUG)
// builds keep file and line but not the expression's text, to save flash.
#ifdef NDEBUG
#define MOS_ASSERT(expr) ((expr) ? (void)0 : ::mos::assert_failed(__FILE__, __LINE__, ""))
#else
#define MOS_ASSERT(expr) \
  ((expr) ? (void)0 : ::mos::assert_failed(__FILE__, __LINE__, #expr))
#endif

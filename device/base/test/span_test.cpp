#include "mos/span.h"

#include <gtest/gtest.h>

namespace mos {
namespace {

TEST(Span, SubspanClampsInsteadOfOverrunning) {
  uint8_t bytes[4] = {1, 2, 3, 4};
  ByteSpan s(bytes);
  EXPECT_EQ(s.subspan(2).size(), 2u);
  EXPECT_EQ(s.subspan(9).size(), 0u);
  EXPECT_EQ(s.subspan(1, 99).size(), 3u);
  EXPECT_EQ(s.first(2)[1], 2);
}

TEST(Span, ConstConversionAndStringViews) {
  uint8_t bytes[3] = {'a', 'b', 'c'};
  ConstByteSpan c = ByteSpan(bytes);
  EXPECT_EQ(as_string(c), "abc");
  EXPECT_EQ(as_bytes("xy").size(), 2u);
}

}  // namespace
}  // namespace mos

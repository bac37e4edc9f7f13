// A minimal non-owning view over contiguous memory (C++17 has no std::span).
// A Span is valid only as long as the memory it points to.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

namespace mos {

template <class T>
class Span {
 public:
  constexpr Span() = default;
  constexpr Span(T* data, size_t size) : data_(data), size_(size) {}
  template <size_t N>
  constexpr Span(T (&array)[N]) : data_(array), size_(N) {}  // NOLINT: implicit by design
  // A Span<const T> from a Span<T>.
  template <class U, class = std::enable_if_t<std::is_same_v<const U, T>>>
  constexpr Span(Span<U> other) : data_(other.data()), size_(other.size()) {}  // NOLINT

  constexpr T* data() const { return data_; }
  constexpr size_t size() const { return size_; }
  constexpr bool empty() const { return size_ == 0; }
  constexpr T& operator[](size_t i) const { return data_[i]; }
  constexpr T* begin() const { return data_; }
  constexpr T* end() const { return data_ + size_; }
  // Clamped: asking past the end yields an empty or shorter view, never UB.
  constexpr Span subspan(size_t offset, size_t count = SIZE_MAX) const {
    if (offset > size_) offset = size_;
    size_t left = size_ - offset;
    return Span(data_ + offset, count < left ? count : left);
  }
  constexpr Span first(size_t count) const { return subspan(0, count); }

 private:
  T* data_ = nullptr;
  size_t size_ = 0;
};

using ByteSpan = Span<uint8_t>;
using ConstByteSpan = Span<const uint8_t>;

inline ConstByteSpan as_bytes(std::string_view s) {
  return ConstByteSpan(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}
inline std::string_view as_string(ConstByteSpan b) {
  return std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
}

}  // namespace mos

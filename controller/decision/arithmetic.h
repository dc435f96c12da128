// Upstream's arithmetic, to the last bit: binary64 products before ceil, int64 milli-units, and
// conversions that saturate where Go would wrap or C++ would be undefined.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>

namespace ebb::decision {

// 128-bit sums keep int64 milli-unit totals of many pods from overflowing.
__extension__ typedef __int128 Int128;

// int32(math.Ceil(x)) with saturation (newer upstream caps at MaxInt32; negative never occurs).
inline int32_t CeilToInt32(double x) {
  const double c = std::ceil(x);
  if (!(c < 2147483647.0)) return std::numeric_limits<int32_t>::max();  // also NaN
  if (c < -2147483648.0) return std::numeric_limits<int32_t>::min();
  return static_cast<int32_t>(c);
}

// int32(x) truncating toward zero, saturating.
inline int32_t TruncToInt32(double x) {
  if (!(x < 2147483647.0)) return std::numeric_limits<int32_t>::max();
  if (x < -2147483648.0) return std::numeric_limits<int32_t>::min();
  return static_cast<int32_t>(x);
}

inline int64_t SaturatingAdd(int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) {
    return b > 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
  }
  return r;
}

inline int32_t SaturatingAdd32(int32_t a, int32_t b) {
  int32_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) {
    return b > 0 ? std::numeric_limits<int32_t>::max() : std::numeric_limits<int32_t>::min();
  }
  return r;
}

// The tolerance band, inclusive at both ends since upstream 1.33.
struct Tolerances {
  double scale_down = 0.1;
  double scale_up = 0.1;
  bool IsWithin(double ratio) const {
    return (1.0 - scale_down) <= ratio && ratio <= (1.0 + scale_up);
  }
};

}  // namespace ebb::decision

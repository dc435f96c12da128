#include "controller/decision/arithmetic.h"

#include <catch2/catch.hpp>
#include <limits>

using ebb::decision::CeilToInt32;
using ebb::decision::Tolerances;
using ebb::decision::TruncToInt32;

TEST_CASE("ceil of binary64 products matches upstream, including float error", "[decision]") {
  // upstream: utilisation 28 % against 50 % on 25 pods is 0.56 * 25 = 14.000000000000002 -> 15.
  CHECK(CeilToInt32(28.0 / 50.0 * 25.0) == 15);
  CHECK(CeilToInt32(0.56 * 5.0) == 3);
  CHECK(CeilToInt32(4.0) == 4);
  CHECK(CeilToInt32(0.0) == 0);
}

TEST_CASE("conversions saturate instead of wrapping or being undefined", "[decision]") {
  CHECK(CeilToInt32(1e300) == std::numeric_limits<int32_t>::max());
  CHECK(CeilToInt32(std::numeric_limits<double>::infinity()) ==
        std::numeric_limits<int32_t>::max());
  CHECK(CeilToInt32(std::numeric_limits<double>::quiet_NaN()) ==
        std::numeric_limits<int32_t>::max());
  CHECK(TruncToInt32(-1e300) == std::numeric_limits<int32_t>::min());
  CHECK(TruncToInt32(2.9) == 2);
  CHECK(TruncToInt32(-2.9) == -2);
}

TEST_CASE("tolerance band is inclusive at both ends (upstream 1.33+)", "[decision]") {
  const Tolerances t{0.1, 0.1};
  struct Row {
    double ratio;
    bool within;
  };
  const Row rows[] = {
      {1.0, true},
      {1.1, true},  // |1-1.1| = 0.10000000000000009: outside before 1.33
      {0.9, true},
      {1.1000001, false},
      {0.8999999, false},
      {0.0, false},
      {std::numeric_limits<double>::infinity(), false},
      {std::numeric_limits<double>::quiet_NaN(), false},
  };
  for (const Row& r : rows) {
    INFO("ratio " << r.ratio);
    CHECK(t.IsWithin(r.ratio) == r.within);
  }
  const Tolerances asymmetric{0.5, 0.0};  // scale down only below 0.5, scale up above 1.0
  CHECK(asymmetric.IsWithin(0.5));
  CHECK_FALSE(asymmetric.IsWithin(1.0000001));
  CHECK(asymmetric.IsWithin(1.0));
}

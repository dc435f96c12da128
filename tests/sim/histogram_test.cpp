// The wait histogram: its buckets found without a logarithm are the buckets of the definition,
// and its quantiles are within half a bucket (0.5 %) of the exact order statistics.
#include "controller/sim/histogram.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <vector>

#include "controller/sim/service_time.h"

namespace ebb::sim {
namespace {

TEST_CASE("histogram: the table lookup finds the logarithm's bucket", "[sim][histogram]") {
  // Next to every step of the definition (1e-3 x 1.01^k), a few doubles either side.
  int64_t checked = 0;
  for (int k = -2; k <= 2905; ++k) {
    const double edge = 1e-3 * std::pow(1.01, k);
    double below = edge;
    double above = edge;
    for (int u = 0; u < 4; ++u) {
      REQUIRE(Histogram::BucketOf(below) == Histogram::BucketByLog(below));
      REQUIRE(Histogram::BucketOf(above) == Histogram::BucketByLog(above));
      below = std::nextafter(below, 0.0);
      above = std::nextafter(above, 1e300);
      checked += 2;
    }
  }
  // And values spread over the whole range, log-uniformly.
  RandomStream rng(5);
  for (int i = 0; i < 200'000; ++i) {
    const double v = std::exp(std::log(1e-5) + rng.Uniform() * (std::log(1e12) - std::log(1e-5)));
    REQUIRE(Histogram::BucketOf(v) == Histogram::BucketByLog(v));
    ++checked;
  }
  for (double v : {0.0, -1.0, 1e-300, 1e-3, 1e300, std::nan("")}) {
    CHECK(Histogram::BucketOf(v) == Histogram::BucketByLog(v));
  }
  CHECK(Histogram::BucketOf(0.0) == 0);
  CHECK(Histogram::BucketOf(1e-3) == 1);
  CHECK(Histogram::BucketOf(1e-3 * 1.01 * 1.0000001) == 2);
  CHECK(Histogram::BucketOf(1.0) == Histogram::BucketOf(1.0049));
  CHECK(Histogram::BucketOf(1.0) + 1 == Histogram::BucketOf(1.0101));
  CHECK(checked > 200'000);
}

TEST_CASE("histogram: quantiles within half a bucket of the exact ones", "[sim][histogram]") {
  RandomStream rng(11);
  std::vector<double> v;
  Histogram h;
  for (int i = 0; i < 100'000; ++i) {
    const double x = i % 3 == 0 ? 0.0 : 20 * rng.Exponential();
    v.push_back(x);
    h.Add(x);
  }
  std::sort(v.begin(), v.end());
  for (double q : {0.2, 0.5, 0.9, 0.95, 0.99, 0.999}) {
    // Nearest rank: the smallest value with at least q of the weight at or below it.
    const auto rank = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size())));
    const double exact = v[rank - 1];
    INFO("q " << q << " exact " << exact << " histogram " << h.Quantile(q));
    if (exact == 0) {
      CHECK(h.Quantile(q) == 0);
    } else {
      CHECK(std::abs(h.Quantile(q) / exact - 1) <= 0.00501);
    }
  }
  CHECK(h.Quantile(1) == v.back());
  CHECK(h.Quantile(0) == 0);
}

TEST_CASE("histogram: merged, the values of both as if added to one", "[sim][histogram]") {
  RandomStream rng(5);
  Histogram a, b, both;
  for (int i = 0; i < 30'000; ++i) {
    const double x = 3 + 40 * rng.Exponential();
    (i % 4 == 0 ? a : b).Add(x);
    both.Add(x);
  }
  Histogram merged;
  merged.Merge(Histogram{});  // an empty one adds nothing (min and max stay unset)
  merged.Merge(a);
  merged.Merge(b);
  CHECK(merged.total_weight() == both.total_weight());
  CHECK(merged.min() == both.min());
  CHECK(merged.max() == both.max());
  CHECK(merged.mean() == Approx(both.mean()).epsilon(1e-12));
  for (double q : {0.0, 0.5, 0.9, 0.99, 0.999, 1.0}) {
    INFO("q " << q);
    CHECK(merged.Quantile(q) == both.Quantile(q));
  }
  // The quantile of the two together lies between theirs.
  CHECK(merged.Quantile(0.99) >= std::min(a.Quantile(0.99), b.Quantile(0.99)));
  CHECK(merged.Quantile(0.99) <= std::max(a.Quantile(0.99), b.Quantile(0.99)));
}

}  // namespace
}  // namespace ebb::sim

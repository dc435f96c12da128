#include "controller/sim/histogram.h"

#include <algorithm>
#include <cmath>

namespace ebb::sim {

size_t Histogram::BucketOf(double value) {
  if (!(value > 0)) return 0;
  if (value < kLowest) return 1;
  const double idx = std::floor(std::log(value / kLowest) / std::log(kGrowth));
  if (idx >= static_cast<double>(kBuckets - 1)) return kBuckets;
  return static_cast<size_t>(idx) + 1;
}

double Histogram::BucketValue(size_t bucket) {
  if (bucket == 0) return 0;
  // The geometric middle of the bucket keeps the relative error symmetric.
  return kLowest * std::pow(kGrowth, static_cast<double>(bucket - 1) + 0.5);
}

void Histogram::Add(double value, double weight) {
  if (!(weight > 0) || !std::isfinite(value)) return;
  if (total_ == 0) {
    min_ = value;
    max_ = value;
  } else {
    min_ = std::min(min_, value);
    max_ = std::max(max_, value);
  }
  weights_[BucketOf(value)] += weight;
  total_ += weight;
  sum_ += value * weight;
}

void Histogram::ObserveExtremes(double lo, double hi) {
  if (total_ <= 0 || !std::isfinite(lo) || !std::isfinite(hi)) return;
  min_ = std::min(min_, lo);
  max_ = std::max(max_, hi);
}

double Histogram::Quantile(double q) const {
  if (total_ <= 0) return 0;
  if (q >= 1) return max_;
  const double rank = std::max(q, 0.0) * total_;
  double seen = 0;
  for (size_t b = 0; b <= kBuckets; ++b) {
    seen += weights_[b];
    // The small slack absorbs rounding in sums of fractional weights.
    if (seen >= rank - 1e-9 * total_ && weights_[b] > 0) {
      return std::clamp(BucketValue(b), min_, max_);
    }
  }
  return max_;
}

}  // namespace ebb::sim

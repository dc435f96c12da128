#include "controller/sim/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <vector>

namespace ebb::sim {
namespace {

// A positive double's bits, as an integer, grow with its value; their top bits (the exponent and
// the mantissa's first kKeyBits) cut each octave into 2^kKeyBits slices, each under a bucket wide
// (a bucket is 1 % and a slice at most 2^-7 of an octave, 0.54 %).
constexpr int kKeyBits = 7;
constexpr int kKeyShift = 52 - kKeyBits;

uint64_t Key(double v) {
  return std::bit_cast<uint64_t>(v) >> kKeyShift;
}

}  // namespace

// The bucket by its definition: floor(log(value / kLowest) / log(kGrowth)) + 1.
size_t Histogram::BucketByLog(double value) {
  if (!(value > 0)) return 0;
  if (value < kLowest) return 1;
  const double idx = std::floor(std::log(value / kLowest) / std::log(kGrowth));
  if (idx >= static_cast<double>(kBuckets - 1)) return kBuckets;
  return static_cast<size_t>(idx) + 1;
}

// The same bucket without a logarithm per value: from tables of where BucketByLog steps, found
// once by bisection over the doubles (BucketByLog never decreases as the value grows).
struct Histogram::Steps {
  // lower[b]: the least double BucketByLog puts in bucket b or above (b in 2..kBuckets).
  std::vector<double> lower;
  // The bucket of the least value of each slice from Key(kLowest) on.
  std::vector<uint16_t> first;
  uint64_t first_key = 0;

  Steps() : lower(kBuckets + 1, 0.0) {
    lower[1] = kLowest;
    uint64_t lo = std::bit_cast<uint64_t>(kLowest);
    for (size_t b = 2; b <= kBuckets; ++b) {
      uint64_t hi = std::bit_cast<uint64_t>(1e300);  // BucketByLog(1e300) == kBuckets
      // The least bit pattern in (lo, hi] whose value is in bucket b or above.
      while (hi - lo > 1) {
        const uint64_t mid = lo + (hi - lo) / 2;
        if (BucketByLog(std::bit_cast<double>(mid)) >= b) {
          hi = mid;
        } else {
          lo = mid;
        }
      }
      lower[b] = std::bit_cast<double>(hi);
      lo = hi - 1;
    }
    first_key = Key(kLowest);
    const uint64_t last_key = Key(lower[kBuckets]);
    first.resize(last_key - first_key + 1);
    for (uint64_t k = first_key; k <= last_key; ++k) {
      const double least = std::max(kLowest, std::bit_cast<double>(k << kKeyShift));
      first[k - first_key] = static_cast<uint16_t>(BucketByLog(least));
    }
  }
};

const Histogram::Steps& Histogram::StepTable() {
  static const Steps steps;
  return steps;
}

size_t Histogram::BucketOf(double value) {
  if (!(value > 0)) return 0;
  if (value < kLowest) return 1;
  const Steps& s = StepTable();
  if (value >= s.lower[kBuckets]) return kBuckets;
  size_t b = s.first[Key(value) - s.first_key];
  while (value >= s.lower[b + 1]) ++b;
  return b;
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

void Histogram::Merge(const Histogram& other) {
  if (other.total_ <= 0) return;
  if (total_ <= 0) {
    min_ = other.min_;
    max_ = other.max_;
  } else {
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
  }
  for (size_t b = 0; b <= kBuckets; ++b) weights_[b] += other.weights_[b];
  total_ += other.total_;
  sum_ += other.sum_;
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

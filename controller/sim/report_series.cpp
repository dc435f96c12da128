#include "controller/sim/report_series.h"

#include <algorithm>
#include <cmath>

namespace ebb::sim {
namespace {

void Merge(SeriesBucket& into, const SeriesBucket& b) {
  if (b.n > 0) {
    into.min = into.n > 0 ? std::min(into.min, b.min) : b.min;
    into.max = into.n > 0 ? std::max(into.max, b.max) : b.max;
  }
  into.sum += b.sum;
  into.n += b.n;
  into.ticks += b.ticks;
  into.t1_ms = b.t1_ms;
}

}  // namespace

void MinMaxSeries::Add(Timestamp t, double value) {
  const int64_t ms = ToUnixMillis(t);
  if (buckets_.empty() || buckets_.back().ticks >= per_bucket_) {
    if (buckets_.size() >= max_buckets_) Halve();
    if (buckets_.empty() || buckets_.back().ticks >= per_bucket_) {
      SeriesBucket b;
      b.t0_ms = ms;
      b.t1_ms = ms;
      buckets_.push_back(b);
    }
  }
  SeriesBucket& b = buckets_.back();
  b.t1_ms = ms;
  ++b.ticks;
  if (std::isfinite(value)) {
    b.min = b.n > 0 ? std::min(b.min, value) : value;
    b.max = b.n > 0 ? std::max(b.max, value) : value;
    b.sum += value;
    ++b.n;
  }
}

void MinMaxSeries::Halve() {
  std::vector<SeriesBucket> merged;
  merged.reserve(buckets_.size() / 2 + 1);
  for (size_t i = 0; i < buckets_.size(); i += 2) {
    SeriesBucket b = buckets_[i];
    if (i + 1 < buckets_.size()) Merge(b, buckets_[i + 1]);
    merged.push_back(b);
  }
  buckets_.swap(merged);
  per_bucket_ *= 2;
}

double MinMaxSeries::Max() const {
  double m = 0;
  for (const auto& b : buckets_) {
    if (b.n > 0) m = std::max(m, b.max);
  }
  return m;
}

}  // namespace ebb::sim

// A time series kept for charts in bounded memory: consecutive ticks are grouped into buckets
// holding min, max and mean, and the buckets double in width whenever there are too many. Spikes
// survive as a bucket's max however long the run.
#pragma once

#include <cstdint>
#include <vector>

#include "controller/base/time.h"

namespace ebb::sim {

struct SeriesBucket {
  int64_t t0_ms = 0;  // first tick in the bucket
  int64_t t1_ms = 0;  // last tick in the bucket
  double min = 0;
  double max = 0;
  double sum = 0;
  int32_t n = 0;      // finite values (0: a gap)
  int32_t ticks = 0;  // ticks, finite or not

  double mean() const { return n > 0 ? sum / n : 0; }
};

class MinMaxSeries {
 public:
  explicit MinMaxSeries(size_t max_buckets = 2000) : max_buckets_(max_buckets) {}

  // Ticks in time order; NaN marks a tick without a value.
  void Add(Timestamp t, double value);
  const std::vector<SeriesBucket>& buckets() const { return buckets_; }
  int32_t ticks_per_bucket() const { return per_bucket_; }
  bool empty() const { return buckets_.empty(); }
  // The largest finite value (0 when none).
  double Max() const;

 private:
  void Halve();

  size_t max_buckets_;
  int32_t per_bucket_ = 1;
  std::vector<SeriesBucket> buckets_;
};

}  // namespace ebb::sim

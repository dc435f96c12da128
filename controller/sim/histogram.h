// Weighted percentiles in fixed memory: log-spaced buckets 1 % wide, so a year of ticks or
// millions of tasks cost the same 22 KB, and quantiles are within 1 % of the exact value.
#pragma once

#include <array>
#include <cstddef>

namespace ebb::sim {

class Histogram {
 public:
  // Values <= 0 (an empty queue, a task served at once) are counted exactly as 0.
  void Add(double value, double weight = 1.0);
  // Widens min/max without adding weight: the exact ends of a spread that Add sampled.
  void ObserveExtremes(double lo, double hi);
  // Adds every value `other` holds (a quantile over several runs' values together).
  void Merge(const Histogram& other);

  double total_weight() const { return total_; }
  double max() const { return max_; }
  double min() const { return min_; }
  double mean() const { return total_ > 0 ? sum_ / total_ : 0; }
  // Nearest-rank quantile, q in [0, 1]; 0 when empty. The exact max for q = 1.
  double Quantile(double q) const;

  // The bucket a value is counted in (0 for values <= 0): by its definition, a logarithm, and
  // as Add finds it, from tables without one (a logarithm per task was a tenth of a pool run).
  // Always the same bucket.
  static size_t BucketByLog(double value);
  static size_t BucketOf(double value);

 private:
  static constexpr double kLowest = 1e-3;
  static constexpr double kGrowth = 1.01;
  static constexpr size_t kBuckets = 2900;  // 1e-3 .. ~3e9

  struct Steps;
  static const Steps& StepTable();
  static double BucketValue(size_t bucket);

  std::array<double, kBuckets + 1> weights_{};  // [0] holds the zeros
  double total_ = 0;
  double sum_ = 0;
  double max_ = 0;
  double min_ = 0;
};

}  // namespace ebb::sim

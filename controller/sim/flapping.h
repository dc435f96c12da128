// Flapping: the replica count reversing direction (up after down, or down after up) more than
// `reversals` times within `window_seconds`. Each such stretch is a region, from the first to
// the last reversal in it; overlapping stretches merge. Streamed in fixed memory (the last few
// reversals and a bounded list of regions for the report), so a year of ticks costs the same.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

namespace ebb::sim {

struct FlappingRule {
  int32_t reversals = 4;         // more than this many direction changes ...
  double window_seconds = 1800;  // ... within this long is flapping
};

struct FlappingRegion {
  double start = 0;  // seconds since the run's start
  double end = 0;
  int32_t reversals = 0;
};

struct FlappingResult {
  int32_t reversals = 0;               // direction changes over the run
  int32_t regions = 0;                 // flapping regions over the run
  double seconds = 0;                  // their total length
  std::vector<FlappingRegion> listed;  // the first kMaxListed of them
};

class FlappingDetector {
 public:
  static constexpr size_t kMaxListed = 2000;

  explicit FlappingDetector(FlappingRule rule = {}) : rule_(rule) {}
  // A scale event at `seconds` (non-decreasing), up when `up`.
  void OnScale(double seconds, bool up);
  FlappingResult Finish() const;
  const FlappingRule& rule() const { return rule_; }

 private:
  void Close(FlappingResult& into, const FlappingRegion& r) const;

  FlappingRule rule_;
  int last_direction_ = 0;     // +1 up, -1 down, 0 none yet
  std::deque<double> recent_;  // the last reversals + 1 reversal times
  bool open_ = false;
  FlappingRegion current_;
  FlappingResult done_;
};

}  // namespace ebb::sim

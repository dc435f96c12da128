#include "controller/tune/busiest_window.h"

#include <algorithm>

namespace ebb::tune {
namespace {

// Tasks arriving in [a, b), from the segment `first` on (every earlier one ends by a).
double TasksIn(const std::vector<sim::RateSegment>& s, size_t first, double a, double b) {
  double n = 0;
  for (size_t k = first; k < s.size() && s[k].start < b; ++k) {
    const double lo = std::max(a, s[k].start);
    const double hi = std::min(b, s[k].end);
    if (hi > lo) n += (hi - lo) * s[k].rate;
  }
  return n;
}

}  // namespace

BusiestWindow FindBusiestWindow(const std::vector<sim::RateSegment>& arrivals, double window) {
  BusiestWindow best;
  if (arrivals.empty() || !(window > 0)) return best;
  // Windows starting on a segment's start, and ending on a segment's end. `first` is the first
  // segment still ending after the window's start (starts only grow along each pass).
  size_t first = 0;
  for (const sim::RateSegment& s : arrivals) {
    while (first < arrivals.size() && arrivals[first].end <= s.start) ++first;
    const double n = TasksIn(arrivals, first, s.start, s.start + window);
    if (n > best.tasks) best = {n, s.start};
  }
  first = 0;
  for (const sim::RateSegment& s : arrivals) {
    const double a = s.end - window;
    while (first < arrivals.size() && arrivals[first].end <= a) ++first;
    const double n = TasksIn(arrivals, first, a, s.end);
    if (n > best.tasks) best = {n, a};
  }
  return best;
}

}  // namespace ebb::tune

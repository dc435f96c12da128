// The busiest window of a part's arrivals, which `ebb tune` reports when the held-out part
// misses: cases worked out by hand, and a brute-force scan over window starts to agree with.
#include "controller/tune/busiest_window.h"

#include <catch2/catch.hpp>

namespace ebb::tune {
namespace {

using sim::RateSegment;

struct Case {
  const char* name;
  std::vector<RateSegment> arrivals;
  double window;
  double tasks;
  double start;
};

// Tasks in [a, a + w), summed segment by segment.
double Scan(const std::vector<RateSegment>& s, double a, double w) {
  double n = 0;
  for (const RateSegment& g : s) {
    const double lo = std::max(a, g.start);
    const double hi = std::min(a + w, g.end);
    if (hi > lo) n += (hi - lo) * g.rate;
  }
  return n;
}

TEST_CASE("busiest window: by hand", "[tune]") {
  const std::vector<Case> cases{
      {"nothing arrives", {}, 60, 0, 0},
      {"no window", {{0, 60, 1}}, 0, 0, 0},
      {"one steady segment longer than the window", {{0, 600, 2}}, 60, 120, 0},
      {"a window longer than the whole part", {{0, 60, 1}, {60, 120, 3}}, 1000, 240, 0},
      // A burst of 10/s for 30 s among 1/s: the window holding all of it and 30 s more at 1/s.
      {"a burst inside quiet", {{0, 100, 1}, {100, 130, 10}, {130, 300, 1}}, 60, 330, 100},
      // Two bursts: the later, larger one wins.
      {"the larger of two bursts", {{0, 10, 5}, {10, 500, 0}, {500, 520, 6}}, 30, 120, 500},
      // The most is reached with the window's end on a segment's end: a ramp of rising steps.
      {"rising steps", {{0, 60, 1}, {60, 120, 2}, {120, 180, 4}}, 90, 300, 90},
      {"gaps between segments", {{0, 10, 1}, {50, 60, 1}, {70, 80, 1}}, 30, 20, 50},
  };
  for (const Case& c : cases) {
    SECTION(c.name) {
      const BusiestWindow b = FindBusiestWindow(c.arrivals, c.window);
      CHECK(b.tasks == Approx(c.tasks));
      if (c.tasks > 0) CHECK(Scan(c.arrivals, b.start, c.window) == Approx(c.tasks));
      if (c.tasks > 0) CHECK(b.start == Approx(c.start));
    }
  }
}

TEST_CASE("busiest window: no start of the window does better", "[tune]") {
  // Per-second counts with a pattern, as a per-second recording gives.
  std::vector<RateSegment> s;
  for (int t = 0; t < 2000; ++t) s.push_back({double(t), double(t + 1), double((t * 37) % 11)});
  for (double w : {1.0, 7.5, 60.0, 165.0}) {
    CAPTURE(w);
    const BusiestWindow b = FindBusiestWindow(s, w);
    for (double a = -w; a < 2000; a += 0.5) CHECK(Scan(s, a, w) <= b.tasks + 1e-9);
  }
}

}  // namespace
}  // namespace ebb::tune

// The busiest stretch of a part of a recording: the most tasks arriving within any window of a
// given length. `ebb tune` compares the held-out part's with the training part's, so a held-out
// miss caused by a burst the search never saw is told apart from a policy fitted too tightly.
#pragma once

#include <vector>

#include "controller/sim/workload.h"

namespace ebb::tune {

struct BusiestWindow {
  double tasks = 0;  // arriving within the window
  double start = 0;  // seconds from the part's start
};

// Over arrival-rate segments sorted by start and not overlapping. The most is reached with an
// edge of the window on a segment's edge (the count is piecewise linear in the window's start),
// so only those starts are tried.
BusiestWindow FindBusiestWindow(const std::vector<sim::RateSegment>& arrivals, double window);

}  // namespace ebb::tune

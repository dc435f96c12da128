// Scheduled floors for `ebb tune`, derived from the training part's load: per hour of the day
// (and per weekday/weekend when the part spans two weeks or more), the replicas the load keeps
// busy on a given quantile of the days, merged into a few levels a day, each written as a
// spec.schedules window that opens a start-up ahead of its hour (so the capacity is ready when
// the hour begins). Few levels make few scale events: a floor step is one event.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "controller/sim/pool_queue.h"
#include "controller/tune/candidate.h"

namespace ebb::tune {

// Parts at least this long are split into weekdays (Monday-Friday) and weekends, UTC.
inline constexpr double kWeeklySplitSeconds = 14 * 86400.0;

// The busy replicas of each whole-enough hour (at least half of it inside the part) of the
// part, grouped by hour of the day: values[type * 24 + hour], one value per day that hour was
// seen; type 0 is every day (or weekdays when `weekly`), type 1 weekends.
struct HourlyBusy {
  bool weekly = false;
  // Weekly: the hour of the day (UTC) the days run from, the quietest one (least busy on
  // average, the first of equals); a day type is that of the day its hours start on. 0 else.
  int32_t day_start = 0;
  int32_t days = 0;  // whole days the part spans
  std::array<std::vector<double>, 48> values;
};

// `busy` with every value multiplied by `factor` (a trend applied to the counted load).
HourlyBusy Scaled(HourlyBusy busy, double factor);

// Busy replicas of an hour: the service seconds of the tasks arriving in it, over the seconds
// of it inside the part, over a replica's concurrent slots. `origin_ms` is the Unix time of
// second 0 of the tasks; tasks before `from_seconds` or at or after `end_seconds` are not
// counted. Weekly (weekdays and weekends apart) when [0, end_seconds) spans two weeks or more,
// even when [from_seconds, end_seconds) is shorter: the last week of a long part keeps the
// weekly pattern the whole part showed.
HourlyBusy BusyByHour(const sim::PoolTasks& tasks, int64_t origin_ms, double end_seconds,
                      int32_t concurrency, double from_seconds = 0);

// The load's growth from one week to the next: the service seconds of the tasks arriving in the
// last 7 days before `end_seconds` over those of the 7 days before them (a week against a week,
// so the weekly pattern cancels), clamped to [1, kMaxWeeklyGrowth]; 1 when [0, end_seconds)
// spans less than two weeks or the earlier week had no work. A shrinking load counts as flat:
// floors are not lowered on a guess.
inline constexpr double kMaxWeeklyGrowth = 2.0;
double WeeklyGrowth(const sim::PoolTasks& tasks, double end_seconds);

// The tasks arriving in [from_seconds, end_seconds), their times from `from_seconds`, and about
// (growth - 1) x as many more: each task is copied with that probability (seeded), the copy
// arriving up to a minute later with the service of a task picked at random from the window (so
// the service times keep their distribution); sorted by arrival. A load grown as the trend
// says it will, for checking a policy against the next week rather than the last.
sim::PoolTasks GrownTasks(const sim::PoolTasks& tasks, double from_seconds, double end_seconds,
                          double growth, uint64_t seed);

struct ScheduleShape {
  double quantile = 0.75;  // of the days' busy replicas at each hour of the day
  int levels = 4;          // the day (each day type) cut into at most this many floor levels
};

struct ScheduleBounds {
  int32_t min_replicas = 1;   // windows only above this (the constant floor as given)
  int32_t max_replicas = 1;   // and never above this
  int32_t lead_seconds = 60;  // a window opens this early (whole minutes, rounded up)
};

// The per-hour floor is the quantile's busy replicas rounded up; the day is cut into at most
// `levels` runs of hours, each at the lowest floor of its hours, the cut leaving the fewest
// replica-hours below the per-hour floors (every day: the day is a circle, a run may cross
// midnight; weekly: each day type from its quietest hour to the same hour the next day). A window
// per run above `min_replicas`; a run of the whole day (every day) is a constant floor and gets
// none.
std::vector<ScheduleWindow> DeriveSchedule(const HourlyBusy& busy, const ScheduleShape& shape,
                                           const ScheduleBounds& bounds);

struct ScheduleOption {
  std::string label;  // "p75 of the days in 4 levels a day"
  std::vector<ScheduleWindow> windows;
};

// The shapes the search tries (quantiles 0.5, 0.75, 0.9; 3 and 6 levels a day), distinct and
// non-empty; none when the part spans less than two days (no daily pattern to see). With
// `recent` (the busy replicas of the part's last days, BusyByHour's `from_seconds`), the same
// shapes of those days too, after the others ("p75 of the last 7 days in 6 levels a day"),
// when it spans two days or more, and with a `growth` other than 1, those shapes of `recent`
// Scaled by it too ("p75 of the last 7 days x1.40 in 6 levels a day"); a shape already offered
// is not offered twice.
std::vector<ScheduleOption> ScheduleOptions(const HourlyBusy& busy, const ScheduleBounds& bounds,
                                            const HourlyBusy* recent = nullptr, double growth = 1);

}  // namespace ebb::tune

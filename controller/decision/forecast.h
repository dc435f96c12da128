// The predictive part of a metric: its history in fixed buckets and a forecast from it.
//
// Method: the coming ramp. Per season (one day, one week), the rise the metric made one season
// ago from the same time to `lookahead` later (the highest bucket mean then, less the bucket mean
// at the same time; never a fall) is added to the current reading. The season's level itself is
// not used: on real traces bursts do not recur at the same five minutes a day later, and a
// seasonal level over-forecasts (BENCHMARKS.md, "Predictive"); what recurs is the shape of a
// regular ramp (office hours, a match kicking off at the same time each day). The daily rise is
// the one that recurred: the smaller of the rises one and two days ago (one day ago alone on the
// second day), so a burst seen once is not forecast. The weekly rise (seen once, a week ago) is
// back-tested over the last day at the same lookahead against persistence (the reading alone)
// and used while it was better (or before it has a back-test), unless the daily one back-tested
// clearly better; otherwise the daily rise is used. The rise used counts for the share of that
// season's rises that came true over the last week (the back-tested least-squares slope of the
// rise that came on the rise forecast, in [0, 1]; 1 before half a day is back-tested). No fitted
// parameters beyond that slope; gaps (a restart, a failed metric) need no re-fit; it forecasts
// after one day; cheap enough to run at every decision.
#pragma once

#include <optional>

#include "controller/decision/types.h"

namespace ebb::decision {

inline constexpr int64_t kDaySeconds = 86400;
inline constexpr int64_t kWeekSeconds = 7 * kDaySeconds;
// A week and a day of the finest buckets (300 s): the weekly season plus its level and error
// windows. The persisted history of a metric never holds more values than this.
inline constexpr size_t kMaxHistoryBuckets = 2304;
// The daily season replaces the weekly one only when its back-tested error over the last day
// (less persistence's) is below the weekly one's by more than this share of the weekly one's.
inline constexpr double kDailyPreference = 0.2;

// Adds a reading taken at `now` to the bucket it falls in; closes the previous bucket when a new
// one starts. Readings older than the open bucket (a clock stepped back) are dropped.
void RecordSample(MetricHistory& history, const PredictiveSettings& settings, Timestamp now,
                  int64_t value_milli);

// The metric's value expected `lookahead_seconds` after `now`: `reading_milli` (the reading at
// `now`) plus the season's rise times its back-tested slope, times (1 + headroom); never below
// the reading times (1 + headroom). nullopt while warming up (less than min_history_seconds of
// history, or no history for the seasons' matching buckets), for a negative reading, and when only
// the weekly season is used and it back-tests worse than persistence. Caches the back-tests in
// `history` once per bucket.
std::optional<int64_t> ForecastValue(MetricHistory& history, const PredictiveSettings& settings,
                                     Timestamp now, int64_t reading_milli);

// Changes whenever a bucket closes: the live controller re-persists the state then.
int64_t HistoryKey(const DecisionState& state);

}  // namespace ebb::decision

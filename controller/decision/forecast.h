// The predictive part of a metric: its history in fixed buckets and a forecast from it.
//
// Method (why not Holt-Winters): a seasonal-naive forecast per season (one day, one week): the
// highest bucket mean around the same time one season ago, corrected by how far the recent level
// (the last half hour) has moved since then (the trend). The weekly one is used once a week of
// history exists, unless the daily one was clearly more accurate over the last day at the same
// lookahead. It needs no fitted parameters, tolerates gaps (a controller restart, a failed
// metric) without re-fitting, forecasts after one day instead of the two full seasons triple
// exponential smoothing needs to initialise, knows Monday morning from Sunday's, and is cheap
// enough to run at every decision. Holt-Winters' smoothing would also damp the very peaks the
// forecast exists to prepare for.
#pragma once

#include <optional>

#include "controller/decision/types.h"

namespace ebb::decision {

inline constexpr int64_t kDaySeconds = 86400;
inline constexpr int64_t kWeekSeconds = 7 * kDaySeconds;
// A week and a day of the finest buckets (300 s): the weekly season plus its level and error
// windows. The persisted history of a metric never holds more values than this.
inline constexpr size_t kMaxHistoryBuckets = 2304;
// Buckets in the level (trend) window and in the error window that weighs the seasons.
inline constexpr int64_t kLevelBuckets = 6;
// The daily season replaces the weekly one only when its error over the last day is below this
// share of the weekly one's.
inline constexpr double kDailyPreference = 0.8;

// Adds a reading taken at `now` to the bucket it falls in; closes the previous bucket when a new
// one starts. Readings older than the open bucket (a clock stepped back) are dropped.
void RecordSample(MetricHistory& history, const PredictiveSettings& settings, Timestamp now,
                  int64_t value_milli);

// The metric's value expected `lookahead_seconds` after `now` (milli-units, headroom included);
// nullopt while warming up (less than min_history_seconds of history, or no history for the
// seasons' matching buckets). Caches the seasons' errors in `history` once per bucket.
std::optional<int64_t> ForecastValue(MetricHistory& history, const PredictiveSettings& settings,
                                     Timestamp now);

// Changes whenever a bucket closes: the live controller re-persists the state then.
int64_t HistoryKey(const DecisionState& state);

}  // namespace ebb::decision

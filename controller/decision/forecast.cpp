#include "controller/decision/forecast.h"

#include <algorithm>
#include <cmath>

namespace ebb::decision {
namespace {

int64_t FloorDiv(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);
}

int64_t NowSeconds(Timestamp now) {
  return FloorDiv(ToUnixMillis(now), 1000);
}

size_t Capacity(int32_t bucket_seconds) {
  return std::min<size_t>(kMaxHistoryBuckets,
                          static_cast<size_t>((kWeekSeconds + kDaySeconds) / bucket_seconds));
}

int64_t At(const MetricHistory& h, int64_t bucket) {
  const int64_t i = bucket - h.first_bucket;
  if (i < 0 || i >= static_cast<int64_t>(h.values.size())) return -1;
  return h.values[static_cast<size_t>(i)];
}

void Close(MetricHistory& h) {
  if (h.open_count <= 0) return;
  const double mean = h.open_sum / h.open_count;
  const int64_t v = mean < 9.2e18 ? std::llround(mean) : INT64_MAX;
  const size_t cap = Capacity(h.bucket_seconds);
  const int64_t next = h.first_bucket + static_cast<int64_t>(h.values.size());
  if (h.values.empty() || h.open_bucket < next ||
      h.open_bucket - next >= static_cast<int64_t>(cap)) {
    h.values.clear();
    h.first_bucket = h.open_bucket;
  } else {
    h.values.insert(h.values.end(), static_cast<size_t>(h.open_bucket - next), -1);
  }
  h.values.push_back(v);
  if (h.values.size() > cap) {
    const size_t drop = h.values.size() - cap;
    h.values.erase(h.values.begin(), h.values.begin() + static_cast<std::ptrdiff_t>(drop));
    h.first_bucket += static_cast<int64_t>(drop);
  }
}

std::optional<double> Level(const MetricHistory& h, int64_t end_bucket) {
  double sum = 0;
  int n = 0;
  for (int64_t k = end_bucket - kLevelBuckets; k < end_bucket; ++k) {
    const int64_t v = At(h, k);
    if (v < 0) continue;
    sum += static_cast<double>(v);
    ++n;
  }
  if (n == 0) return std::nullopt;
  return sum / n;
}

// One season's seasonal-naive forecast for time now_s + lookahead, level-corrected.
std::optional<double> PredictSeason(const MetricHistory& h, int64_t season, int64_t now_s,
                                    int64_t lookahead) {
  const int64_t b = h.bucket_seconds;
  const int64_t from = now_s + lookahead - season;
  double base = -1;
  for (int64_t k = FloorDiv(from, b); k <= FloorDiv(from + b - 1, b); ++k) {
    base = std::max(base, static_cast<double>(At(h, k)));
  }
  if (base < 0) return std::nullopt;
  const int64_t open = FloorDiv(now_s, b);
  const auto now_level = Level(h, open);
  const auto then_level = Level(h, open - season / b);
  const double trend = now_level && then_level ? *now_level - *then_level : 0;
  return std::max(0.0, base + trend);
}

// Mean absolute error of a season's forecast over the last closed buckets, each forecast from
// what was known lookahead seconds before the bucket began.
std::optional<double> SeasonError(const MetricHistory& h, int64_t season, int64_t now_s,
                                  int64_t lookahead) {
  const int64_t b = h.bucket_seconds;
  const int64_t open = FloorDiv(now_s, b);
  double sum = 0;
  int n = 0;
  for (int64_t k = open - kDaySeconds / b; k < open; ++k) {
    const int64_t actual = At(h, k);
    if (actual < 0) continue;
    const auto p = PredictSeason(h, season, k * b - lookahead, lookahead);
    if (!p) continue;
    sum += std::abs(*p - static_cast<double>(actual));
    ++n;
  }
  if (n == 0) return std::nullopt;
  return sum / n;
}

}  // namespace

void RecordSample(MetricHistory& h, const PredictiveSettings& s, Timestamp now,
                  int64_t value_milli) {
  if (h.bucket_seconds != s.bucket_seconds) {
    h = MetricHistory{};  // a new resolution: the old buckets do not line up
    h.bucket_seconds = s.bucket_seconds;
  }
  const int64_t bucket = FloorDiv(NowSeconds(now), s.bucket_seconds);
  if (h.open_bucket >= 0 && bucket < h.open_bucket) return;
  if (h.open_bucket >= 0 && bucket > h.open_bucket) Close(h);
  if (bucket != h.open_bucket) {
    h.open_bucket = bucket;
    h.open_sum = 0;
    h.open_count = 0;
  }
  h.open_sum += static_cast<double>(value_milli);
  ++h.open_count;
}

std::optional<int64_t> ForecastValue(MetricHistory& h, const PredictiveSettings& s, Timestamp now) {
  if (h.bucket_seconds <= 0 || h.values.empty()) return std::nullopt;
  const int64_t now_s = NowSeconds(now);
  const int64_t b = h.bucket_seconds;
  const int64_t open = FloorDiv(now_s, b);
  const int64_t span = (open - h.first_bucket) * b;
  if (span < s.min_history_seconds) return std::nullopt;
  // The seasons' recent errors change only when a bucket closes: computed once per bucket.
  if (h.errors_bucket != open || h.errors_lookahead != s.lookahead_seconds) {
    h.errors_bucket = open;
    h.errors_lookahead = s.lookahead_seconds;
    const auto d = SeasonError(h, kDaySeconds, now_s, s.lookahead_seconds);
    const auto w = SeasonError(h, kWeekSeconds, now_s, s.lookahead_seconds);
    h.daily_error = d ? *d : -1;
    h.weekly_error = w ? *w : -1;
  }
  std::optional<double> daily;
  std::optional<double> weekly;
  if (s.daily && span >= kDaySeconds)
    daily = PredictSeason(h, kDaySeconds, now_s, s.lookahead_seconds);
  if (s.weekly && span >= kWeekSeconds) {
    weekly = PredictSeason(h, kWeekSeconds, now_s, s.lookahead_seconds);
  }
  // The weekly season knows the weekday (Monday after a quiet Sunday, a quiet Saturday after a
  // busy Friday), which a day's error cannot show before the switch happens: it is used unless
  // the daily one was clearly more accurate over the last day (say, the pattern moved this week).
  double f = 0;
  if (weekly && daily) {
    const bool daily_better = h.daily_error >= 0 && h.weekly_error >= 0 &&
                              h.daily_error < kDailyPreference * h.weekly_error;
    f = daily_better ? *daily : *weekly;
  } else if (weekly) {
    f = *weekly;
  } else if (daily) {
    f = *daily;
  } else {
    return std::nullopt;
  }
  f *= 1.0 + s.headroom_percent / 100.0;
  return f < 9.2e18 ? std::llround(f) : INT64_MAX;
}

int64_t HistoryKey(const DecisionState& state) {
  int64_t key = 0;
  for (const MetricHistory& h : state.histories) {
    key += h.first_bucket + static_cast<int64_t>(h.values.size());
  }
  return key;
}

}  // namespace ebb::decision

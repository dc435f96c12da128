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

// The season's rise from now to now + lookahead, read one season ago: the highest bucket mean
// around now + lookahead then (that bucket and the next) less the bucket mean at now then; never
// negative (a forecast only prepares for a rise, the reading already covers a fall).
std::optional<double> SeasonRise(const MetricHistory& h, int64_t season, int64_t now_s,
                                 int64_t lookahead) {
  const int64_t b = h.bucket_seconds;
  const int64_t from = now_s + lookahead - season;
  double ahead = -1;
  for (int64_t k = FloorDiv(from, b); k <= FloorDiv(from + b - 1, b); ++k) {
    ahead = std::max(ahead, static_cast<double>(At(h, k)));
  }
  const int64_t then = At(h, FloorDiv(now_s - season, b));
  if (ahead < 0 || then < 0) return std::nullopt;
  return std::max(0.0, ahead - static_cast<double>(then));
}

// The daily rise that recurred: the smaller of the rises one and two days ago (one day ago alone
// while two days of history do not exist yet). A burst seen once is noise to a forecast (real
// traces' five-minute rises do not correlate from one day to the next); a ramp seen on two days
// running (a match kicking off at the same time, office hours) is what comes again.
std::optional<double> DailyRise(const MetricHistory& h, int64_t now_s, int64_t lookahead) {
  const auto one = SeasonRise(h, kDaySeconds, now_s, lookahead);
  if (!one) return one;
  const auto two = SeasonRise(h, 2 * kDaySeconds, now_s, lookahead);
  return two ? std::min(*one, *two) : one;
}

std::optional<double> Rise(const MetricHistory& h, int64_t season, int64_t now_s,
                           int64_t lookahead) {
  return season == kDaySeconds ? DailyRise(h, now_s, lookahead)
                               : SeasonRise(h, season, now_s, lookahead);
}

// Back-test over the closed buckets of the last week, each forecast from what was known
// lookahead seconds before the bucket began, the reading then taken as that moment's bucket mean.
struct BackTest {
  // Over the last day: the mean absolute error of the season's ramp (reading + rise) less that
  // of persistence (the reading alone), over the buckets the season has a rise for; NaN without
  // enough of them.
  double excess = std::nan("");
  // Over every bucket of the last week the season has a rise for (up to six days for the daily
  // season, whose rise reads two days back; one for the weekly): the least-squares slope of the
  // rise that came (the bucket's mean less the reading) on the rise forecast, clamped to [0, 1],
  // the share of the season's rises that came true. 1 without enough buckets, or when the season
  // forecast the same rise throughout (nothing to scale).
  double slope = 1;
};

BackTest BackTestSeason(const MetricHistory& h, int64_t season, int64_t now_s, int64_t lookahead) {
  const int64_t b = h.bucket_seconds;
  const int64_t open = FloorDiv(now_s, b);
  double excess = 0;
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  int n = 0;  // over the last day
  int m = 0;  // over the week
  for (int64_t k = open - kWeekSeconds / b; k < open; ++k) {
    const int64_t actual = At(h, k);
    if (actual < 0) continue;
    const int64_t known_s = k * b - lookahead;
    const int64_t reading = At(h, FloorDiv(known_s - 1, b));
    if (reading < 0) continue;
    const auto rise = Rise(h, season, known_s, lookahead);
    if (!rise) continue;
    const auto r = static_cast<double>(reading);
    const auto y = static_cast<double>(actual);
    sx += *rise;
    sy += y - r;
    sxx += *rise * *rise;
    sxy += *rise * (y - r);
    ++m;
    if (k < open - kDaySeconds / b) continue;
    excess += std::abs(r + *rise - y) - std::abs(r - y);
    ++n;
  }
  BackTest out;
  // Too few buckets back-tested (the season's first day): a day's noise without its ramp would
  // shut the forecast off before the ramp it exists for was ever seen.
  const int enough = static_cast<int>(kDaySeconds / b / 2);
  if (n >= enough) out.excess = excess / n;
  const double var = m > 0 ? sxx - sx * sx / m : 0;
  if (m >= enough && var > 0) out.slope = std::clamp((sxy - sx * sy / m) / var, 0.0, 1.0);
  return out;
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

std::optional<int64_t> ForecastValue(MetricHistory& h, const PredictiveSettings& s, Timestamp now,
                                     int64_t reading_milli) {
  if (h.bucket_seconds <= 0 || h.values.empty() || reading_milli < 0) return std::nullopt;
  const int64_t now_s = NowSeconds(now);
  const int64_t b = h.bucket_seconds;
  const int64_t open = FloorDiv(now_s, b);
  const int64_t span = (open - h.first_bucket) * b;
  if (span < s.min_history_seconds) return std::nullopt;
  // The back-tests change only when a bucket closes: computed once per bucket.
  if (h.errors_bucket != open || h.errors_lookahead != s.lookahead_seconds) {
    h.errors_bucket = open;
    h.errors_lookahead = s.lookahead_seconds;
    const BackTest daily = BackTestSeason(h, kDaySeconds, now_s, s.lookahead_seconds);
    const BackTest weekly = BackTestSeason(h, kWeekSeconds, now_s, s.lookahead_seconds);
    h.daily_error = daily.excess;
    h.weekly_error = weekly.excess;
    h.daily_slope = daily.slope;
    h.weekly_slope = weekly.slope;
  }
  std::optional<double> daily;
  std::optional<double> weekly;
  if (s.daily && span >= kDaySeconds) daily = DailyRise(h, now_s, s.lookahead_seconds);
  if (s.weekly && span >= kWeekSeconds) {
    weekly = SeasonRise(h, kWeekSeconds, now_s, s.lookahead_seconds);
  }
  // The weekly season knows the weekday (Monday after a quiet Sunday, a quiet Saturday after a
  // busy Friday), which the daily one cannot know. But its rise is seen once (a week ago), so it
  // is gated: used while its back-test over the last day beat persistence (or before it has
  // one), unless the daily one back-tested clearly better. Otherwise the daily season's
  // recurring rise is used, without a gate: a rise seen on two days running is rarely noise,
  // and a back-test by mean absolute error weighs an over-forecast (a few replica-minutes) like
  // a shortfall (tasks waiting a start-up longer), which on real traces shut off every ramp
  // (BENCHMARKS.md, "Predictive, recurring ramps").
  bool use_weekly = weekly.has_value() && !(h.weekly_error > 0);
  if (use_weekly && daily) {
    use_weekly = std::isnan(h.daily_error) || std::isnan(h.weekly_error) ||
                 h.daily_error >= h.weekly_error - kDailyPreference * std::abs(h.weekly_error);
  }
  if (!use_weekly && !daily) return std::nullopt;
  // The rise counts for the share of the season's rises that came true over the back-test (the
  // least-squares slope): where rises recur (a match kicking off at the same time each day) that
  // is about all of it; where they are the noise of bucket means (NASA, celery: a forecast rise
  // is followed by no larger a rise than no forecast is) little of it, so that a forecast without
  // information does not buy replicas a leaner reactive target would buy as well
  // (BENCHMARKS.md, "Predictive, rises that come true").
  const double rise = use_weekly ? *weekly * h.weekly_slope : *daily * h.daily_slope;
  double f = static_cast<double>(reading_milli) + rise;
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

#include "controller/decision/forecast.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <functional>

#include "controller/decision/decider.h"
#include "controller/decision/explain.h"
#include "tests/support/builders.h"

using namespace ebb;
using namespace ebb::decision;
using namespace ebb::testing;

namespace {

// 2026-11-30 00:00 UTC, a Monday.
constexpr int64_t kMonday = 1'795'996'800;
constexpr double kPi = 3.14159265358979323846;

Timestamp T(int64_t seconds) {
  return FromUnixMillis((kMonday + seconds) * 1000);
}

// One reading every `step` seconds in [from, to), in milli-units.
void Feed(MetricHistory& h, const PredictiveSettings& s, int64_t from, int64_t to, int64_t step,
          const std::function<double(int64_t)>& f) {
  for (int64_t t = from; t < to; t += step) RecordSample(h, s, T(t), std::llround(f(t)));
}

double Daily(int64_t t) {
  return 100'000 + 90'000 * std::sin(2 * kPi * static_cast<double>(t) / 86400.0);
}

}  // namespace

TEST_CASE("history keeps bucket means, marks gaps and stays bounded", "[decision][forecast]") {
  PredictiveSettings s;  // 300 s buckets
  MetricHistory h;
  RecordSample(h, s, T(0), 10);
  RecordSample(h, s, T(100), 30);
  CHECK(h.values.empty());  // the bucket is still filling
  RecordSample(h, s, T(300), 40);
  REQUIRE(h.values.size() == 1);
  CHECK(h.values[0] == 20);
  CHECK(h.first_bucket == (kMonday) / 300);
  // Three buckets without a reading, then one: the gap is marked, not interpolated.
  RecordSample(h, s, T(1500), 70);
  CHECK(h.values == std::vector<int64_t>{20, 40});
  // A reading older than the open bucket (the clock stepped back) is dropped.
  RecordSample(h, s, T(1000), 1'000'000);
  RecordSample(h, s, T(1800), 0);
  CHECK(h.values == std::vector<int64_t>{20, 40, -1, -1, -1, 70});
  // Ten days of readings: never more than kMaxHistoryBuckets, the newest kept.
  Feed(h, s, 2000, 10 * 86400, 300, [](int64_t t) { return static_cast<double>(t); });
  CHECK(h.values.size() == kMaxHistoryBuckets);
  CHECK(h.first_bucket + static_cast<int64_t>(h.values.size()) == h.open_bucket);
  // A gap longer than the whole history starts afresh.
  RecordSample(h, s, T(30 * 86400), 5);
  RecordSample(h, s, T(30 * 86400 + 300), 5);
  CHECK(h.values.size() == 1);
  // Another bucket width: the old buckets do not line up and are dropped.
  PredictiveSettings wide = s;
  wide.bucket_seconds = 600;
  RecordSample(h, wide, T(30 * 86400 + 900), 5);
  CHECK(h.values.empty());
  CHECK(h.bucket_seconds == 600);
}

TEST_CASE("no forecast before the warm-up, then one season ahead", "[decision][forecast]") {
  PredictiveSettings s;
  s.lookahead_seconds = 600;
  MetricHistory h;
  Feed(h, s, 0, 86400 - 600, 60, Daily);
  CHECK_FALSE(ForecastValue(h, s, T(86400 - 600),
                            std::llround(Daily(86400 - 600))));  // less than a day: warming up
  Feed(h, s, 86400 - 600, 86400 + 3 * 3600, 60, Daily);
  // Over the next day, where the curve rises, the forecast tracks it lookahead seconds ahead:
  // within the bucket's resolution (the curve moves about 2 % of its swing per bucket).
  double worst = 0;
  double lag = 0;  // the reading's own error: the curve now, not in ten minutes
  for (int64_t t = 86400 + 3 * 3600; t < 2 * 86400; t += 60) {
    RecordSample(h, s, T(t), std::llround(Daily(t)));
    const auto f = ForecastValue(h, s, T(t), std::llround(Daily(t)));
    REQUIRE(f);
    if (Daily(t + 600) <= Daily(t)) continue;  // a fall is the reading's (next test)
    worst = std::max(worst, std::abs(static_cast<double>(*f) - Daily(t + 600)));
    lag = std::max(lag, Daily(t + 600) - Daily(t));
  }
  CHECK(worst < 2'500);
  CHECK(lag > 1.5 * worst);
}

TEST_CASE("the reading carries a trend from one day to the next", "[decision][forecast]") {
  PredictiveSettings s;
  s.lookahead_seconds = 300;
  s.weekly = false;
  // Load grows by 20 % of its mean a day: yesterday's shape alone would fall 20'000 short.
  auto growing = [](int64_t t) { return Daily(t) + 20'000.0 * static_cast<double>(t) / 86400.0; };
  MetricHistory h;
  Feed(h, s, 0, 86400 + 6 * 3600, 60, growing);
  double worst = 0;
  for (int64_t t = 86400 + 6 * 3600; t < 2 * 86400; t += 300) {
    Feed(h, s, t, t + 300, 60, growing);
    const auto f = ForecastValue(h, s, T(t + 300), std::llround(growing(t + 299)));
    REQUIRE(f);
    worst = std::max(worst, std::abs(static_cast<double>(*f) - growing(t + 600)));
  }
  CHECK(worst < 6'000);
}

TEST_CASE("the forecast is the reading plus the season's coming rise, never a fall",
          "[decision][forecast]") {
  PredictiveSettings s;
  s.lookahead_seconds = 600;
  s.weekly = false;
  MetricHistory h;
  Feed(h, s, 0, 86400 + 3 * 3600, 60, Daily);
  int rising = 0;
  int falling = 0;
  for (int64_t t = 86400 + 3 * 3600; t < 2 * 86400; t += 60) {
    const auto reading = std::llround(Daily(t));
    RecordSample(h, s, T(t), reading);
    const auto f = ForecastValue(h, s, T(t), reading);
    REQUIRE(f);
    // Where yesterday fell over the next ten minutes (and the next bucket), the forecast is
    // the reading: a fall is the reading's to follow, not the forecast's.
    if (Daily(t + 900 - 86400) < Daily(t - 300 - 86400)) {
      CHECK(*f == reading);
      ++falling;
    }
    // Where it rose, the forecast is above the reading.
    if (Daily(t + 600 - 86400) > Daily(t - 86400) + 1'000) {
      CHECK(*f > reading);
      ++rising;
    }
  }
  CHECK(falling > 100);
  CHECK(rising > 100);
  // The reading is the forecast's base: the same history, another reading, the same rise.
  const int64_t t = 86400 + 5 * 3600;
  const auto a = ForecastValue(h, s, T(t), 50'000);
  const auto b = ForecastValue(h, s, T(t), 80'000);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(*b - *a == 30'000);
  CHECK_FALSE(ForecastValue(h, s, T(t), -1));  // no reading, no forecast
  // Headroom multiplies the whole forecast.
  PredictiveSettings more = s;
  more.headroom_percent = 50;
  const auto c = ForecastValue(h, more, T(t), 50'000);
  REQUIRE(c);
  CHECK(std::abs(static_cast<double>(*c) - 1.5 * static_cast<double>(*a)) <= 1);
}

TEST_CASE("a daily rise is forecast once it recurred on two days running", "[decision][forecast]") {
  PredictiveSettings s;
  s.lookahead_seconds = 120;
  s.weekly = false;
  // One bucket (five minutes) at 50 per day on a base of 10, at the given hours of day 0, 1, 2.
  auto bursts = [](std::vector<std::vector<int64_t>> hours) {
    return [hours](int64_t t) {
      const auto day = static_cast<size_t>(t / 86400);
      const int64_t second = t % 86400;
      if (day < hours.size()) {
        for (int64_t hour : hours[day]) {
          if (second >= hour * 3600 && second < hour * 3600 + 300) return 50'000.0;
        }
      }
      return 10'000.0;
    };
  };
  const int64_t at = 2 * 86400 + 9 * 3600 + 58 * 60;  // day 2, 09:58
  // The burst came at 10:00 on days 0 and 1: their ramp is forecast at 09:58 (two minutes ahead).
  const auto daily = bursts({{10}, {10}, {10}});
  MetricHistory h;
  Feed(h, s, 0, at, 60, daily);
  const auto f = ForecastValue(h, s, T(at), 10'000);
  REQUIRE(f);
  CHECK(*f == 50'000);
  // Yesterday's 10:00 burst did not come the day before (that one came at 15:00, and did not
  // come back yesterday): a burst seen once is not forecast, the reading alone is.
  const auto moving = bursts({{15}, {10}, {}});
  MetricHistory m;
  Feed(m, s, 0, at, 60, moving);
  const auto g = ForecastValue(m, s, T(at), 10'000);
  REQUIRE(g);
  CHECK(*g == 10'000);
  // A rise on one of the two days only, whichever: at 14:58 of day 2 the 15:00 burst of day 0
  // is not forecast either.
  const int64_t later = 2 * 86400 + 14 * 3600 + 58 * 60;
  Feed(m, s, at, later, 60, moving);
  const auto l = ForecastValue(m, s, T(later), 10'000);
  REQUIRE(l);
  CHECK(*l == 10'000);
  // With one day of history there is no day before to confirm it: day 1 at 14:58 forecasts day
  // 0's 15:00 burst (a daily peak is met on the second day).
  MetricHistory early;
  const int64_t before = 86400 + 14 * 3600 + 58 * 60;
  Feed(early, s, 0, before, 60, moving);
  const auto e = ForecastValue(early, s, T(before), 10'000);
  REQUIRE(e);
  CHECK(*e == 50'000);
}

TEST_CASE("a daily rise counts for the share of the season's rises that came true",
          "[decision][forecast]") {
  PredictiveSettings s;
  s.lookahead_seconds = 120;
  s.weekly = false;
  // Ten days on a base of 10 with five-minute bursts at 50 at the given hours of each day.
  auto at_hours = [](std::function<std::vector<int64_t>(int64_t)> hours) {
    return [hours](int64_t t) {
      const int64_t second = t % 86400;
      for (int64_t hour : hours(t / 86400)) {
        if (second >= hour * 3600 && second < hour * 3600 + 300) return 50'000.0;
      }
      return 10'000.0;
    };
  };
  struct Case {
    const char* name;
    std::function<double(int64_t)> load;
    int64_t hour;      // day 9 at hour:58, two minutes before the bucket the rise is read for
    int64_t expected;  // the forecast for a reading of 10
  };
  const std::vector<Case> cases = {
      // Every day at 10:00: every rise forecast came true, the whole rise is forecast.
      {"a daily burst", at_hours([](int64_t) { return std::vector<int64_t>{10}; }), 9, 50'000},
      // Day d at hours d and d + 1: each hour comes on two days running and never again, so the
      // rise that recurred (hour d - 1 on day d, seen on days d - 2 and d - 1) never came, and
      // the bursts that came were never forecast. At 07:58 on day 9 the rise of days 7 and 8
      // counts for little: 14 % of it (the back-test's first day, day 2, reads one day back
      // only, since the history holds no day before it, and there half of the bursts did come
      // again), against all of it without the back-tested share.
      {"bursts that move on", at_hours([](int64_t d) {
         return std::vector<int64_t>{d, d + 1};
       }),
       7, 10'000},
      // The same moving bursts plus a burst every day at 20:00: at 19:58 the daily burst's rise,
      // one of the rises forecast each day and the only one that came, counts for about half.
      {"a daily burst among bursts that move on", at_hours([](int64_t d) {
         return std::vector<int64_t>{d, d + 1, 20};
       }),
       19, 30'000},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    MetricHistory h;
    const int64_t at = 9 * 86400 + c.hour * 3600 + 58 * 60;
    Feed(h, s, 0, at, 60, c.load);
    const auto f = ForecastValue(h, s, T(at), 10'000);
    REQUIRE(f);
    INFO("forecast " << *f << ", daily slope " << h.daily_slope);
    CHECK(std::abs(*f - c.expected) <= 6'000);
  }
}

TEST_CASE("a weekly season whose ramps did not recur gives way to the daily one",
          "[decision][forecast]") {
  PredictiveSettings s;
  s.lookahead_seconds = 120;
  // Ten days on a base of 10 with a five-minute burst at 50: at 10:00 on days 0-6 (the first
  // week), at 12:00 from day 7 on. On day 9 at 11:58 the weekly season (day 2) says 10:00, and
  // over the last day (day 8) its 10:00 rise did not come: it back-tests worse than the reading
  // alone and is gated off. The daily season saw 12:00 on days 7 and 8: it forecasts.
  auto moved = [](int64_t t) {
    const int64_t hour = t / 86400 < 7 ? 10 : 12;
    const int64_t second = t % 86400;
    return second >= hour * 3600 && second < hour * 3600 + 300 ? 50'000.0 : 10'000.0;
  };
  const int64_t at = 9 * 86400 + 11 * 3600 + 58 * 60;
  MetricHistory h;
  Feed(h, s, 0, at, 60, moved);
  const auto f = ForecastValue(h, s, T(at), 10'000);
  REQUIRE(f);
  CHECK(h.weekly_error > 0);
  // The daily rise, scaled by the share of its rises that came true over the back-test: five of
  // its six (day 7's 10:00 did not come).
  CHECK(h.daily_slope < 1);
  CHECK(*f > 40'000);
  CHECK(*f < 50'000);
  // And at 09:58 the weekly season's 10:00 rise is not forecast.
  MetricHistory m;
  const int64_t nine = 9 * 86400 + 9 * 3600 + 58 * 60;
  Feed(m, s, 0, nine, 60, moved);
  const auto g = ForecastValue(m, s, T(nine), 10'000);
  REQUIRE(g);
  CHECK(*g == 10'000);
  // Weekly only: gated off, it forecasts nothing at all.
  PredictiveSettings weekly = s;
  weekly.daily = false;
  CHECK_FALSE(ForecastValue(m, weekly, T(nine), 10'000));
}

TEST_CASE("the weekly season prepares Monday morning after a quiet weekend",
          "[decision][forecast]") {
  // Office hours 09-17 on weekdays at 10 units, else 0.1.
  auto office = [](int64_t t) {
    const int64_t day = t / 86400 % 7;  // 0: Monday
    const int64_t hour = t % 86400 / 3600;
    return day < 5 && hour >= 9 && hour < 17 ? 10'000.0 : 100.0;
  };
  PredictiveSettings s;
  s.lookahead_seconds = 600;
  MetricHistory h;
  const int64_t next_monday = 7 * 86400;
  Feed(h, s, 0, next_monday + 8 * 3600 + 55 * 60, 60, office);
  // 08:55 on the second Monday: the daily season (Sunday) says quiet, the weekly one (last
  // Monday) says office hours start at 09:00.
  const auto f = ForecastValue(h, s, T(next_monday + 8 * 3600 + 55 * 60), 100);
  REQUIRE(f);
  CHECK(*f > 9'000);
  // Saturday 08:55 of the first week: only a day's season exists, and it follows Friday.
  MetricHistory first;
  Feed(first, s, 0, 5 * 86400 + 8 * 3600 + 55 * 60, 60, office);
  const auto sat = ForecastValue(first, s, T(5 * 86400 + 8 * 3600 + 55 * 60), 100);
  REQUIRE(sat);
  CHECK(*sat > 9'000);
  // Daily only, on the second Monday: it follows Sunday.
  PredictiveSettings daily = s;
  daily.weekly = false;
  const auto d = ForecastValue(h, daily, T(next_monday + 8 * 3600 + 55 * 60), 100);
  REQUIRE(d);
  CHECK(*d < 1'000);
}

TEST_CASE("the forecast raises the proposal ahead of the load, never lowers it",
          "[decision][forecast]") {
  Spec spec;
  spec.min_replicas = 1;
  spec.max_replicas = 50;
  spec.metrics = {QueueMetric("arrivals", 10)};  // 10 per replica
  spec.metrics[0].predictive = PredictiveSettings{};
  spec.metrics[0].predictive->lookahead_seconds = 600;
  spec.behavior = DefaultBehavior();
  spec.behavior->scale_down.stabilization_window_seconds = 0;
  // A step at 12:00 every day from 20 to 200.
  auto step = [](int64_t t) { return t % 86400 >= 12 * 3600 ? 200.0 : 20.0; };
  DecisionState st;
  int32_t replicas = 2;
  Decision d;
  for (int64_t t = 0; t < 86400 + 11 * 3600 + 45 * 60; t += 15) {
    d = Decide(spec, {}, Observe(replicas, {Value(step(t))}), st, T(t));
    replicas = d.desired_replicas;
  }
  // 11:45 on day two: the reading still says 2 replicas, the forecast for 11:55 says 2, and at
  // 11:50 (lookahead reaches 12:00) it says 20.
  CHECK(replicas == 2);
  d = Decide(spec, {}, Observe(replicas, {Value(20)}), st, T(86400 + 11 * 3600 + 51 * 60));
  CHECK(d.metrics[0].forecast_proposal == 20);
  CHECK(d.metrics[0].forecast_raised);
  CHECK(d.desired_replicas == 6);  // upstream's default scale-up policy: +4 pods per 15 s
  CHECK(RescaleReason(spec, d) == "external metric arrivals() forecast above target");
  CHECK_THAT(Summary(spec, d), Catch::Contains("forecast 200 in 600 s needs 20"));

  // The reading above the forecast wins; a forecast below it never scales down.
  DecisionState copy = st;
  d = Decide(spec, {}, Observe(30, {Value(300)}), copy, T(86400 + 13 * 3600));
  CHECK(d.metrics[0].proposal == 30);
  CHECK_FALSE(d.metrics[0].forecast_raised);
  // A failed reading gives no forecast: no decision rests on a forecast alone.
  d = Decide(spec, {}, Observe(6, {Failed("down")}), copy, T(86400 + 13 * 3600 + 15));
  CHECK(d.metrics[0].forecast_milli == -1);
  CHECK(d.desired_replicas == 6);
}

TEST_CASE("a forecast above the activation threshold wakes a pool at zero",
          "[decision][forecast][keda]") {
  Spec spec;
  spec.min_replicas = 0;
  spec.max_replicas = 20;
  spec.metrics = {QueueMetric("arrivals", 10)};
  spec.metrics[0].predictive = PredictiveSettings{};
  spec.metrics[0].predictive->lookahead_seconds = 300;
  spec.behavior = DefaultBehavior();
  auto morning = [](int64_t t) {
    return t % 86400 >= 8 * 3600 && t % 86400 < 9 * 3600 ? 50.0 : 0.0;
  };
  DecisionState st;
  int32_t replicas = 0;
  for (int64_t t = 0; t < 86400 + 7 * 3600 + 50 * 60; t += 15) {
    replicas = Decide(spec, {}, Observe(replicas, {Value(morning(t))}), st, T(t)).desired_replicas;
  }
  CHECK(replicas == 0);  // asleep through the night
  const Decision d = Decide(spec, {}, Observe(0, {Value(0)}), st, T(86400 + 7 * 3600 + 56 * 60));
  CHECK(d.reason == Reason::kActivated);
  CHECK(d.desired_replicas == 5);

  // Without predictive the same reading keeps it at zero.
  Spec reactive = spec;
  reactive.metrics[0].predictive.reset();
  DecisionState rs;
  CHECK(Decide(reactive, {}, Observe(0, {Value(0)}), rs, T(86400 + 7 * 3600 + 56 * 60))
            .desired_replicas == 0);
}

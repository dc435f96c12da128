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
  CHECK_FALSE(ForecastValue(h, s, T(86400 - 600)));  // less than a day: warming up
  Feed(h, s, 86400 - 600, 86400 + 3 * 3600, 60, Daily);
  // Over the next day the forecast tracks the curve lookahead seconds ahead: within the
  // bucket's resolution (the curve moves about 2 % of its swing per bucket).
  double worst = 0;
  for (int64_t t = 86400 + 3 * 3600; t < 2 * 86400; t += 60) {
    RecordSample(h, s, T(t), std::llround(Daily(t)));
    const auto f = ForecastValue(h, s, T(t));
    REQUIRE(f);
    worst = std::max(worst, std::abs(static_cast<double>(*f) - Daily(t + 600)));
  }
  CHECK(worst < 5'000);
  // Without the lookahead it would lag: the same curve now, not in ten minutes, is further off.
  double lag = 0;
  for (int64_t t = 86400 + 3 * 3600; t < 2 * 86400; t += 60) {
    lag = std::max(lag, std::abs(Daily(t) - Daily(t + 600)));
  }
  CHECK(lag > worst);
}

TEST_CASE("the level correction carries a trend from one day to the next", "[decision][forecast]") {
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
    const auto f = ForecastValue(h, s, T(t + 300));
    REQUIRE(f);
    worst = std::max(worst, std::abs(static_cast<double>(*f) - growing(t + 600)));
  }
  CHECK(worst < 6'000);
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
  const auto f = ForecastValue(h, s, T(next_monday + 8 * 3600 + 55 * 60));
  REQUIRE(f);
  CHECK(*f > 9'000);
  // Saturday 08:55 of the first week: only a day's season exists, and it follows Friday.
  MetricHistory first;
  Feed(first, s, 0, 5 * 86400 + 8 * 3600 + 55 * 60, 60, office);
  const auto sat = ForecastValue(first, s, T(5 * 86400 + 8 * 3600 + 55 * 60));
  REQUIRE(sat);
  CHECK(*sat > 9'000);
  // Daily only, on the second Monday: it follows Sunday.
  PredictiveSettings daily = s;
  daily.weekly = false;
  const auto d = ForecastValue(h, daily, T(next_monday + 8 * 3600 + 55 * 60));
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

#include "controller/sim/summary.h"

#include <catch2/catch.hpp>

#include "controller/sim/histogram.h"
#include "controller/sim/report_series.h"
#include "tests/sim/sim_test_support.h"

namespace ebb::sim {
namespace {

const Timestamp kStart = FromUnixMillis(1'700'000'000'000);

TEST_CASE("replica-hours, scale events and time at the limits by hand", "[sim][summary]") {
  SimulationInput input;
  input.autoscaler = "w";
  input.spec = testing::SpecWith(testing::QueueMetric("q", 5), 1, 4);
  input.models = {ModelConfig{}};
  input.cost_per_replica_hour = 0.5;
  SummaryBuilder b(input);
  std::vector<MetricTick> m(1);
  m[0].proposal = 2;
  // replicas after each tick: 2, 4, 4, 1 at 0, 15, 30, 45 s (the 1 holds for no interval).
  const int32_t after[] = {2, 4, 4, 1};
  int32_t before = 2;
  for (int i = 0; i < 4; ++i) {
    TickRecord t;
    t.at = kStart + Seconds(15 * i);
    t.metrics = m;
    t.replicas_before = before;
    t.replicas_after = after[i];
    t.patched = after[i] != before;
    t.ready = before;
    b.OnTick(t);
    before = after[i];
  }
  RunInfo info;
  info.first = kStart;
  info.last = kStart + Seconds(45);
  info.ticks = 4;
  const Summary s = b.Finish(info);
  // 2 x 15 + 4 x 15 + 4 x 15 = 150 replica-seconds over 45 s.
  CHECK(s.replica_hours == Approx(150.0 / 3600));
  CHECK(s.cost == Approx(0.5 * 150.0 / 3600));
  CHECK(s.mean_replicas == Approx(150.0 / 45));
  CHECK(s.duration_seconds == 45);
  CHECK(s.scale_ups == 1);
  CHECK(s.scale_downs == 1);
  CHECK(s.min_replicas == 1);
  CHECK(s.max_replicas == 4);
  CHECK(s.seconds_at_max == 30);
  CHECK(s.seconds_at_min == 0);
  CHECK(s.failed_readings[0] == 0);

  const auto j = SummaryToJson(s);
  CHECK(j["scaleUps"] == 1);
  CHECK(j["replicas"]["max"] == 4);
  const std::string text = FormatSummaryText(s);
  const size_t at = text.find("replica-hours");
  REQUIRE(at != std::string::npos);
  CHECK(text.substr(at, text.find('\n', at) - at).find("0.04") != std::string::npos);
}

TEST_CASE("histogram quantiles are within 1 %", "[sim][summary]") {
  Histogram h;
  for (int i = 1; i <= 1000; ++i) h.Add(i);
  CHECK(h.Quantile(0.5) == Approx(500).epsilon(0.011));
  CHECK(h.Quantile(0.99) == Approx(990).epsilon(0.011));
  CHECK(h.Quantile(1) == 1000);
  CHECK(h.min() == 1);
  Histogram zeros;
  zeros.Add(0, 3);
  zeros.Add(10, 1);
  CHECK(zeros.Quantile(0.5) == 0);
  CHECK(zeros.Quantile(0.9) == Approx(10).epsilon(0.011));
}

TEST_CASE("downsampled series keep spikes and stay bounded", "[sim][summary]") {
  MinMaxSeries s(100);
  for (int i = 0; i < 100000; ++i) s.Add(kStart + Seconds(15 * i), i == 54321 ? 99 : 1);
  CHECK(s.buckets().size() <= 100);
  CHECK(s.Max() == 99);
  int64_t ticks = 0;
  for (const auto& b : s.buckets()) ticks += b.ticks;
  CHECK(ticks == 100000);
}

}  // namespace
}  // namespace ebb::sim

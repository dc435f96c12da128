#include "controller/decision/decider.h"

#include <catch2/catch.hpp>
#include <limits>

#include "controller/base/quantity.h"
#include "controller/decision/explain.h"
#include "tests/support/builders.h"

using namespace ebb::decision;
using namespace ebb::testing;

namespace {

Spec TwoMetrics() {
  Spec s;
  s.min_replicas = 1;
  s.max_replicas = 50;
  s.metrics = {QueueMetric("a", 10), QueueMetric("b", 10)};
  s.behavior = DefaultBehavior();
  s.behavior->scale_down.stabilization_window_seconds = 0;
  return s;
}

}  // namespace

TEST_CASE("garbage readings are invalid, never a crash, never outside [min, max]", "[decision]") {
  // A scaler's float goes through the one conversion the adapter makes (SampleToMilli); what
  // reaches the core is int64 milli-units, where only a negative value is garbage.
  struct Row {
    const char* name;
    double value;
    bool valid;
  };
  const double inf = std::numeric_limits<double>::infinity();
  const Row rows[] = {
      {"NaN", std::numeric_limits<double>::quiet_NaN(), false},
      {"+Inf", inf, false},
      {"-Inf", -inf, false},
      {"negative", -1, false},
      {"huge", 1e300, false},  // beyond int64 milli-units: refused, not saturated
      {"max double", std::numeric_limits<double>::max(), false},
      {"zero", 0, true},
  };
  for (const Row& r : rows) {
    INFO(r.name);
    Spec s = TwoMetrics();
    s.metrics.resize(1);
    DecisionState st;
    const auto milli = ebb::SampleToMilli(r.value);
    const MetricReading reading = milli ? ValueMilli(*milli) : Failed(milli.error().message);
    const Decision d = Decide(s, {}, Observe(5, {reading}), st, At(0));
    CHECK((d.metrics[0].status == MetricStatus::kOk) == r.valid);
    CHECK(d.desired_replicas >= s.min_replicas);
    CHECK(d.desired_replicas <= s.max_replicas);
    if (!r.valid) {
      CHECK(d.desired_replicas == 5);
      CHECK(d.reason == Reason::kFailedGetMetrics);
      CHECK_THAT(d.metrics[0].error, Catch::Contains("invalid value"));
    }
  }
  const struct {
    const char* name;
    int64_t milli;
    bool valid;
  } milli_rows[] = {
      {"-1m", -1, false},
      {"most negative", std::numeric_limits<int64_t>::min(), false},
      {"largest", std::numeric_limits<int64_t>::max(), true},
      {"zero", 0, true},
  };
  for (const auto& r : milli_rows) {
    INFO(r.name);
    Spec s = TwoMetrics();
    s.metrics.resize(1);
    DecisionState st;
    const Decision d = Decide(s, {}, Observe(5, {ValueMilli(r.milli)}), st, At(0));
    CHECK((d.metrics[0].status == MetricStatus::kOk) == r.valid);
    CHECK(d.desired_replicas >= s.min_replicas);
    CHECK(d.desired_replicas <= s.max_replicas);
    if (!r.valid) CHECK_THAT(d.metrics[0].error, Catch::Contains("invalid value: negative"));
  }
}

TEST_CASE("several metrics: the maximum proposal wins", "[decision]") {
  DecisionState st;
  const Decision d = Decide(TwoMetrics(), {}, Observe(2, {Value(30), Value(50)}), st, At(0));
  CHECK(d.proposal == 5);
  CHECK(d.winning_metric == 1);
  CHECK(d.desired_replicas == 5);
  CHECK(RescaleReason(TwoMetrics(), d) == "external metric b() above target");
}

TEST_CASE("several metrics: partial data scales up but never down", "[decision]") {
  DecisionState st;
  Decision d = Decide(TwoMetrics(), {}, Observe(4, {Value(100), Failed("timeout")}), st, At(0));
  CHECK(d.desired_replicas == 8);  // up on the valid metric (within Pods 4 / 15 s)
  CHECK(d.invalid_metrics == 1);
  st = {};
  d = Decide(TwoMetrics(), {}, Observe(4, {Value(10), Failed("timeout")}), st, At(0));
  CHECK(d.desired_replicas == 4);  // the valid metric alone says 1: no scale-down on partial data
  CHECK(d.reason == Reason::kFailedGetMetrics);
  CHECK_FALSE(d.scaling_active);
  st = {};
  d = Decide(TwoMetrics(), {}, Observe(4, {Failed("a"), Failed("b")}), st, At(0));
  CHECK(d.desired_replicas == 4);
  CHECK(d.first_failed_metric == 0);
  const auto conditions = Conditions(TwoMetrics(), d);
  REQUIRE(conditions.size() >= 2);
  CHECK(conditions[1].type == "ScalingActive");
  CHECK(conditions[1].reason == "FailedGetExternalMetric");
}

TEST_CASE("a scaler's metric is one generic source named by its scaler type", "[decision]") {
  // The core knows no scaler by name: reasons and descriptions come from MetricSpec::scaler.
  Spec s = TwoMetrics();
  for (MetricSpec& m : s.metrics) {
    m.type = SourceType::kScaler;
    m.scaler = "RabbitMQ";
  }
  DecisionState st;
  Decision d = Decide(s, {}, Observe(2, {Value(30), Value(50)}), st, At(0));
  CHECK(d.desired_replicas == 5);  // treated like External: same arithmetic as above
  CHECK(RescaleReason(s, d) == "rabbitmq metric b above target");
  st = {};
  d = Decide(s, {}, Observe(4, {Failed("a"), Failed("b")}), st, At(0));
  const auto conditions = Conditions(s, d);
  REQUIRE(conditions.size() >= 2);
  CHECK(conditions[1].reason == "FailedGetRabbitMQMetric");
  CHECK(FailedMetricReason(s.metrics[0]) == "FailedGetRabbitMQMetric");
  CHECK(SourceName(s.metrics[0]) == "RabbitMQ");
  CHECK(FailedMetricReason(TwoMetrics().metrics[0]) == "FailedGetExternalMetric");
}

TEST_CASE("shortcuts: zero replicas disables, outside [min, max] is clamped first", "[decision]") {
  Spec s = TwoMetrics();
  s.min_replicas = 2;
  s.max_replicas = 6;
  DecisionState st;
  Decision d = Decide(s, {}, Observe(0, {Value(1000), Value(1000)}), st, At(0));
  CHECK(d.desired_replicas == 0);
  CHECK(d.reason == Reason::kScalingDisabled);
  d = Decide(s, {}, Observe(9, {Value(0), Value(0)}), st, At(0));
  CHECK(d.desired_replicas == 6);
  CHECK(d.reason == Reason::kAboveMaxReplicas);
  d = Decide(s, {}, Observe(1, {Value(1000), Value(1000)}), st, At(0));
  CHECK(d.desired_replicas == 2);
  CHECK(d.reason == Reason::kBelowMinReplicas);
}

TEST_CASE("a fresh state holds scale-down for one window (restart semantics)", "[decision]") {
  Spec s = TwoMetrics();
  s.behavior->scale_down.stabilization_window_seconds = 300;
  DecisionState st;  // as after a restart without persisted state
  Decision d = Decide(s, {}, Observe(10, {Value(1), Value(1)}), st, At(0));
  CHECK(d.desired_replicas == 10);
  CHECK(d.stabilization == StabilizationReason::kScaleDownStabilized);
  for (int t = 15; t < 300; t += 15) {
    d = Decide(s, {}, Observe(10, {Value(1), Value(1)}), st, At(t));
    CHECK(d.desired_replicas == 10);
  }
  d = Decide(s, {}, Observe(10, {Value(1), Value(1)}), st, At(300));
  CHECK(d.desired_replicas == 1);
}

TEST_CASE("the legacy path (no behavior) caps scale-up at max(2x, 4) per decision", "[decision]") {
  Spec s = TwoMetrics();
  s.behavior.reset();
  DecisionState st;
  const Decision d = Decide(s, {}, Observe(3, {Value(1000), Value(0)}), st, At(0));
  CHECK(d.proposal == 100);  // ceil(1000 / 10), before the cap and the clamp
  CHECK(d.desired_replicas == 6);
  CHECK(d.reason == Reason::kScaleUpLimit);
}

TEST_CASE("a steady decision loop does not allocate after warm-up", "[decision]") {
  // Indirect check: the recommendation log stays bounded over a long run.
  Spec s = TwoMetrics();
  s.behavior->scale_down.stabilization_window_seconds = 300;
  DecisionState st;
  Decision d;
  for (int i = 0; i < 10'000; ++i) {
    Decide(s, {}, Observe(5, {Value(40 + i % 20), Value(30)}), st, At(i * 15), d);
  }
  CHECK(st.recommendations.size() <= 22);
}

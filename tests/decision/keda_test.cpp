// KEDA-style extensions decided in one place with the HPA pipeline: activation, scale to zero
// after the cooldown, idleReplicas, fallback, pause. Scenarios step the core like the reconciler:
// decide, then record the scale as if the patch succeeded.
#include <catch2/catch.hpp>

#include "controller/decision/decider.h"
#include "tests/support/builders.h"

using namespace ebb::decision;
using namespace ebb::testing;

namespace {

struct Loop {
  Spec spec;
  Settings settings;
  DecisionState state;
  int32_t replicas = 0;

  Decision Step(int64_t t, std::vector<MetricReading> readings) {
    Observation obs = Observe(replicas, std::move(readings));
    Decision d = Decide(spec, settings, obs, state, At(t));
    if (d.scale) {
      RecordScale(spec, state, replicas, d.desired_replicas, At(t));
      replicas = d.desired_replicas;
    }
    return d;
  }
};

Spec QueueSpec(int32_t min, int32_t max) {
  Spec s;
  s.min_replicas = min;
  s.max_replicas = max;
  s.metrics = {QueueMetric("backlog", 5)};
  s.behavior = DefaultBehavior();
  return s;
}

}  // namespace

TEST_CASE("scale to zero only after cooldownPeriod of inactivity", "[decision][keda]") {
  Loop l{QueueSpec(0, 10), {}, {}, 2};
  l.spec.cooldown_period_seconds = 300;
  l.Step(0, {Value(4)});  // active: the cooldown counts from here
  for (int64_t t = 15; t <= 300; t += 15) {
    const Decision d = l.Step(t, {Value(0)});
    INFO("t=" << t);
    CHECK(d.desired_replicas >= 1);  // never to zero before the cooldown
    CHECK_FALSE(d.active);
  }
  const Decision d = l.Step(315, {Value(0)});  // strictly after the cooldown, as KEDA
  CHECK(d.desired_replicas == 0);
  CHECK(d.reason == Reason::kScaledToZero);
  CHECK(l.replicas == 0);
  // Staying inactive at zero is a no-op.
  const Decision again = l.Step(330, {Value(0)});
  CHECK_FALSE(again.scale);
  CHECK(again.reason == Reason::kInactive);
}

TEST_CASE("activity resets the cooldown", "[decision][keda]") {
  Loop l{QueueSpec(0, 10), {}, {}, 1};
  l.spec.cooldown_period_seconds = 120;
  l.Step(0, {Value(3)});  // active
  l.Step(100, {Value(0)});
  CHECK(l.Step(120, {Value(0)}).desired_replicas == 1);
  CHECK(l.Step(121, {Value(0)}).desired_replicas == 0);
}

TEST_CASE("activation is strictly above the threshold and goes to max(minReplicas, 1)",
          "[decision][keda]") {
  Loop l{QueueSpec(0, 10), {}, {}, 0};
  l.spec.metrics[0].activation_threshold_milli = 5000;
  Decision d = l.Step(0, {Value(5)});
  CHECK(d.desired_replicas == 0);
  CHECK_FALSE(d.active);
  d = l.Step(15, {Value(5.001)});
  CHECK(d.desired_replicas == 2);  // ceil(5.001 / 5): straight to what the metric asks
  CHECK(d.reason == Reason::kActivated);
  // From there the HPA pipeline takes over, within the scale-up policy.
  d = l.Step(30, {Value(100)});
  CHECK(d.desired_replicas == 6);  // Pods 4 per 15 s from 2
}

TEST_CASE("a failed metric never deactivates: no scale to zero on missing data",
          "[decision][keda]") {
  Loop l{QueueSpec(0, 10), {}, {}, 3};
  l.spec.cooldown_period_seconds = 60;
  l.Step(0, {Value(12)});
  for (int64_t t = 15; t <= 600; t += 15) {
    const Decision d = l.Step(t, {Failed("connection refused")});
    INFO("t=" << t);
    CHECK(d.desired_replicas == 3);
    CHECK(d.reason == Reason::kFailedGetMetrics);
  }
  // At zero, a failure holds zero too (activity unknown).
  Loop z{QueueSpec(0, 10), {}, {}, 0};
  const Decision d = z.Step(0, {Failed("timeout")});
  CHECK(d.desired_replicas == 0);
  CHECK_FALSE(d.scaling_active);
}

TEST_CASE("idleReplicas: inactive goes to idle and stays there without flapping",
          "[decision][keda]") {
  Loop l{QueueSpec(3, 10), {}, {}, 4};
  l.spec.idle_replicas = 1;
  l.spec.cooldown_period_seconds = 30;
  l.Step(0, {Value(2)});  // active
  for (int64_t t = 15; t <= 45; t += 15) l.Step(t, {Value(0)});
  CHECK(l.replicas == 1);
  for (int64_t t = 60; t <= 900; t += 15) {
    const Decision d = l.Step(t, {Value(0)});
    INFO("t=" << t);
    CHECK_FALSE(d.scale);  // the HPA pipeline never raises idle back to minReplicas
  }
  const Decision d = l.Step(915, {Value(1)});
  CHECK(d.desired_replicas == 3);
  CHECK(d.reason == Reason::kActivated);
}

TEST_CASE("fallback after more than failureThreshold consecutive failures", "[decision][keda]") {
  Loop l{QueueSpec(1, 20), {}, {}, 2};
  l.spec.fallback = Fallback{2, 6, FallbackBehavior::kStatic};
  l.Step(0, {Value(10)});
  CHECK(l.Step(15, {Failed("down")}).desired_replicas == 2);
  CHECK(l.Step(30, {Failed("down")}).desired_replicas == 2);
  const Decision d = l.Step(45, {Failed("down")});  // third failure: 3 > 2
  CHECK(d.fallback);
  CHECK(d.desired_replicas == 6);
  CHECK(l.state.consecutive_failures[0] == 3);
  l.Step(60, {Value(10)});
  CHECK(l.state.consecutive_failures[0] == 0);
}

TEST_CASE("fallback behaviors", "[decision][keda]") {
  struct Row {
    FallbackBehavior behavior;
    int32_t current, replicas, expected;
  };
  const Row rows[] = {
      {FallbackBehavior::kStatic, 8, 4, 4},
      {FallbackBehavior::kCurrentReplicas, 8, 4, 8},
      {FallbackBehavior::kCurrentReplicasIfHigher, 8, 4, 8},
      {FallbackBehavior::kCurrentReplicasIfHigher, 2, 4, 4},
      {FallbackBehavior::kCurrentReplicasIfLower, 8, 4, 4},
      {FallbackBehavior::kCurrentReplicasIfLower, 2, 4, 2},
  };
  for (const Row& r : rows) {
    Spec s = QueueSpec(1, 20);
    s.behavior->scale_down.stabilization_window_seconds = 0;
    s.fallback = Fallback{0, r.replicas, r.behavior};
    DecisionState st;
    const Decision d = Decide(s, {}, Observe(r.current, {Failed("x")}), st, At(0));
    INFO("behavior " << static_cast<int>(r.behavior) << " current " << r.current);
    CHECK(d.metrics[0].proposal == r.expected);
  }
}

TEST_CASE("fallback also works at zero replicas", "[decision][keda]") {
  Loop l{QueueSpec(0, 20), {}, {}, 0};
  l.spec.fallback = Fallback{1, 5, FallbackBehavior::kStatic};
  CHECK(l.Step(0, {Failed("down")}).desired_replicas == 0);
  const Decision d = l.Step(15, {Failed("down")});
  CHECK(d.desired_replicas == 5);  // straight to the fallback replicas, as KEDA
  CHECK(d.reason == Reason::kActivated);
  CHECK(l.Step(30, {Failed("down")}).desired_replicas == 5);
}

TEST_CASE("pause keeps or sets the count and skips everything else", "[decision][keda]") {
  Spec s = QueueSpec(1, 10);
  s.paused = true;
  DecisionState st;
  Decision d = Decide(s, {}, Observe(4, {Value(1000)}), st, At(0));
  CHECK(d.desired_replicas == 4);
  CHECK(d.reason == Reason::kPaused);
  CHECK_FALSE(st.has_recommendations);
  s.paused_replicas = 2;
  d = Decide(s, {}, Observe(4, {Value(1000)}), st, At(0));
  CHECK(d.desired_replicas == 2);
  CHECK(d.scale);
  CHECK(d.reason == Reason::kPausedReplicas);
}

// The snapshot built from real decisions (the decision core runs): which number is the raw value
// and which the per-replica one, per source and target type.
#include "metrics/decision_snapshot.h"

#include <catch2/catch.hpp>

#include "controller/decision/decider.h"
#include "tests/support/builders.h"

namespace ebb::metrics {
namespace {

using namespace ebb::testing;

decision::Pod RunningPod(const std::string& name) {
  decision::Pod p;
  p.name = name;
  p.start_time = At(-3600);
  p.ready_transition_time = At(-3500);
  return p;
}

}  // namespace

TEST_CASE("snapshot: External AverageValue is the sum read and the average per replica",
          "[metrics]") {
  decision::Spec spec;
  spec.min_replicas = 1;
  spec.max_replicas = 20;
  spec.metrics = {QueueMetric("backlog", 5), ValueMetric("rps", 100)};
  decision::DecisionState st;
  const decision::Observation obs = Observe(3, {Value(30), Value(150)});
  const decision::Decision d = Decide(spec, {}, obs, st, At(0));
  REQUIRE(d.metrics[0].status == decision::MetricStatus::kOk);

  AutoscalerSnapshot s = SnapshotOf("shop", "worker", spec);
  AddDecision(s, spec, obs, d);
  CHECK(s.current_replicas == 3);
  CHECK(s.desired_replicas == d.desired_replicas);
  CHECK(s.min_replicas == 1);
  CHECK(s.max_replicas == 20);
  const MetricSnapshot& backlog = s.metrics[0];
  CHECK(backlog.source == "External");
  CHECK(backlog.target_type == "AverageValue");
  CHECK(backlog.value == 30);        // what the source said
  CHECK(backlog.per_replica == 10);  // what the target of 5 per replica is compared with
  CHECK(backlog.target == 5);
  CHECK(backlog.ratio.value_or(0) == Approx(2));
  CHECK(!backlog.utilization);
  const MetricSnapshot& rps = s.metrics[1];
  CHECK(rps.target_type == "Value");
  CHECK(rps.value == 150);
  CHECK(rps.per_replica == 50);
  CHECK(rps.target == 100);
}

TEST_CASE("snapshot: a Pods metric is averaged by nature, its value is the sum over the pods",
          "[metrics]") {
  decision::MetricSpec queue;
  queue.name = "queue_length";
  queue.metric_name = "queue_length";
  queue.type = decision::SourceType::kPods;
  queue.target.type = decision::TargetType::kAverageValue;
  queue.target.average_value_milli = 5000;
  decision::Spec spec;
  spec.min_replicas = 1;
  spec.max_replicas = 20;
  spec.metrics = {queue};
  decision::Observation obs = Observe(3, {});
  obs.pods_known = true;
  decision::MetricReading r;
  r.ok = true;
  r.sample_time = At(0);
  for (const char* name : {"p0", "p1", "p2"}) {
    obs.pods.push_back(RunningPod(name));
    r.pod_samples.push_back({name, 8000});
  }
  obs.readings = {r};
  decision::DecisionState st;
  const decision::Decision d = Decide(spec, {}, obs, st, At(0));
  REQUIRE(d.metrics[0].status == decision::MetricStatus::kOk);
  AutoscalerSnapshot s = SnapshotOf("shop", "worker", spec);
  AddDecision(s, spec, obs, d);
  CHECK(s.metrics[0].source == "Pods");
  CHECK(s.metrics[0].per_replica == 8);
  CHECK(s.metrics[0].value == 24);
  CHECK(s.metrics[0].target == 5);
}

TEST_CASE("snapshot: failed, paused and conditions", "[metrics]") {
  decision::Spec spec;
  spec.min_replicas = 1;
  spec.max_replicas = 20;
  spec.metrics = {QueueMetric("backlog", 5)};
  decision::DecisionState st;
  const decision::Observation obs = Observe(3, {Failed("connection refused")});
  const decision::Decision d = Decide(spec, {}, obs, st, At(0));
  AutoscalerSnapshot s = SnapshotOf("shop", "worker", spec);
  AddDecision(s, spec, obs, d);
  SetConditions(s, decision::Conditions(spec, d));
  CHECK(s.metrics[0].failed);
  CHECK(!s.metrics[0].value);
  CHECK(!s.metrics[0].per_replica);
  CHECK(s.metrics[0].target == 5);  // the target is known without a reading
  bool saw = false;
  for (const auto& c : s.conditions) {
    if (c.type != "ScalingActive") continue;
    saw = true;
    CHECK(c.status == "False");
  }
  CHECK(saw);

  // Paused: no metric is read, so none failed and none has a value.
  spec.paused = true;
  decision::DecisionState st2;
  const decision::Decision p = Decide(spec, {}, obs, st2, At(0));
  AutoscalerSnapshot ps = SnapshotOf("shop", "worker", spec);
  AddDecision(ps, spec, obs, p);
  CHECK(ps.paused);
  CHECK(!ps.metrics[0].failed);
  CHECK(!ps.metrics[0].value);
}

TEST_CASE("snapshot: Utilization has a percent, a per-pod average and a sum", "[metrics]") {
  decision::Spec spec;
  spec.min_replicas = 1;
  spec.max_replicas = 20;
  spec.metrics = {CpuUtilization(50)};
  decision::Observation obs = Observe(2, {});
  obs.pods_known = true;
  decision::MetricReading r;
  r.ok = true;
  r.sample_time = At(0);
  r.sample_window = Seconds(30);
  for (const char* name : {"p0", "p1"}) {
    decision::Pod p = RunningPod(name);
    p.requests = {{"cpu", "", 200}};
    obs.pods.push_back(p);
    r.pod_samples.push_back({name, 150});
  }
  obs.readings = {r};
  decision::DecisionState st;
  const decision::Decision d = Decide(spec, {}, obs, st, At(0));
  REQUIRE(d.metrics[0].status == decision::MetricStatus::kOk);
  AutoscalerSnapshot s = SnapshotOf("shop", "web", spec);
  AddDecision(s, spec, obs, d);
  CHECK(s.metrics[0].utilization == 75);
  CHECK(s.metrics[0].per_replica.value_or(0) == Approx(0.15));
  CHECK(s.metrics[0].value.value_or(0) == Approx(0.3));
  CHECK(s.metrics[0].target == 50);
}

}  // namespace ebb::metrics

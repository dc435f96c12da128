#include "controller/decision/replica_calculator.h"

#include <catch2/catch.hpp>

#include "tests/support/builders.h"

using namespace ebb::decision;
using namespace ebb::testing;

namespace {

Pod RunningPod(const std::string& name, int64_t cpu_request_milli,
               ConditionStatus ready = ConditionStatus::kTrue,
               PodPhase phase = PodPhase::kRunning) {
  Pod p;
  p.name = name;
  p.phase = phase;
  p.ready = ready;
  p.start_time = At(-3600);
  p.ready_transition_time = At(-3590);
  if (cpu_request_milli >= 0) p.requests = {{"cpu", "", cpu_request_milli}};
  return p;
}

MetricResult Calc(const MetricSpec& spec, const Observation& obs, const MetricReading& reading) {
  static const Settings settings;
  MetricInputs in;
  in.current_replicas = obs.spec_replicas;
  in.status_replicas = obs.status_replicas;
  in.settings = &settings;
  in.now = At(0);
  MetricResult out;
  CalculateMetric(spec, reading, obs, in, out);
  return out;
}

MetricReading Samples(std::vector<PodSample> samples) {
  MetricReading r;
  r.ok = true;
  r.pod_samples = std::move(samples);
  r.sample_time = At(0);
  r.sample_window = ebb::Seconds(30);
  return r;
}

Observation WithPods(std::vector<Pod> pods) {
  Observation o;
  o.spec_replicas = static_cast<int32_t>(pods.size());
  o.status_replicas = o.spec_replicas;
  o.pods_known = true;
  o.pods = std::move(pods);
  return o;
}

}  // namespace

TEST_CASE("cpu utilization: integer percent, float ratio, ceil over ready pods", "[decision]") {
  const Observation obs =
      WithPods({RunningPod("a", 1000), RunningPod("b", 1000), RunningPod("c", 1000)});
  const MetricResult r =
      Calc(CpuUtilization(30), obs, Samples({{"a", 300}, {"b", 500}, {"c", 700}}));
  REQUIRE(r.status == MetricStatus::kOk);
  CHECK(r.utilization == 50);  // 1500 * 100 / 3000
  CHECK(r.value_milli == 500);
  CHECK(r.proposal == 5);  // ceil(50/30 * 3)
}

TEST_CASE("cpu utilization: unready pods count as idle when scaling up", "[decision]") {
  const Observation obs = WithPods({RunningPod("a", 1000, ConditionStatus::kFalse),
                                    RunningPod("b", 1000), RunningPod("c", 1000)});
  const MetricResult r =
      Calc(CpuUtilization(30), obs, Samples({{"a", 300}, {"b", 500}, {"c", 700}}));
  CHECK(r.utilization == 60);  // only the ready pods, before rebalancing
  CHECK(r.proposal == 4);      // 1200*100/3000 = 40 % -> ceil(40/30 * 3)
}

TEST_CASE("missing pods: at 100 % of request when scaling down, idle when scaling up",
          "[decision]") {
  Observation obs = WithPods(
      {RunningPod("a", 1000), RunningPod("b", 1000), RunningPod("c", 1000), RunningPod("d", 1000)});
  // Scaling down: 2 samples at 10 % -> missing pods at 100 % of request flip the direction.
  MetricResult r = Calc(CpuUtilization(50), obs, Samples({{"a", 100}, {"b", 100}}));
  CHECK(r.utilization == 10);
  CHECK(r.proposal == 4);  // direction flipped -> current
  // Scaling up: 2 samples at 200 % -> missing pods at 0 %: 100 % over 4 -> ceil(2 * 4) = 8.
  r = Calc(CpuUtilization(50), obs, Samples({{"a", 2000}, {"b", 2000}}));
  CHECK(r.utilization == 200);
  CHECK(r.proposal == 8);
}

TEST_CASE("a pod without a request fails a utilization metric", "[decision]") {
  const Observation obs = WithPods({RunningPod("a", 1000), RunningPod("b", -1)});
  const MetricResult r = Calc(CpuUtilization(50), obs, Samples({{"a", 100}, {"b", 100}}));
  CHECK(r.status == MetricStatus::kFailed);
  CHECK(r.error.find("missing request for cpu") != std::string::npos);
}

TEST_CASE("pending, failed and deleting pods", "[decision]") {
  Pod deleting = RunningPod("d", 1000);
  deleting.deleting = true;
  const Observation obs = WithPods(
      {RunningPod("a", 1000), RunningPod("p", 1000, ConditionStatus::kFalse, PodPhase::kPending),
       RunningPod("f", 1000, ConditionStatus::kFalse, PodPhase::kFailed), deleting});
  const MetricResult r =
      Calc(CpuUtilization(50), obs, Samples({{"a", 500}, {"d", 900}, {"f", 900}}));
  REQUIRE(r.status == MetricStatus::kOk);
  CHECK(r.utilization == 50);
  CHECK(r.proposal == 4);  // within tolerance -> current (spec replicas = 4)
}

TEST_CASE("per-pod metric without a pod list is a clear error", "[decision]") {
  Observation obs = Observe(3, {});
  const MetricResult r = Calc(CpuUtilization(50), obs, Samples({{"a", 500}}));
  CHECK(r.status == MetricStatus::kFailed);
  CHECK(r.error.find("pod list") != std::string::npos);
}

TEST_CASE("value targets: ready pod count, tolerance, scale from zero", "[decision]") {
  Observation obs = WithPods({RunningPod("a", 0), RunningPod("b", 0, ConditionStatus::kFalse),
                              RunningPod("c", 0, ConditionStatus::kTrue, PodPhase::kPending)});
  // 3 replicas, 1 Running+Ready, ratio 1.95 -> ceil(1.95 * 1) = 2 (upstream quirk kept).
  MetricResult r = Calc(ValueMetric("q", 100), obs, Value(195));
  CHECK(r.proposal == 2);
  r = Calc(ValueMetric("q", 100), obs, Value(105));
  CHECK(r.proposal == 3);  // within tolerance -> current
  Observation zero = Observe(0, {});
  r = Calc(ValueMetric("q", 100), zero, Value(250));
  CHECK(r.proposal == 3);  // ceil(2.5), no tolerance, no readiness
}

TEST_CASE("average-value targets use status replicas and ceil(usage/target)", "[decision]") {
  Observation obs = Observe(4, {});
  obs.status_replicas = 5;
  MetricResult r = Calc(QueueMetric("q", 5), obs, Value(26));
  CHECK(r.proposal == 5);  // 26 / (5*5) = 1.04 within tolerance -> status replicas
  CHECK(r.value_milli == 5200);
  r = Calc(QueueMetric("q", 5), obs, Value(42));
  CHECK(r.proposal == 9);
  obs.status_replicas = 0;
  r = Calc(QueueMetric("q", 5), obs, Value(0));
  CHECK(r.proposal == 0);  // 0/0 is NaN: outside the band -> ceil(0/5)
  CHECK(r.value_milli == 0);
}

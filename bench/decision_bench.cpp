// Decision-step throughput on one core: the pure core with a full stabilization history.
// Prints decisions per second for a queue metric (the common case) and for cpu utilization
// over 10 pods (the per-pod path).
#include <chrono>
#include <cstdio>

#include "controller/decision/decider.h"

using namespace ebb;
using namespace ebb::decision;

namespace {

Spec QueueSpec() {
  Spec s;
  s.min_replicas = 1;
  s.max_replicas = 20;
  MetricSpec m;
  m.name = "backlog";
  m.type = SourceType::kScaler;
  m.scaler = "Redis";
  m.target.type = TargetType::kAverageValue;
  m.target.average_value_milli = 5000;
  s.metrics = {m};
  Behavior b;
  b.scale_up = {60, SelectPolicy::kMax, {{PolicyType::kPercent, 100, 15}}, std::nullopt};
  b.scale_down = {300, SelectPolicy::kMax, {{PolicyType::kPercent, 10, 60}}, std::nullopt};
  s.behavior = b;
  return s;
}

Spec CpuSpec() {
  Spec s = QueueSpec();
  MetricSpec m;
  m.name = "cpu";
  m.type = SourceType::kResource;
  m.resource = "cpu";
  m.target.type = TargetType::kUtilization;
  m.target.average_utilization = 70;
  s.metrics = {m};
  return s;
}

template <typename Fill>
double Run(const Spec& spec, Observation obs, long iterations, Fill fill, size_t* history) {
  const Settings settings;
  DecisionState state;
  Decision d;
  int32_t replicas = 5;
  long sink = 0;
  const Timestamp t0 = FromUnixMillis(1'800'000'000'000);
  // Warm up a full window: 300 s at 15 s ticks.
  for (int i = 0; i < 40; ++i) {
    obs.spec_replicas = obs.status_replicas = obs.ready_replicas = replicas;
    fill(obs, i);
    Decide(spec, settings, obs, state, t0 + Seconds(15 * i), d);
  }
  const auto start = std::chrono::steady_clock::now();
  for (long i = 0; i < iterations; ++i) {
    obs.spec_replicas = obs.status_replicas = obs.ready_replicas = replicas;
    fill(obs, i);
    Decide(spec, settings, obs, state, t0 + Seconds(15 * (40 + i)), d);
    if (d.scale) {
      RecordScale(spec, state, replicas, d.desired_replicas, t0 + Seconds(15 * (40 + i)));
      replicas = d.desired_replicas;
    }
    sink += d.desired_replicas;
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  *history = state.recommendations.size();
  if (sink == 42) std::puts("");  // keep the loop observable
  return static_cast<double>(iterations) / secs;
}

}  // namespace

int main(int argc, char** argv) {
  const long n = argc > 1 ? std::atol(argv[1]) : 20'000'000;
  size_t history = 0;

  Observation q;
  q.readings.resize(1);
  q.readings[0].ok = true;
  const double queue_rate = Run(
      QueueSpec(), q, n,
      [](Observation& o, long i) {
        o.readings[0].value_milli = (10 + (i * 7919) % 60) * 1000;  // 10..69 tasks
      },
      &history);
  std::printf(
      "decision (queue metric, behavior, %zu-entry history): %.2f M decisions/s, %.1f ns each\n",
      history, queue_rate / 1e6, 1e9 / queue_rate);

  Observation c;
  c.pods_known = true;
  c.readings.resize(1);
  c.readings[0].ok = true;
  for (int i = 0; i < 10; ++i) {
    Pod p;
    p.name = "web-" + std::to_string(i);
    p.start_time = FromUnixMillis(0);
    p.requests = {{"cpu", "", 500}};
    c.pods.push_back(p);
    c.readings[0].pod_samples.push_back({p.name, 300});
  }
  c.readings[0].sample_time = FromUnixMillis(1'900'000'000'000);
  const double cpu_rate = Run(
      CpuSpec(), c, n / 10,
      [](Observation& o, long i) {
        for (size_t k = 0; k < o.readings[0].pod_samples.size(); ++k) {
          o.readings[0].pod_samples[k].milli = 200 + (i * 31 + static_cast<long>(k) * 17) % 300;
        }
      },
      &history);
  std::printf(
      "decision (cpu utilization, 10 pods, %zu-entry history): %.2f M decisions/s, %.1f ns each\n",
      history, cpu_rate / 1e6, 1e9 / cpu_rate);
  return 0;
}

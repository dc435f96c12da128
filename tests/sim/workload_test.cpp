#include "controller/sim/workload.h"

#include <catch2/catch.hpp>

#include "tests/sim/sim_test_support.h"

namespace ebb::sim {
namespace {

using testing::CpuUtilization;
using testing::QueueMetric;
using testing::SpecWith;

const Timestamp kStart = FromUnixMillis(1'700'000'000'000);

decision::Observation ReadAt(Workload& w, SimulatedTarget& t, Timestamp now) {
  decision::Observation obs;
  w.AdvanceTo(now);
  w.Read(now, *t.GetScale(now), obs);
  return obs;
}

TEST_CASE("demand: the per-pod value falls as replicas become ready", "[sim][workload]") {
  const auto spec = SpecWith(QueueMetric("rps", 10), 1, 10);
  ModelConfig demand;
  demand.type = ModelType::kDemand;
  SimulatedTarget target(2, Seconds(30), kStart);
  Workload w(spec, {demand}, target, kStart, Seconds(300));
  REQUIRE(w.IndexOf("rps") == 0);
  CHECK(w.IndexOf("other") == -1);
  w.OnSample(0, kStart, 120);

  auto obs = ReadAt(w, target, kStart);
  REQUIRE(obs.readings.size() == 1);
  REQUIRE(obs.readings[0].ok);
  CHECK(obs.readings[0].value_milli == Approx(60000).margin(1));
  CHECK(w.load(0) == Approx(120));

  REQUIRE(target.SetReplicas(4, kStart).has_value());
  CHECK(ReadAt(w, target, kStart + Seconds(15)).readings[0].value_milli ==
        Approx(60000).margin(1));  // starting
  CHECK(ReadAt(w, target, kStart + Seconds(30)).readings[0].value_milli ==
        Approx(30000).margin(1));  // ready
}

TEST_CASE("replay ignores the replica count", "[sim][workload]") {
  const auto spec = SpecWith(QueueMetric("lag", 5), 1, 10);
  SimulatedTarget target(1, Seconds(0), kStart);
  Workload w(spec, {ModelConfig{}}, target, kStart, Seconds(300));
  w.OnSample(0, kStart, 42);
  CHECK(ReadAt(w, target, kStart).readings[0].value_milli == 42000);
  REQUIRE(target.SetReplicas(7, kStart).has_value());
  CHECK(ReadAt(w, target, kStart + Seconds(15)).readings[0].value_milli == 42000);
}

TEST_CASE("demand on cpu Utilization synthesizes pods, starting ones Pending", "[sim][workload]") {
  const auto spec = SpecWith(CpuUtilization(70), 1, 10);
  ModelConfig demand;
  demand.type = ModelType::kDemand;
  demand.request_milli = 500;
  SimulatedTarget target(2, Seconds(30), kStart);
  Workload w(spec, {demand}, target, kStart, Seconds(300));
  w.OnSample(0, kStart, 1.2);  // 1.2 cores in total
  REQUIRE(target.SetReplicas(3, kStart).has_value());

  auto obs = ReadAt(w, target, kStart + Seconds(15));
  CHECK(obs.pods_known);
  REQUIRE(obs.pods.size() == 3);
  CHECK(obs.pods[0].phase == decision::PodPhase::kRunning);
  CHECK(obs.pods[0].ready == decision::ConditionStatus::kTrue);
  CHECK(obs.pods[2].phase == decision::PodPhase::kPending);
  REQUIRE(obs.pods[0].requests.size() == 1);
  CHECK(obs.pods[0].requests[0].resource == "cpu");
  CHECK(obs.pods[0].requests[0].milli == 500);
  const auto& r = obs.readings[0];
  REQUIRE(r.ok);
  REQUIRE(r.pod_samples.size() == 2);  // the Pending pod has no sample yet
  CHECK(r.pod_samples[0].milli == 600);
  CHECK(r.pod_samples[1].pod == obs.pods[1].name);

  auto later = ReadAt(w, target, kStart + Seconds(45));
  REQUIRE(later.readings[0].pod_samples.size() == 3);
  CHECK(later.readings[0].pod_samples[0].milli == 400);
}

TEST_CASE("a sample older than the staleness limit is a failed reading", "[sim][workload]") {
  const auto spec = SpecWith(QueueMetric("rps", 10), 1, 10);
  SimulatedTarget target(1, Seconds(0), kStart);
  Workload w(spec, {ModelConfig{}}, target, kStart, Seconds(300));
  CHECK_FALSE(ReadAt(w, target, kStart).readings[0].ok);  // nothing yet
  w.OnSample(0, kStart + Seconds(10), 5);
  CHECK(ReadAt(w, target, kStart + Seconds(310)).readings[0].ok);
  auto stale = ReadAt(w, target, kStart + Seconds(311));
  CHECK_FALSE(stale.readings[0].ok);
  CHECK_THAT(stale.readings[0].error, Catch::Contains("older than 300s"));
}

TEST_CASE("queue: arrivals spread over their interval, drained by ready replicas",
          "[sim][workload]") {
  const auto spec = SpecWith(QueueMetric("backlog", 5), 1, 10);
  ModelConfig queue;
  queue.type = ModelType::kQueue;
  queue.service_rate = 0.5;
  queue.interval_seconds = 60;
  auto backlog_after_a_minute = [&](int32_t replicas) {
    SimulatedTarget target(replicas, Seconds(0), kStart);
    Workload w(spec, {queue}, target, kStart, Seconds(300));
    w.OnSample(0, kStart, 120);  // 2 tasks/s for a minute
    ReadAt(w, target, kStart);
    for (int s = 15; s <= 60; s += 15) ReadAt(w, target, kStart + Seconds(s));
    return static_cast<double>(ReadAt(w, target, kStart + Seconds(60)).readings[0].value_milli) /
           1000.0;
  };
  CHECK(backlog_after_a_minute(1) == Approx(90));  // (2 - 0.5) * 60
  CHECK(backlog_after_a_minute(2) == Approx(60));  // (2 - 1) * 60
  CHECK(backlog_after_a_minute(4) == Approx(0));
}

TEST_CASE("queue: a replica that becomes ready mid-tick starts draining then", "[sim][workload]") {
  const auto spec = SpecWith(QueueMetric("backlog", 5), 1, 10);
  ModelConfig queue;
  queue.type = ModelType::kQueue;
  queue.service_rate = 1;
  queue.interval_seconds = 1;
  SimulatedTarget target(0, Seconds(5), kStart);
  Workload w(spec, {queue}, target, kStart, Seconds(300));
  w.OnSample(0, kStart, 30);  // 30 tasks in the first second
  ReadAt(w, target, kStart);
  REQUIRE(target.SetReplicas(1, kStart).has_value());  // ready at 5 s
  auto obs = ReadAt(w, target, kStart + Seconds(15));
  CHECK(obs.readings[0].value_milli == Approx(20000).margin(1));  // drained 10 s x 1 task/s
  CHECK(w.load(0) == Approx(2));                                  // 30 tasks over the 15 s tick
}

}  // namespace
}  // namespace ebb::sim

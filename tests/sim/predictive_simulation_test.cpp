// Predictive scaling and scheduled floors through `ebb simulate`: the same decision core the
// controller runs, on a recording with a daily peak that starts faster than pods do.
#include <array>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

#include "controller/sim/simulate_command.h"
#include "tests/sim/sim_test_support.h"

namespace ebb::sim {
namespace {

using testing::TempDir;

// 2026-11-30 00:00 UTC.
constexpr int64_t kT0 = 1'795'996'800;

nlohmann::json Simulate(const std::string& spec, const std::string& rec) {
  std::ostringstream out, err;
  const int code =
      SimulateMain(std::vector<std::string>{"-f", spec, "--metrics", rec, "--json"}, out, err);
  INFO(err.str());
  REQUIRE(code == 0);
  return nlohmann::json::parse(out.str());
}

// Backlog (reactive) and the arrival rate, optionally forecast, optionally a scheduled floor.
std::string Spec(const std::string& predictive, const std::string& schedules) {
  return R"(apiVersion: ebb.dev/v1alpha1
kind: Autoscaler
metadata: {name: worker}
spec:
  scaleTargetRef: {kind: Deployment, name: worker}
  minReplicas: 1
  maxReplicas: 60
  metrics:
    - type: External
      name: backlog
      external: {metric: {name: backlog}, target: {type: AverageValue, averageValue: "10"}}
    - type: External
      name: arrivals
      external: {metric: {name: arrivals}, target: {type: AverageValue, averageValue: "400m"}}
)" + predictive +
         R"(  behavior:
    scaleDown:
      stabilizationWindowSeconds: 300
      policies: [{type: Percent, value: 10, periodSeconds: 60}]
)" + schedules +
         R"(---
apiVersion: ebb.dev/v1alpha1
kind: Simulation
metadata: {name: s}
spec:
  initialReplicas: 2
  startupDelaySeconds: 60
  seed: 7
  slo: {waitSeconds: 30, percentile: 99}
  models:
    backlog: {type: queue, queueModel: pool, intervalSeconds: 60, serviceTime: {distribution: exponential, meanSeconds: 2}}
    arrivals: {type: arrivalRate, of: backlog, windowSeconds: 60}
)";
}

// Three days: 60 tasks a minute, and 1200 a minute from 09:00 to 10:00 UTC.
std::string Recording() {
  std::string s;
  for (int64_t m = 0; m < 3 * 1440; ++m) {
    const int64_t minute_of_day = m % 1440;
    const int tasks = minute_of_day >= 540 && minute_of_day < 600 ? 1200 : 60;
    s += std::to_string(kT0 + m * 60) + ",backlog," + std::to_string(tasks) + "\n";
  }
  return s;
}

// Two days of 60 tasks a minute with one half-hour burst of 1200 a minute a day, at 03:00 and
// 14:00 UTC: a burst that does not recur at the same time.
std::string MovingBursts() {
  std::string s;
  for (int64_t m = 0; m < 2 * 1440; ++m) {
    const int64_t start = std::array<int64_t, 2>{180, 840}[static_cast<size_t>(m / 1440)];
    const int64_t minute_of_day = m % 1440;
    const int tasks = minute_of_day >= start && minute_of_day < start + 30 ? 1200 : 60;
    s += std::to_string(kT0 + m * 60) + ",backlog," + std::to_string(tasks) + "\n";
  }
  return s;
}

}  // namespace

TEST_CASE("predictive: a burst that does not recur costs about what reactive scaling does",
          "[sim][predictive]") {
  TempDir dir;
  const std::string rec = dir.File("r.csv", MovingBursts());
  const auto reactive = Simulate(dir.File("reactive.yaml", Spec("", "")), rec);
  const auto predictive = Simulate(
      dir.File("predictive.yaml", Spec("      predictive: {lookaheadSeconds: 120}\n", "")), rec);
  INFO("reactive " << reactive["replicaHours"] << " h, p99 " << reactive["slo"]["policyWaitSeconds"]
                   << " s; predictive " << predictive["replicaHours"] << " h, p99 "
                   << predictive["slo"]["policyWaitSeconds"] << " s");
  // Only the coming rise is forecast, not yesterday's level: the half hour at 1200 a minute
  // (50 replicas) is not held again at 03:00 the day after, where nothing comes. Day one has no
  // day before to confirm day zero's rises: the burst's rise is forecast once and decays with the
  // scale-down policy. Measured 2026-12-02: reactive 220.4 h; this forecast 245.1 h (1.11x; the
  // back-test gate it replaced shut the forecast off from midday on: 238.9 h), the level forecast
  // before it 253.6 h (1.15x).
  CHECK(predictive["replicaHours"].get<double>() < reactive["replicaHours"].get<double>() * 1.12);
}

TEST_CASE("predictive: capacity is in place when the daily peak starts", "[sim][predictive]") {
  TempDir dir;
  const std::string rec = dir.File("r.csv", Recording());
  const auto reactive = Simulate(dir.File("reactive.yaml", Spec("", "")), rec);
  const auto predictive = Simulate(
      dir.File("predictive.yaml", Spec("      predictive: {lookaheadSeconds: 120}\n", "")), rec);
  const double reactive_p99 = reactive["slo"]["policyWaitSeconds"].get<double>();
  const double predictive_p99 = predictive["slo"]["policyWaitSeconds"].get<double>();
  INFO("reactive p99 " << reactive_p99 << " s, " << reactive["replicaHours"]
                       << " h; predictive p99 " << predictive_p99 << " s, "
                       << predictive["replicaHours"] << " h");
  // Day one is the warm-up (no forecast); on days two and three the pool is up at 09:00.
  CHECK(predictive_p99 < reactive_p99 * 0.7);
  // Paid for with a little more capacity ahead of the peak, not with a standing surplus.
  CHECK(predictive["replicaHours"].get<double>() < reactive["replicaHours"].get<double>() * 1.15);
}

TEST_CASE("a scheduled floor in simulation: the same windows as live", "[sim][schedule]") {
  TempDir dir;
  const std::string rec = dir.File("r.csv", Recording());
  const auto reactive = Simulate(dir.File("reactive.yaml", Spec("", "")), rec);
  // 08:58 for 70 minutes at the peak's size: the peak is met, the floor costs ~1 h x 50 a day.
  const auto floored = Simulate(
      dir.File("floor.yaml",
               Spec("",
                    "  schedules:\n    - {name: peak, start: \"58 8 * * *\", durationSeconds: "
                    "4200, minReplicas: 50}\n")),
      rec);
  CHECK(floored["slo"]["policyWaitSeconds"].get<double>() <
        reactive["slo"]["policyWaitSeconds"].get<double>() * 0.7);
  CHECK(floored["replicas"]["max"].get<int>() >= 50);
}

}  // namespace ebb::sim

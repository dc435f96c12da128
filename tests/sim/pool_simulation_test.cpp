// The pool model through `ebb simulate` and the Workload: the SLO verdict and the ideal
// schedule in the summary, in-flight work as activity with minReplicas 0, the arrival-rate
// metric, and the Simulation fields that configure them.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

#include "controller/sim/simulate_command.h"
#include "controller/sim/simulation_config.h"
#include "controller/sim/workload.h"
#include "tests/sim/sim_test_support.h"

namespace ebb::sim {
namespace {

using testing::QueueMetric;
using testing::TempDir;

constexpr int64_t kT0 = 1'700'000'000;

struct Run {
  int code = 0;
  std::string out;
  std::string err;
};

Run Simulate(std::vector<std::string> args) {
  std::ostringstream out, err;
  Run r;
  r.code = SimulateMain(args, out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

std::string Spec(int min, int max, const std::string& sim_extra, const std::string& model) {
  return "apiVersion: ebb.dev/v1alpha1\nkind: Autoscaler\nmetadata: {name: worker}\n"
         "spec:\n  scaleTargetRef: {kind: Deployment, name: worker}\n"
         "  minReplicas: " +
         std::to_string(min) + "\n  maxReplicas: " + std::to_string(max) +
         "\n  cooldownPeriod: 60\n  metrics:\n    - type: External\n      external:\n"
         "        metric: {name: backlog}\n"
         "        target: {type: AverageValue, averageValue: \"5\"}\n"
         "---\napiVersion: ebb.dev/v1alpha1\nkind: Simulation\nmetadata: {name: s}\nspec:\n"
         "  initialReplicas: 1\n  startupDelaySeconds: 30\n" +
         sim_extra + "  models:\n    backlog: " + model + "\n";
}

std::string Rows(int64_t from_minute, int64_t minutes, int tasks_per_minute) {
  std::string s;
  for (int64_t m = from_minute; m < from_minute + minutes; ++m) {
    s += std::to_string(kT0 + m * 60) + ",backlog," + std::to_string(tasks_per_minute) + "\n";
  }
  return s;
}

TEST_CASE("pool: the summary judges the SLO and gives the ideal schedule", "[sim][pool]") {
  TempDir dir;
  const std::string spec =
      dir.File("a.yaml", Spec(1, 20, "  seed: 3\n  slo: {waitSeconds: 60, percentile: 99}\n",
                              "{type: queue, queueModel: pool, intervalSeconds: 60, "
                              "serviceTime: {distribution: exponential, meanSeconds: 2}}"));
  // An hour at 5 tasks/s (10 busy slots), then an hour at 1 task/s.
  const std::string rec = dir.File("r.csv", Rows(0, 60, 300) + Rows(60, 60, 60));
  const Run r = Simulate({"-f", spec, "--metrics", rec, "--json"});
  INFO(r.err);
  REQUIRE(r.code == 0);
  const auto j = nlohmann::json::parse(r.out);
  REQUIRE(j.contains("slo"));
  const auto& slo = j["slo"];
  CHECK(slo["waitSeconds"] == 60.0);
  CHECK(slo["met"].get<bool>() == (slo["policyWaitSeconds"].get<double>() <= 60.0));
  const auto& ideal = slo["ideal"];
  const double work = ideal["workBoundReplicaHours"].get<double>();
  CHECK(work == Approx(12).epsilon(0.05));  // 21,600 tasks x 2 s
  CHECK(ideal["replicaHours"].get<double>() >= work);
  CHECK(ideal["replicaHours"].get<double>() < j["replicaHours"].get<double>() * 1.5);
  CHECK(ideal["met"].get<bool>());
  CHECK(ideal["waitSeconds"].get<double>() <= 60.0);
  // The pool is random: a queue forms although capacity follows the load.
  CHECK(j["queues"][0]["waitSeconds"]["p99"].get<double>() > 0);
  CHECK(j["queues"][0]["arrived"].get<double>() == Approx(21600).epsilon(0.03));

  // The same seed gives the same run; the text summary shows the comparison.
  const Run again = Simulate({"-f", spec, "--metrics", rec, "--json"});
  CHECK(again.out == r.out);
  const Run text = Simulate({"-f", spec, "--metrics", rec});
  CHECK(text.out.find("SLO p99 wait <= 60.0 s") != std::string::npos);
  CHECK(text.out.find("ideal schedule") != std::string::npos);
  CHECK(text.out.find("policy / ideal") != std::string::npos);

  // The report draws the ideal schedule over the replicas, capacity over load, the SLO line over
  // the waits, and the in-flight tasks beside the backlog.
  const std::string html = dir.File("r.html");
  REQUIRE(Simulate({"-f", spec, "--metrics", rec, "--report", html}).code == 0);
  const std::string page = testing::ReadFile(html);
  CHECK(page.find("ideal (clairvoyant)") != std::string::npos);
  CHECK(page.find("capacity of the ready replicas") != std::string::npos);
  CHECK(page.find("SLO 60 s") != std::string::npos);
  CHECK(page.find("in flight") != std::string::npos);
  CHECK(page.find("x ideal") != std::string::npos);
}

TEST_CASE("pool: the report flags flapping", "[sim][pool]") {
  TempDir dir;
  // No scale-down window and a tiny target: every burst of this alternating load moves replicas.
  std::string spec =
      Spec(1, 20, "", "{type: queue, queueModel: pool, intervalSeconds: 60, serviceRate: 1}");
  spec.replace(spec.find("averageValue: \"5\""), 17, "averageValue: \"1\"");
  spec.replace(
      spec.find("  cooldownPeriod: 60\n"), 21,
      "  cooldownPeriod: 60\n  behavior:\n    scaleDown: {stabilizationWindowSeconds: 0}\n");
  std::string rows;
  for (int m = 0; m < 120; ++m) rows += Rows(m, 1, m % 2 == 0 ? 600 : 0);
  const std::string file = dir.File("a.yaml", spec);
  const std::string rec = dir.File("r.csv", rows);
  const std::string html = dir.File("r.html");
  const Run r = Simulate({"-f", file, "--metrics", rec, "--report", html, "--json"});
  INFO(r.err);
  REQUIRE(r.code == 0);
  const auto j = nlohmann::json::parse(r.out);
  REQUIRE(j["scaleEventsPerHour"].get<double>() > 4);
  CHECK(testing::ReadFile(html).find("flapping") != std::string::npos);
}

TEST_CASE("pool: with minReplicas 0, in-flight tasks keep the pool active", "[sim][pool]") {
  TempDir dir;
  // 20 tasks of 30 minutes each in the first minute; one replica runs 20 at once.
  auto spec_for = [&](const std::string& reading) {
    return dir.File(
        "a-" + reading + ".yaml",
        Spec(0, 10, "",
             "{type: queue, queueModel: pool, intervalSeconds: 60, concurrency: 20, "
             "reading: " +
                 reading + ", serviceTime: {distribution: constant, meanSeconds: 1800}}"));
  };
  const std::string rec = dir.File("r.csv", Rows(0, 1, 20) + Rows(90, 1, 0));
  const Run backlog = Simulate({"-f", spec_for("backlog"), "--metrics", rec, "--json"});
  INFO(backlog.err);
  REQUIRE(backlog.code == 0);
  const auto b = nlohmann::json::parse(backlog.out);
  // The backlog is 0 once the tasks start: the pool looks idle and goes to 0 while working.
  CHECK(b["scaledToZeroWhileBusy"].get<int>() >= 1);

  const Run inflight = Simulate({"-f", spec_for("backlogAndInFlight"), "--metrics", rec, "--json"});
  INFO(inflight.err);
  REQUIRE(inflight.code == 0);
  const auto f = nlohmann::json::parse(inflight.out);
  CHECK(f["scaledToZeroWhileBusy"].get<int>() == 0);
  CHECK(f["scaleDowns"].get<int>() >= 1);  // still goes to 0 once the work is done
  CHECK(f["replicaHours"].get<double>() > b["replicaHours"].get<double>());
}

TEST_CASE("arrivalRate reads the queue's arrivals per second over its window",
          "[sim][pool][workload]") {
  const Timestamp t0 = FromUnixMillis(kT0 * 1000);
  decision::Spec spec;
  spec.min_replicas = 1;
  spec.max_replicas = 10;
  spec.metrics.push_back(QueueMetric("backlog", 5));
  spec.metrics.push_back(QueueMetric("arrivals", 1));
  ModelConfig pool;
  pool.type = ModelType::kQueue;
  pool.queue_kind = QueueKind::kPool;
  pool.service_rate = 1;
  pool.interval_seconds = 60;
  ModelConfig rate;
  rate.type = ModelType::kArrivalRate;
  rate.of = "backlog";
  rate.window_seconds = 120;
  SimulatedTarget target(2, Seconds(0), t0);
  Workload w(spec, {pool, rate}, target, t0, Seconds(300), 9);
  for (int m = 0; m < 10; ++m) w.OnSample(0, t0 + Seconds(60 * m), m < 5 ? 600 : 0);
  decision::Observation obs;
  auto read_at = [&](int seconds) {
    const Timestamp now = t0 + Seconds(seconds);
    w.AdvanceTo(now);
    w.Read(now, *target.GetScale(now), obs);
    REQUIRE(obs.readings[1].ok);
    return static_cast<double>(obs.readings[1].value_milli) / 1000.0;
  };
  double at_240 = 0;
  for (int s = 15; s <= 600; s += 15) {
    const double v = read_at(s);
    if (s == 240) at_240 = v;
  }
  CHECK(at_240 == Approx(10).epsilon(0.1));  // 600 tasks a minute
  CHECK(read_at(615) == 0);                  // two minutes after the last arrival
  CHECK(w.load(1) == w.load(0));
}

TEST_CASE("Simulation: pool fields, seed and slo are parsed and checked", "[sim][pool][config]") {
  auto parse = [](const std::string& spec_yaml) {
    return ParseSimulation(nlohmann::json::parse(spec_yaml), "s.yaml");
  };
  auto ok = parse(R"({"apiVersion":"ebb.dev/v1alpha1","kind":"Simulation","spec":{
      "seed": 4, "slo": {"waitSeconds": 30, "percentile": 95},
      "models": {"q": {"type":"queue","queueModel":"pool","concurrency":3,
                       "reading":"backlogAndInFlight",
                       "serviceTime":{"distribution":"lognormal","meanSeconds":8,"cv":2}},
                 "r": {"type":"arrivalRate","of":"q","windowSeconds":120}}}})");
  REQUIRE(ok);
  CHECK(ok->seed == 4);
  REQUIRE(ok->slo);
  CHECK(ok->slo->percentile == 95);
  const ModelConfig& q = ok->models.at("q");
  CHECK(q.queue_kind == QueueKind::kPool);
  CHECK(q.concurrency == 3);
  CHECK(q.reading == QueueReading::kBacklogAndInFlight);
  REQUIRE(q.service_time);
  CHECK(MeanServiceSeconds(q) == 8);
  CHECK(ok->models.at("r").of == "q");

  auto bad = parse(R"({"apiVersion":"ebb.dev/v1alpha1","kind":"Simulation","spec":{
      "slo": {"percentile": 20},
      "models": {"q": {"type":"queue","serviceRate":1,"concurrency":3},
                 "p": {"type":"queue","queueModel":"pool","serviceTime":{"distribution":"recorded"}},
                 "r": {"type":"arrivalRate"}}}})");
  REQUIRE_FALSE(bad);
  const std::string& msg = bad.error().message;
  CHECK(msg.find("spec.slo.percentile: must be a percentile") != std::string::npos);
  CHECK(msg.find("spec.slo.waitSeconds: required") != std::string::npos);
  CHECK(msg.find("spec.models.q.concurrency: only a queue with queueModel: pool") !=
        std::string::npos);
  CHECK(msg.find("spec.models.p.serviceTime.file: required") != std::string::npos);
  CHECK(msg.find("spec.models.r.of: required") != std::string::npos);

  // An arrivalRate must read a queue metric of the Autoscaler.
  decision::Spec spec;
  spec.metrics.push_back(QueueMetric("q", 5));
  spec.metrics.push_back(QueueMetric("r", 1));
  SimulationConfig cfg;
  cfg.models["r"].type = ModelType::kArrivalRate;
  cfg.models["r"].of = "q";
  auto resolved = ResolveModels(cfg, spec, "worker");
  REQUIRE_FALSE(resolved);
  CHECK(resolved.error().message.find("spec.models.r.of: q is not a metric with a queue model") !=
        std::string::npos);
}

}  // namespace
}  // namespace ebb::sim

// What a run counts: the span after the last sample, tasks still queued at the end, gaps in a
// queue model's recording, and recordings whose span or gaps are absurd.
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "controller/sim/fluid_queue.h"
#include "controller/sim/simulate_command.h"
#include "controller/sim/workload.h"
#include "tests/sim/sim_test_support.h"

namespace ebb::sim {
namespace {

using testing::ReadFile;
using testing::SourceDir;
using testing::TempDir;

using testing::Run;
using testing::Simulate;

nlohmann::json Json(const Run& r) {
  INFO(r.err);
  REQUIRE(r.code == 0);
  return nlohmann::json::parse(r.out);
}

// One worker pool on a queue metric; `model` is the Simulation's models.backlog entry.
std::string Spec(int max_replicas, const std::string& model) {
  return "apiVersion: ebb.dev/v1alpha1\nkind: Autoscaler\nmetadata: {name: worker}\n"
         "spec:\n  scaleTargetRef: {kind: Deployment, name: worker}\n"
         "  minReplicas: 1\n  maxReplicas: " +
         std::to_string(max_replicas) +
         "\n  metrics:\n    - type: External\n      external:\n"
         "        metric: {name: backlog}\n"
         "        target: {type: AverageValue, averageValue: \"5\"}\n"
         "---\napiVersion: ebb.dev/v1alpha1\nkind: Simulation\nmetadata: {name: s}\nspec:\n"
         "  startupDelaySeconds: 0\n  models:\n    backlog: " +
         model + "\n";
}

const std::string kQueue60 = "{type: queue, serviceRate: 1, intervalSeconds: 60}";
constexpr int64_t kT0 = 1'700'000'000;  // 2023-11-14T22:13:20Z, a multiple of 60

std::string Row(int64_t seconds_after_t0, const std::string& value) {
  return std::to_string(kT0 + seconds_after_t0) + ",backlog," + value + "\n";
}

// ---------------------------------------------------------------- the last sample's span

TEST_CASE("the interval the last sample covers is simulated", "[sim][accounting]") {
  TempDir dir;
  SECTION("queue: the last row's arrivals arrive and are served") {
    // 600 tasks in the minute after the last row; 10 replicas at 1 task/s keep up.
    const std::string spec = dir.File("a.yaml", Spec(10, kQueue60));
    const std::string rec = dir.File("r.csv", Row(0, "0") + Row(60, "600"));
    const auto j = Json(Simulate({"-f", spec, "--metrics", rec, "--json"}));
    // The run covers [t0, t0 + 120 s): ticks at 0, 15, ..., 120.
    CHECK(j["durationSeconds"] == 120);
    CHECK(j["ticks"] == 9);
    CHECK(j["end"] == "2023-11-14T22:15:20Z");
    CHECK(j["queues"][0]["arrived"].get<double>() == Approx(600));
    CHECK(j["queues"][0]["waitSeconds"]["max"].get<double>() > 0);
  }
  SECTION("replay: the last value stands for one step of the recording") {
    const std::string spec = dir.File("a.yaml", Spec(10, "{type: replay}"));
    const std::string rec = dir.File("r.csv", Row(0, "5") + Row(30, "5") + Row(60, "5"));
    const auto j = Json(Simulate({"-f", spec, "--metrics", rec, "--json"}));
    CHECK(j["durationSeconds"] == 90);  // three rows of 30 s each
    CHECK(j["replicaHours"].get<double>() == Approx(90.0 / 3600));
  }
  SECTION("one row: it covers one polling interval") {
    const std::string spec = dir.File("a.yaml", Spec(10, "{type: replay}"));
    const std::string rec = dir.File("r.csv", Row(0, "5"));
    const auto j = Json(Simulate({"-f", spec, "--metrics", rec, "--json"}));
    CHECK(j["durationSeconds"] == 15);
    CHECK(j["ticks"] == 2);
  }
}

// ---------------------------------------------------------------- tasks left at the end

TEST_CASE("tasks still queued at the end count in the waits, censored", "[sim][accounting]") {
  SECTION("the queue by hand") {
    // 10 tasks arrive evenly over [0, 10) s and nobody serves them: at 10 s they have waited
    // 10 .. 0 s so far, mean 5.
    FluidQueue q;
    q.Advance(0, 10, 1, 0);
    CHECK(q.waits().total_weight() == 0);
    Histogram h = q.waits();
    q.AddCensoredWaits(10, h);
    CHECK(h.total_weight() == Approx(10));
    CHECK(h.mean() == Approx(5).epsilon(0.01));
    CHECK(h.max() == Approx(10));
    CHECK(h.Quantile(0.5) == Approx(5).epsilon(0.05));
  }
  SECTION("a pool that cannot keep up does not look fast") {
    TempDir dir;
    // One replica (the most allowed) at 0.5 tasks/s; 600 tasks in the first minute, then
    // nothing until the run ends at 600 s. The task at position x arrives at x/10 s; the first
    // 300 leave at 2x s (waits 0 .. 570 s), the other 300 are still queued at the end, having
    // waited 570 .. 540 s so far.
    const std::string spec =
        dir.File("a.yaml", Spec(1, "{type: queue, serviceRate: 0.5, intervalSeconds: 60}"));
    const std::string rec = dir.File("r.csv", Row(0, "600") + Row(540, "0"));
    auto j = Json(Simulate({"-f", spec, "--metrics", rec, "--json"}));
    const auto& q = j["queues"][0];
    CHECK(q["served"].get<double>() == Approx(300));
    CHECK(q["backlogAtEnd"].get<double>() == Approx(300));
    CHECK(q["waitSeconds"]["censoredTasks"].get<double>() == Approx(300));
    // The served tasks alone would say a median of 285 s.
    CHECK(q["waitSeconds"]["p50"].get<double>() == Approx(540).epsilon(0.02));
    CHECK(q["waitSeconds"]["p95"].get<double>() == Approx(567).epsilon(0.02));
    CHECK(q["waitSeconds"]["max"].get<double>() == Approx(570).epsilon(0.01));

    const Run text = Simulate({"-f", spec, "--metrics", rec});
    CHECK_THAT(text.out, Catch::Contains("300 tasks still queued at the end, censored"));
    const std::string report = dir.File("report.html");
    REQUIRE(Simulate({"-f", spec, "--metrics", rec, "--report", report}).code == 0);
    CHECK_THAT(ReadFile(report), Catch::Contains("300 tasks still queued at the end, censored"));
  }
}

// ---------------------------------------------------------------- gaps in a queue recording

TEST_CASE("a missing row in a queue recording means no arrivals", "[sim][accounting]") {
  TempDir dir;
  // Two bursts an hour apart, the rows in between left out (they were zeros).
  const std::string rec =
      dir.File("r.csv", Row(0, "60") + Row(60, "0") + Row(3600, "60") + Row(3660, "0"));
  SECTION("queue: the simulator knows the backlog, no reading fails") {
    const std::string spec = dir.File("a.yaml", Spec(4, kQueue60));
    const auto j = Json(Simulate({"-f", spec, "--metrics", rec, "--json"}));
    CHECK(j["failedReadings"]["backlog"] == 0);
    CHECK(j["queues"][0]["arrived"].get<double>() == Approx(120));
  }
  SECTION("replay: a recorded metric does lack data in the gap, as a real scaler would") {
    const std::string spec = dir.File("a.yaml", Spec(4, "{type: replay}"));
    const auto j = Json(Simulate({"-f", spec, "--metrics", rec, "--json"}));
    // Stale from 300 s after the second row until the third: ticks 375 .. 3585.
    CHECK(j["failedReadings"]["backlog"] == (3585 - 375) / 15 + 1);
  }
  SECTION("demand: a gauge, the same") {
    const std::string spec = dir.File("a.yaml", Spec(4, "{type: demand}"));
    const auto j = Json(Simulate({"-f", spec, "--metrics", rec, "--json"}));
    CHECK(j["failedReadings"]["backlog"] == (3585 - 375) / 15 + 1);
  }
}

TEST_CASE("after a gap a queue row covers one step, not the gap", "[sim][accounting]") {
  const Timestamp t0 = FromUnixMillis(kT0 * 1000);
  auto spec = testing::SpecWith(testing::QueueMetric("backlog", 5), 1, 10);
  ModelConfig queue;
  queue.type = ModelType::kQueue;
  queue.service_rate = 1;  // no intervalSeconds: derived from the recording
  SimulatedTarget target(1, Seconds(0), t0);
  Workload w(spec, {queue}, target, t0, Seconds(300));
  w.OnSample(0, t0, 60);
  w.OnSample(0, t0 + Seconds(60), 60);
  w.AdvanceTo(t0 + Seconds(7200));
  // Rows every minute, then nothing for almost two hours: the next row's 600 tasks arrive in
  // its minute, not spread over the two hours before the row after it would have come.
  CHECK(w.OnSample(0, t0 + Seconds(7200), 600) == t0 + Seconds(7260));
  w.AdvanceTo(t0 + Seconds(7260));
  REQUIRE(w.queue(0) != nullptr);
  CHECK(w.queue(0)->arrived() == Approx(720));
}

TEST_CASE("the bundled recording without its zero rows: no queue reading fails",
          "[sim][accounting][e2e]") {
  TempDir dir;
  std::ifstream in(SourceDir() + "/examples/recordings/celery-arrivals.csv");
  std::string sparse, line;
  size_t zeros = 0;
  while (std::getline(in, line)) {
    if (line.size() > 2 && line.compare(line.size() - 2, 2, ",0") == 0) {
      ++zeros;
      continue;
    }
    sparse += line + "\n";
  }
  REQUIRE(zeros > 5000);
  const std::string rec = dir.File("sparse.csv", sparse);
  const auto j = Json(
      Simulate({"-f", SourceDir() + "/examples/celery-worker.yaml", "--metrics", rec, "--json"}));
  CHECK(j["failedReadings"]["backlog"] == 0);
  CHECK(j["queues"][0]["arrived"].get<double>() > 1e6);
}

// ---------------------------------------------------------------- absurd spans and gaps

TEST_CASE("absurd spans are refused, long gaps reported", "[sim][accounting]") {
  TempDir dir;
  const std::string spec = dir.File("a.yaml", Spec(4, "{type: replay}"));
  SECTION("a span over the day limit names the row, the timestamps and the limit") {
    // 2020-01-01 .. 2021-06-01: 517 days.
    const std::string rec =
        dir.File("r.csv", "timestamp,metric,value\n1577836800,backlog,1\n1622505600,backlog,1\n");
    const Run r = Simulate({"-f", spec, "--metrics", rec});
    CHECK(r.code == 2);
    CHECK_THAT(r.err, Catch::Contains(rec +
                                      ":3: timestamp 2021-06-01T00:00:00Z is 517.0 days "
                                      "after the first sample (2020-01-01T00:00:00Z, " +
                                      rec + ":2)"));
    CHECK_THAT(r.err, Catch::Contains("at most 400 days and 10000000 ticks of 15 s"));
    CHECK_THAT(r.err, Catch::Contains("--max-span-days"));
  }
  SECTION("1970 to 2100 is refused at once") {
    const std::string rec = dir.File("r.csv", "0,backlog,1\n4102444800,backlog,1\n");
    const Run r = Simulate({"-f", spec, "--metrics", rec});
    CHECK(r.code == 2);
    CHECK_THAT(r.err, Catch::Contains(rec + ":2: timestamp 2100-01-01T00:00:00Z"));
  }
  SECTION("the limits are flags") {
    const std::string rec = dir.File("r.csv", Row(0, "1") + Row(2 * 86400, "1"));
    CHECK(Simulate({"-f", spec, "--metrics", rec, "--json"}).code == 0);
    const Run days = Simulate({"-f", spec, "--metrics", rec, "--max-span-days", "1"});
    CHECK(days.code == 2);
    CHECK_THAT(days.err, Catch::Contains("at most 1 days"));
    const Run ticks = Simulate({"-f", spec, "--metrics", rec, "--max-ticks", "1000"});
    CHECK(ticks.code == 2);
    CHECK_THAT(ticks.err, Catch::Contains("1000 ticks of 15 s"));
    CHECK(Simulate({"-f", spec, "--metrics", rec, "--max-ticks", "0"}).code == 2);  // usage
  }
  SECTION("timestamps beyond the year 9999") {
    const std::string rec = dir.File("r.csv", Row(0, "1") + "99999999999999,backlog,1\n");
    const Run r = Simulate({"-f", spec, "--metrics", rec});
    CHECK(r.code == 2);
    CHECK_THAT(r.err, Catch::Contains(rec + ":2: timestamp 99999999999999 s is outside"));
  }
  SECTION("a query_range recording names the point") {
    const std::string rec = dir.File(
        "r.json",
        R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{"ebb_metric":"backlog"},)"
        R"("values":[[1577836800,"1"],[1577836815,"1"],[1622505600,"1"]]}]}})");
    const Run r = Simulate({"-f", spec, "--metrics", rec});
    CHECK(r.code == 2);
    CHECK_THAT(r.err, Catch::Contains(rec + ": data.result[0].values[2]: timestamp"));
  }
  SECTION("a gap longer than the warning limit is a warning with its position") {
    const std::string rec =
        dir.File("r.csv", "timestamp,metric,value\n" + Row(0, "1") + Row(60, "1") +
                              Row(60 + 7 * 3600, "1") + Row(60 + 7 * 3600 + 60, "1"));
    const auto j = Json(Simulate({"-f", spec, "--metrics", rec, "--json"}));
    REQUIRE(j["warnings"].size() == 1);
    CHECK(j["warnings"][0] == rec +
                                  ":4: no sample of backlog for 7.0 h (2023-11-14T22:14:20Z .. "
                                  "2023-11-15T05:14:20Z), longer than 6.0 h (--gap-warning)");
    const auto quiet =
        Json(Simulate({"-f", spec, "--metrics", rec, "--json", "--gap-warning", "86400"}));
    CHECK(quiet["warnings"].empty());
  }
  SECTION("many gaps: the first five and a count") {
    std::string csv;
    for (int i = 0; i < 9; ++i) csv += Row(i * 3600, "1");
    const std::string rec = dir.File("r.csv", csv);
    const auto j =
        Json(Simulate({"-f", spec, "--metrics", rec, "--json", "--gap-warning", "1800"}));
    REQUIRE(j["warnings"].size() == 6);
    CHECK(j["warnings"][5] == "3 more gaps longer than 30.0 min (the first 5 are listed)");
  }
}

}  // namespace
}  // namespace ebb::sim

#include "controller/sim/simulate_command.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <charconv>
#include <nlohmann/json.hpp>
#include <sstream>

#include "controller/sim/timestamp_text.h"
#include "tests/sim/sim_test_support.h"

namespace ebb::sim {
namespace {

using testing::ReadFile;
using testing::SourceDir;
using testing::TempDir;

using testing::Run;
using testing::Simulate;

constexpr const char* kSmallSpec = R"(apiVersion: ebb.dev/v1alpha1
kind: Autoscaler
metadata: {name: worker}
spec:
  scaleTargetRef: {kind: Deployment, name: worker}
  minReplicas: 1
  maxReplicas: 6
  metrics:
    - type: External
      external:
        metric: {name: backlog}
        target: {type: AverageValue, averageValue: "5"}
)";

TEST_CASE("simulate arguments", "[sim][cli]") {
  auto ok = ParseSimulateArgs(std::vector<std::string>{
      "-f", "a.yaml", "--metrics", "r.csv", "--metrics=s.json", "--json", "--initial-replicas", "3",
      "--startup-delay=10", "--report", "r.html", "--format", "csv"});
  REQUIRE(ok.has_value());
  CHECK(ok->filename == "a.yaml");
  CHECK(ok->metrics == std::vector<std::string>{"r.csv", "s.json"});
  CHECK(ok->json);
  CHECK(ok->initial_replicas == 3);
  CHECK(ok->startup_delay_seconds == 10);
  CHECK(ok->report == "r.html");
  CHECK(ok->format == RecordingFormat::kCsv);

  const std::vector<std::pair<std::vector<std::string>, const char*>> bad = {
      {{"--metrics", "r.csv"}, "-f AUTOSCALER.yaml is required"},
      {{"-f", "a.yaml"}, "--metrics RECORDING is required"},
      {{"-f", "a.yaml", "--metrics", "r.csv", "--initial-replicas", "many"},
       "--initial-replicas: must be an integer"},
      {{"-f", "a.yaml", "--metrics", "r.csv", "--bogus"}, "\"--bogus\": unknown flag"},
      {{"-f"}, "-f: needs a value"},
  };
  for (const auto& [args, expect] : bad) {
    auto r = ParseSimulateArgs(args);
    REQUIRE_FALSE(r.has_value());
    CHECK_THAT(r.error().message, Catch::Contains(expect));
    const Run run = Simulate(args);
    CHECK(run.code == 2);
    CHECK_THAT(run.err, Catch::Contains(expect));
  }
}

TEST_CASE("bad specs, settings and recordings exit 2 naming file and field", "[sim][cli]") {
  TempDir dir;
  const std::string rec = dir.File("r.csv", "timestamp,metric,value\n1700000000,backlog,4\n");
  SECTION("missing spec file") {
    const Run r = Simulate({"-f", dir.File("nope.yaml"), "--metrics", rec});
    CHECK(r.code == 2);
    CHECK_THAT(r.err, Catch::Contains("nope.yaml"));
  }
  SECTION("a bad Simulation field") {
    const std::string spec = dir.File(
        "a.yaml", std::string(kSmallSpec) +
                      "---\napiVersion: ebb.dev/v1alpha1\nkind: Simulation\nmetadata: {name: s}\n"
                      "spec:\n  models:\n    backlog: {type: queue, serviceRate: -1}\n");
    const Run r = Simulate({"-f", spec, "--metrics", rec});
    CHECK(r.code == 2);
    CHECK_THAT(r.err, Catch::Contains("a.yaml: Simulation s: spec.models.backlog.serviceRate"));
  }
  SECTION("a model for a metric the Autoscaler lacks") {
    const std::string spec =
        dir.File("a.yaml", std::string(kSmallSpec) +
                               "---\napiVersion: ebb.dev/v1alpha1\nkind: Simulation\nspec:\n"
                               "  models:\n    queue: {type: replay}\n");
    const Run r = Simulate({"-f", spec, "--metrics", rec});
    CHECK(r.code == 2);
    CHECK_THAT(r.err, Catch::Contains("spec.models.queue: Autoscaler worker has no metric"));
  }
  SECTION("an invalid Autoscaler") {
    const std::string spec =
        dir.File("a.yaml",
                 "apiVersion: ebb.dev/v1alpha1\nkind: Autoscaler\nmetadata: {name: w}\n"
                 "spec:\n  scaleTargetRef: {kind: Deployment, name: w}\n"
                 "  minReplicas: 5\n  maxReplicas: 2\n");
    const Run r = Simulate({"-f", spec, "--metrics", rec});
    CHECK(r.code == 2);
    CHECK_THAT(r.err, Catch::Contains("a.yaml"));
    CHECK_THAT(r.err, Catch::Contains("maxReplicas"));
  }
  SECTION("a malformed recording") {
    const std::string spec = dir.File("a.yaml", kSmallSpec);
    const std::string broken = dir.File("b.csv", "1700000000,backlog,4\n1700000015,backlog,four\n");
    const Run r = Simulate({"-f", spec, "--metrics", broken});
    CHECK(r.code == 2);
    CHECK_THAT(r.err, Catch::Contains("b.csv:2: bad value \"four\""));
  }
}

TEST_CASE("a small replay writes a timeline and a JSON summary", "[sim][cli]") {
  TempDir dir;
  const std::string spec = dir.File("a.yaml", kSmallSpec);
  std::string csv = "timestamp,metric,value\n";
  for (int i = 0; i < 40; ++i) {
    csv += std::to_string(1700000000 + 15 * i) + ",backlog," + (i < 20 ? "20" : "2") + "\n";
  }
  const std::string rec = dir.File("r.csv", csv);
  const std::string out = dir.File("t.csv");
  const Run r = Simulate({"-f", spec, "--metrics", rec, "--out", out, "--json"});
  REQUIRE(r.code == 0);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j["autoscaler"] == "worker");
  CHECK(j["ticks"] == 41);  // the last row covers one more step
  CHECK(j["durationSeconds"] == 40 * 15);
  const std::string timeline = ReadFile(out);
  CHECK(timeline.rfind("time,backlog_load,backlog,backlog_proposal,desired,ready,replicas,reason\n",
                       0) == 0);
  CHECK(std::count(timeline.begin(), timeline.end(), '\n') == 42);
  // Replay: 20 in total over 1 replica asks for 4 (AverageValue 5).
  CHECK_THAT(timeline, Catch::Contains("2023-11-14T22:13:20Z,20,20,4,"));
}

TEST_CASE("controller-level settings change the replay: Simulation document, then flags",
          "[sim][cli]") {
  TempDir dir;
  // A backlog wobbling 15% around 2 replicas' worth: the default tolerance (10%) chases it,
  // a 20% tolerance holds still.
  std::string csv = "timestamp,metric,value\n";
  for (int i = 0; i < 40; ++i)
    csv += std::to_string(1700000000 + 15 * i) + ",backlog," + (i % 8 < 4 ? "11.5" : "8.5") + "\n";
  const std::string rec = dir.File("r.csv", csv);
  const std::string behavior = "  behavior:\n    scaleDown: {stabilizationWindowSeconds: 0}\n";
  const std::string plain = dir.File("a.yaml", std::string(kSmallSpec) + behavior);
  const std::string tolerant =
      dir.File("b.yaml", std::string(kSmallSpec) + behavior +
                             "---\napiVersion: ebb.dev/v1alpha1\nkind: Simulation\nspec:\n"
                             "  initialReplicas: 2\n  settings: {tolerance: 0.2}\n");
  auto events = [&](std::vector<std::string> args) {
    const Run r = Simulate(args);
    INFO(r.err);
    REQUIRE(r.code == 0);
    const auto j = nlohmann::json::parse(r.out);
    return j["scaleUps"].get<int>() + j["scaleDowns"].get<int>();
  };
  CHECK(events({"-f", plain, "--metrics", rec, "--json", "--initial-replicas", "2"}) > 0);
  CHECK(events({"-f", tolerant, "--metrics", rec, "--json"}) == 0);
  const auto summary =
      nlohmann::json::parse(Simulate({"-f", tolerant, "--metrics", rec, "--json"}).out);
  CHECK(summary["settings"]["tolerance"] == 0.2);  // the report says what it assumed
  // The flag wins over the document, as for ebb run.
  CHECK(events({"-f", tolerant, "--metrics", rec, "--json", "--tolerance", "0.1"}) > 0);
  const Run bad = Simulate({"-f", plain, "--metrics", rec, "--tolerance", "lots"});
  CHECK(bad.code == 2);
  CHECK_THAT(bad.err, Catch::Contains("--tolerance: must be a number >= 0"));
}

// ---------------------------------------------------------------- the bundled celery example

struct TimelineRow {
  int64_t ms = 0;
  int proposal = -1;
  int desired = 0;
  int ready = 0;
  int replicas = 0;
  std::string reason;
};

std::vector<TimelineRow> ParseTimeline(const std::string& text) {
  std::vector<TimelineRow> rows;
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);
  REQUIRE(line == "time,backlog_load,backlog,backlog_proposal,desired,ready,replicas,reason");
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    size_t start = 0;
    for (size_t c = line.find(','); c != std::string::npos; c = line.find(',', start)) {
      f.push_back(line.substr(start, c - start));
      start = c + 1;
    }
    f.push_back(line.substr(start));
    REQUIRE(f.size() == 8);
    TimelineRow r;
    r.ms = ToUnixMillis(*ParseTimestamp(f[0]));
    if (!f[3].empty()) r.proposal = std::stoi(f[3]);
    r.desired = std::stoi(f[4]);
    r.ready = std::stoi(f[5]);
    r.replicas = std::stoi(f[6]);
    r.reason = f[7];
    rows.push_back(r);
  }
  return rows;
}

TEST_CASE("the celery example follows its scaling policy end to end", "[sim][e2e]") {
  TempDir dir;
  const std::string out = dir.File("timeline.csv");
  const std::string report = dir.File("report.html");
  const Run r = Simulate({"-f", SourceDir() + "/examples/celery-worker.yaml", "--metrics",
                          SourceDir() + "/examples/recordings/celery-arrivals.csv", "--out", out,
                          "--report", report, "--json"});
  INFO(r.err);
  REQUIRE(r.code == 0);
  const auto summary = nlohmann::json::parse(r.out);
  const auto rows = ParseTimeline(ReadFile(out));
  REQUIRE(rows.size() > 80000);  // 14 days of 15 s ticks
  CHECK(summary["ticks"] == rows.size());

  int ups = 0, downs = 0, up_limited = 0, down_limited = 0;
  for (size_t i = 1; i < rows.size(); ++i) {
    const auto& row = rows[i];
    INFO("tick " << FormatRfc3339(FromUnixMillis(row.ms)));
    REQUIRE(row.proposal >= 0);  // the queue metric never fails
    CHECK(row.replicas >= 1);
    CHECK(row.replicas <= 20);
    const int before = rows[i - 1].replicas;
    if (row.replicas == before) continue;
    if (row.reason == "ScaleUpLimit") ++up_limited;
    if (row.reason == "ScaleDownLimit") ++down_limited;

    // Replicas added and removed in (t - period, t), as upstream counts them.
    auto changes_within = [&](int64_t period_ms, int& added, int& removed) {
      added = removed = 0;
      for (size_t k = i - 1; k >= 1 && rows[k].ms > row.ms - period_ms; --k) {
        const int d = rows[k].replicas - rows[k - 1].replicas;
        (d > 0 ? added : removed) += d > 0 ? d : -d;
      }
    };
    int added = 0, removed = 0;
    if (row.replicas > before) {
      ++ups;
      // Percent 100 per 15 s: at most double the replicas the period started with.
      changes_within(15'000, added, removed);
      CHECK(row.replicas <= 2 * (before - added + removed));
      // Up-window 60 s: no more than the lowest recommendation of the last minute.
      int lowest = row.proposal;
      for (size_t k = i; k >= 1 && rows[k].ms > row.ms - 60'000; --k) {
        lowest = std::min(lowest, rows[k].proposal);
      }
      if (row.ms - rows.front().ms >= 60'000) CHECK(row.replicas <= std::max(lowest, 1));
    } else {
      ++downs;
      // Percent 10 per 60 s: keep at least 90 % (rounded down) of the period's start.
      changes_within(60'000, added, removed);
      const int period_start = before - added + removed;
      CHECK(row.replicas >= period_start * 9 / 10);
      // Down-window 300 s: every recommendation of the last five minutes was this low.
      int highest = 0;
      for (size_t k = i; k >= 1 && rows[k].ms > row.ms - 300'000; --k) {
        highest = std::max(highest, rows[k].proposal);
      }
      CHECK(row.replicas >= highest);
      CHECK(row.ms - rows.front().ms >= 300'000);
    }
  }
  // The recording exercises the pool: it scales both ways and both rate policies bind.
  CHECK(ups > 100);
  CHECK(downs > 100);
  CHECK(up_limited > 10);
  CHECK(down_limited > 10);
  CHECK(summary["replicas"]["max"] == 20);
  CHECK(summary["replicas"]["min"] == 1);
  REQUIRE(summary["queues"].size() == 1);
  CHECK(summary["queues"][0]["arrived"].get<double>() > 1e6);
  CHECK(summary["queues"][0]["waitSeconds"]["p99"].get<double>() > 0);
  CHECK(ReadFile(report).size() > 10000);
}

}  // namespace
}  // namespace ebb::sim

// `ebb simulate` with several policies: the table's rows are the single runs' results.
#include "controller/sim/compare.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

#include "controller/sim/simulate_command.h"
#include "tests/sim/sim_test_support.h"

namespace ebb::sim {
namespace {

using testing::ReadFile;
using testing::TempDir;

using testing::Run;
using testing::Simulate;

std::string Autoscaler(const std::string& name, const std::string& target,
                       const std::string& extra = "") {
  return "apiVersion: ebb.dev/v1alpha1\nkind: Autoscaler\nmetadata: {name: " + name +
         "}\nspec:\n  scaleTargetRef: {kind: Deployment, name: worker}\n  minReplicas: 1\n"
         "  maxReplicas: 12\n  metrics:\n    - type: External\n      external:\n"
         "        metric: {name: backlog}\n        target: {type: AverageValue, averageValue: \"" +
         target + "\"}\n" + extra;
}

constexpr const char* kSimulation = R"(apiVersion: ebb.dev/v1alpha1
kind: Simulation
metadata: {name: two-hours}
spec:
  startupDelaySeconds: 30
  costPerReplicaHour: 0.5
  seed: 7
  slo: {waitSeconds: 60, percentile: 95}
  models:
    backlog: {type: queue, queueModel: pool, serviceRate: 0.5, intervalSeconds: 60}
)";

// Two hours of arrivals per minute: quiet, then bursts every 20 minutes.
std::string Recording() {
  std::string csv = "timestamp,metric,value\n";
  for (int i = 0; i < 120; ++i) {
    csv += std::to_string(1'700'000'000 + 60 * i) + ",backlog," +
           std::to_string((i / 20) % 2 ? 150 : 20) + "\n";
  }
  return csv;
}

// A scale-down without a window flaps on the bursts; the other waits.
const std::string kFlappy =
    Autoscaler("flappy", "2",
               "  behavior:\n    scaleDown:\n      stabilizationWindowSeconds: 0\n"
               "      policies: [{type: Percent, value: 100, periodSeconds: 15}]\n");
// Scale-downs wait 15 minutes of lower recommendations: no flapping on these bursts.
const std::string kCalm =
    Autoscaler("calm", "4", "  behavior:\n    scaleDown:\n      stabilizationWindowSeconds: 900\n");

TEST_CASE("compared policies: each row is the policy's single run", "[sim][compare]") {
  TempDir dir;
  const std::string spec =
      dir.File("policies.yaml", kFlappy + "---\n" + kCalm + "---\n" + kSimulation);
  const std::string rec = dir.File("rec.csv", Recording());

  const Run both = Simulate({"-f", spec, "--metrics", rec, "--json"});
  REQUIRE(both.code == 0);
  const auto j = nlohmann::json::parse(both.out);
  REQUIRE(j["policies"].size() == 2);
  REQUIRE(j["summaries"].size() == 2);
  const std::vector<std::string> names = {"flappy", "calm"};
  for (size_t k = 0; k < names.size(); ++k) {
    const Run single = Simulate({"-f", spec, "--metrics", rec, "--json", "--autoscaler", names[k]});
    REQUIRE(single.code == 0);
    const auto one = nlohmann::json::parse(single.out);
    // The whole summary, the ideal included (computed once, shared), equals the single run's.
    nlohmann::json compared = j["summaries"][k];
    CHECK(compared["policy"] == names[k]);
    compared.erase("policy");
    CHECK(compared == one);
    const auto& row = j["policies"][k];
    CHECK(row["policy"] == names[k]);
    CHECK(row["replicaHours"] == one["replicaHours"]);
    CHECK(row["cost"] == one["cost"]);
    CHECK(row["waitSeconds"]["p95"] == one["queues"][0]["waitSeconds"]["p95"]);
    CHECK(row["waitSeconds"]["p99"] == one["queues"][0]["waitSeconds"]["p99"]);
    CHECK(row["sloMet"] == one["slo"]["met"]);
    CHECK(row["scaleEventsPerHour"] == one["scaleEventsPerHour"]);
    CHECK(row["secondsAtMaxReplicas"] == one["secondsAtMaxReplicas"]);
    CHECK(row["flappingRegions"] == one["flapping"]["regions"]);
    CHECK(row["ideal"]["policyOverIdeal"] == one["slo"]["ideal"]["policyOverIdeal"]);
    CHECK(row["ideal"]["distanceReplicaHours"] == one["slo"]["ideal"]["distanceReplicaHours"]);
  }
  // The policies differ (else the test proves little), and the flappy one is flagged.
  CHECK(j["policies"][0]["replicaHours"] != j["policies"][1]["replicaHours"]);
  CHECK(j["policies"][0]["flappingRegions"].get<int>() > 0);
  CHECK(j["policies"][1]["flappingRegions"].get<int>() == 0);
}

TEST_CASE("the comparison's JSON shape", "[sim][compare]") {
  TempDir dir;
  const std::string spec =
      dir.File("policies.yaml", kFlappy + "---\n" + kCalm + "---\n" + kSimulation);
  const std::string rec = dir.File("rec.csv", Recording());
  const Run r = Simulate({"-f", spec, "--metrics", rec, "--json"});
  REQUIRE(r.code == 0);
  const auto j = nlohmann::json::parse(r.out);
  REQUIRE(j.is_object());
  CHECK(j.size() == 3);
  for (const auto& row : j["policies"]) {
    for (const char* key :
         {"policy", "autoscaler", "file", "replicaHours", "cost", "scaleEventsPerHour",
          "flappingRegions", "secondsAtMaxReplicas", "waitSeconds", "sloMet", "ideal"}) {
      CHECK(row.contains(key));
    }
    CHECK(row["file"] == spec);
    CHECK(row["ideal"].contains("policyOverIdeal"));
    CHECK(row["ideal"].contains("meanDistanceReplicas"));
  }
  // One ideal: both policies have the same bounds and polling interval.
  REQUIRE(j["ideals"].size() == 1);
  for (const char* key : {"minReplicas", "maxReplicas", "replicaHours", "cost",
                          "workBoundReplicaHours", "waitSeconds", "met", "scaleEventsPerHour"}) {
    CHECK(j["ideals"][0].contains(key));
  }
  CHECK(j["summaries"][0].contains("flapping"));
}

TEST_CASE("the comparison as text", "[sim][compare]") {
  TempDir dir;
  const std::string spec =
      dir.File("policies.yaml", kFlappy + "---\n" + kCalm + "---\n" + kSimulation);
  const std::string rec = dir.File("rec.csv", Recording());
  const Run r = Simulate({"-f", spec, "--metrics", rec});
  REQUIRE(r.code == 0);
  CHECK_THAT(r.out, Catch::Contains("Comparison of 2 policies"));
  CHECK_THAT(r.out, Catch::Contains("SLO p95 wait <= 60.0 s"));
  for (const char* row : {"\nideal (clairvoyant) ", "\nwork bound ", "\nflappy ", "\ncalm "}) {
    CHECK_THAT(r.out, Catch::Contains(row));
  }
  CHECK_THAT(r.out, Catch::Contains("x ideal"));
  CHECK_THAT(r.out, Catch::Contains("flapping"));
}

TEST_CASE("compare: --compare adds other files' Autoscalers, --autoscaler picks and orders",
          "[sim][compare]") {
  TempDir dir;
  const std::string a = dir.File("a.yaml", kCalm + "---\n" + kSimulation);
  const std::string b = dir.File("b.yaml", Autoscaler("calm", "8"));
  const std::string rec = dir.File("rec.csv", Recording());
  const Run r = Simulate({"-f", a, "--compare", b, "--metrics", rec, "--json"});
  REQUIRE(r.code == 0);
  const auto j = nlohmann::json::parse(r.out);
  REQUIRE(j["policies"].size() == 2);
  // Same name in two files: the file tells them apart.
  CHECK(j["policies"][0]["policy"] == "calm (a.yaml)");
  CHECK(j["policies"][1]["policy"] == "calm (b.yaml)");
  CHECK(j["policies"][1]["file"] == b);

  const std::string both = dir.File("both.yaml", kFlappy + "---\n" + kCalm + "---\n" + kSimulation);
  const Run picked = Simulate(
      {"-f", both, "--autoscaler", "calm", "--autoscaler", "flappy", "--metrics", rec, "--json"});
  REQUIRE(picked.code == 0);
  const auto p = nlohmann::json::parse(picked.out);
  REQUIRE(p["policies"].size() == 2);
  CHECK(p["policies"][0]["policy"] == "calm");
  CHECK(p["policies"][1]["policy"] == "flappy");

  const std::string empty = dir.File("none.yaml", kSimulation);
  const Run bad = Simulate({"-f", a, "--compare", empty, "--metrics", rec});
  CHECK(bad.code == 2);
  CHECK_THAT(bad.err, Catch::Contains("none.yaml: no document of kind Autoscaler (--compare)"));
  const Run unknown = Simulate({"-f", both, "--autoscaler", "nope", "--metrics", rec});
  CHECK(unknown.code == 2);
  CHECK_THAT(unknown.err, Catch::Contains("no Autoscaler named nope (found: flappy, calm)"));
}

TEST_CASE("a compared policy whose metrics do not fit the models is named", "[sim][compare]") {
  TempDir dir;
  const std::string a = dir.File("a.yaml", kCalm + "---\n" + kSimulation);
  // A queue model on a cpu Utilization metric cannot work.
  const std::string cpu = dir.File("cpu.yaml", R"(apiVersion: ebb.dev/v1alpha1
kind: Autoscaler
metadata: {name: cpu}
spec:
  scaleTargetRef: {kind: Deployment, name: worker}
  minReplicas: 1
  maxReplicas: 4
  metrics:
    - type: Resource
      name: backlog
      resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}
)");
  const std::string rec = dir.File("rec.csv", Recording());
  const Run r = Simulate({"-f", a, "--compare", cpu, "--metrics", rec});
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::StartsWith("policy cpu: "));
}

TEST_CASE("several policies with --out: one CSV with a policy column", "[sim][compare]") {
  TempDir dir;
  const std::string spec =
      dir.File("policies.yaml", kFlappy + "---\n" + kCalm + "---\n" + kSimulation);
  const std::string rec = dir.File("rec.csv", Recording());
  const std::string out = dir.File("all.csv");
  REQUIRE(Simulate({"-f", spec, "--metrics", rec, "--out", out}).code == 0);
  const std::string all = ReadFile(out);
  REQUIRE(all.rfind("policy,time,backlog_load,backlog,backlog_proposal,desired,ready,replicas,"
                    "reason\n",
                    0) == 0);
  for (const std::string name : {"flappy", "calm"}) {
    const std::string single_out = dir.File(name + ".csv");
    REQUIRE(
        Simulate({"-f", spec, "--autoscaler", name, "--metrics", rec, "--out", single_out}).code ==
        0);
    // The policy's rows are its single run's timeline with the policy in front.
    std::istringstream single(ReadFile(single_out));
    std::string line;
    std::getline(single, line);  // header
    std::string expected;
    while (std::getline(single, line)) expected += name + "," + line + "\n";
    REQUIRE(!expected.empty());
    CHECK(all.find(expected) != std::string::npos);
  }
}

TEST_CASE("policy labels", "[sim][compare]") {
  CHECK(PolicyLabels({{"a", "x.yaml"}, {"b", "x.yaml"}}) == std::vector<std::string>{"a", "b"});
  CHECK(PolicyLabels({{"a", "dir/x.yaml"}, {"a", "y.yaml"}}) ==
        std::vector<std::string>{"a (x.yaml)", "a (y.yaml)"});
  CHECK(PolicyLabels({{"a", "x.yaml"}, {"a", "x.yaml"}}) ==
        std::vector<std::string>{"a (x.yaml)", "a (x.yaml) #2"});
}

}  // namespace
}  // namespace ebb::sim

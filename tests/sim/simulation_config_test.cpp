#include "controller/sim/simulation_config.h"

#include <catch2/catch.hpp>

#include "tests/sim/sim_test_support.h"

namespace ebb::sim {
namespace {

using nlohmann::json;

json Doc(json spec) {
  return json{{"apiVersion", "ebb.dev/v1alpha1"},
              {"kind", "Simulation"},
              {"metadata", {{"name", "s1"}}},
              {"spec", std::move(spec)}};
}

ModelConfig Model(ModelType type, double service_rate, std::optional<double> interval,
                  std::optional<int64_t> request_milli) {
  ModelConfig m;
  m.type = type;
  m.service_rate = service_rate;
  m.interval_seconds = interval;
  m.request_milli = request_milli;
  return m;
}

TEST_CASE("a Simulation document parses with defaults", "[sim][config]") {
  auto c = ParseSimulation(
      Doc({{"autoscaler", "worker"},
           {"initialReplicas", 3},
           {"costPerReplicaHour", 0.05},
           {"models",
            {{"backlog", {{"type", "queue"}, {"serviceRate", 0.5}, {"intervalSeconds", 60}}},
             {"cpu", {{"type", "demand"}, {"request", "500m"}, {"scale", 2}}},
             {"memory", {{"type", "demand"}, {"request", "1Gi"}, {"perPodBaseline", "100Mi"}}}}}}),
      "f.yaml");
  REQUIRE(c.has_value());
  CHECK(c->autoscaler == "worker");
  CHECK(c->initial_replicas == 3);
  CHECK(c->startup_delay_seconds == 30);
  CHECK(c->staleness_seconds == 300);
  CHECK(c->models.at("backlog").type == ModelType::kQueue);
  CHECK(c->models.at("backlog").service_rate == 0.5);
  CHECK(c->models.at("cpu").request_milli == 500);
  CHECK(c->models.at("cpu").scale == 2);
  CHECK(c->models.at("memory").request_milli == (int64_t{1} << 30) * 1000);
  CHECK(c->models.at("memory").per_pod_baseline_milli == int64_t{100} * 1024 * 1024 * 1000);
}

TEST_CASE("a Simulation carries the controller-level settings", "[sim][config]") {
  auto c = ParseSimulation(
      Doc({{"settings", {{"tolerance", 0.2}, {"downscaleStabilizationSeconds", 60}}}}), "f.yaml");
  REQUIRE(c.has_value());
  CHECK(c->settings.tolerance == 0.2);
  CHECK(c->settings.downscale_stabilization_seconds == 60);
  CHECK(c->settings.cpu_initialization_period_seconds == 300);  // upstream's default
  auto bad = ParseSimulation(Doc({{"settings", {{"tolerance", "high"}, {"speed", 1}}}}), "f.yaml");
  REQUIRE_FALSE(bad.has_value());
  CHECK_THAT(bad.error().message,
             Catch::Contains("f.yaml: Simulation s1: spec.settings.tolerance: must be a number"));
  CHECK_THAT(bad.error().message, Catch::Contains("f.yaml: Simulation s1: spec.settings.speed"));
}

TEST_CASE("Simulation errors list every problem with its field path", "[sim][config]") {
  auto c = ParseSimulation(Doc({{"initialReplicas", -1},
                                {"startupDelay", 3},
                                {"models",
                                 {{"backlog", {{"type", "queue"}}},
                                  {"cpu", {{"type", "fluid"}, {"request", "lots"}}}}}}),
                           "f.yaml");
  REQUIRE_FALSE(c.has_value());
  const std::string& m = c.error().message;
  CHECK(c.error().code == ErrorCode::kInvalidConfig);
  CHECK_THAT(m, Catch::Contains("f.yaml: Simulation s1: spec.initialReplicas: must be"));
  CHECK_THAT(m, Catch::Contains("spec.startupDelay: unknown field"));
  CHECK_THAT(m, Catch::Contains("spec.models.backlog.serviceRate: required for a queue model"));
  CHECK_THAT(m, Catch::Contains("spec.models.cpu.type: must be one of replay, demand, queue"));
  CHECK_THAT(m, Catch::Contains("spec.models.cpu.request: must be a positive quantity"));
}

TEST_CASE("models are checked against the Autoscaler's metrics", "[sim][config]") {
  decision::Spec spec = testing::SpecWith(testing::CpuUtilization(70), 1, 5);
  spec.metrics.push_back(testing::QueueMetric("backlog", 5));
  SimulationConfig cfg;
  cfg.origin = "f.yaml: Simulation s1";
  SECTION("no models: replay everywhere, but Utilization needs a request") {
    auto r = ResolveModels(cfg, spec, "web");
    REQUIRE_FALSE(r.has_value());
    CHECK_THAT(r.error().message,
               Catch::Contains("f.yaml: Simulation s1: spec.models.cpu.request: required"));
  }
  SECTION("a queue on a per-pod metric and an unknown metric") {
    cfg.models["cpu"] = Model(ModelType::kQueue, 1, {}, 500);
    cfg.models["latency"] = ModelConfig{};
    auto r = ResolveModels(cfg, spec, "web");
    REQUIRE_FALSE(r.has_value());
    CHECK_THAT(r.error().message, Catch::Contains("spec.models.cpu.type: a queue model needs"));
    CHECK_THAT(r.error().message,
               Catch::Contains("spec.models.latency: Autoscaler web has no metric named latency "
                               "(its metrics: cpu, backlog)"));
  }
  SECTION("valid") {
    cfg.models["cpu"] = Model(ModelType::kDemand, 0, {}, 500);
    cfg.models["backlog"] = Model(ModelType::kQueue, 0.5, 60.0, {});
    auto r = ResolveModels(cfg, spec, "web");
    REQUIRE(r.has_value());
    REQUIRE(r->size() == 2);
    CHECK((*r)[0].type == ModelType::kDemand);
    CHECK((*r)[1].type == ModelType::kQueue);
  }
}

}  // namespace
}  // namespace ebb::sim

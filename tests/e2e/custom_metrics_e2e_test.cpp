// End to end on the HPA's metric APIs: the real `ebb` binary as the controller (the service
// account bound only to the shipped ClusterRole), the real kube-apiserver, and the test adapter
// behind its aggregation layer (tests/support/kube/custom_metrics_server.py, metrics_server.py).
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <random>
#include <thread>

#include "tests/kube/kube_support.h"

using namespace ebb;
using namespace ebb::testing;
using nlohmann::json;
using Steady = std::chrono::steady_clock;

namespace {

struct Ctl {
  int port = FreePort();
  std::unique_ptr<Process> proc;
  Ctl(const std::string& ns, const std::string& lease) {
    const std::string log_file = TheCluster().dir + "/ebb-" + ns + ".log";
    proc = std::make_unique<Process>(
        std::vector<std::string>{EBB_BINARY, "run", "--kubeconfig", TheCluster().sa_kubeconfig(),
                                 "--namespace", ns, "--metrics-bind-address",
                                 "127.0.0.1:" + std::to_string(port), "--leader-election-namespace",
                                 "ebb-system", "--leader-election-id", lease, "--identity", "solo",
                                 // Autoscalers converted from an HPA carry no pollingInterval.
                                 "--default-interval", "2"},
        log_file, std::vector<std::string>{"EBB_LOG_LEVEL=info"});
  }
};

std::string Unique(const std::string& p) {
  static std::mt19937 rng{std::random_device{}()};
  return p + "-" + std::to_string(rng() % 1000000);
}

std::string CustomDir() {
  const std::string dir = TheCluster().Env("CUSTOM_METRICS_DIR");
  if (dir.empty()) FAIL("the cluster has no custom metrics adapter (no host IP)");
  return dir;
}

json Status(const std::string& ns, const std::string& name) {
  return GetObject("/apis/ebb.dev/v1alpha1/namespaces/" + ns + "/autoscalers/" + name)
      .value("status", json::object());
}

json Condition(const json& status, const std::string& type) {
  for (const auto& c : status.value("conditions", json::array()))
    if (c.value("type", "") == type) return c;
  return json::object();
}

// Every pod at cpu 50m / memory 32Mi (metrics.k8s.io) and queue_length 10
// (custom.metrics.k8s.io), as the test adapters serve them for `ns`.
void FeedPodMetrics(const std::string& ns, const std::vector<std::string>& pods) {
  json usage = json::object();
  json custom = json::array();
  for (const auto& p : pods) {
    usage[p]["main"] = {{"cpu", "50m"}, {"memory", "32Mi"}};
    custom.push_back(
        {{"resource", "pods"}, {"name", p}, {"metric", "queue_length"}, {"value", "10"}});
  }
  WritePodMetrics(ns, usage);
  std::ofstream(CustomDir() + "/" + ns + ".json") << json{{"custom", custom}}.dump();
}

// `ebb convert -f HPA -o OUT` as a user runs it; the output file.
std::string Convert(const std::string& ns, const std::string& hpa_file) {
  const std::string out = TheCluster().dir + "/" + ns + "-autoscaler.yaml";
  const std::string convert = Shell(std::string(EBB_BINARY) + " convert -f " + hpa_file + " -o " +
                                    out + " 2>&1; echo rc=$?");
  INFO(convert);
  REQUIRE(convert.find("rc=0") != std::string::npos);
  return out;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

bool HasEvent(const std::string& ns, const std::string& reason, const std::string& text) {
  const json list = GetObject("/api/v1/namespaces/" + ns + "/events");
  for (const auto& e : list["items"])
    if (e.value("reason", "") == reason && e.value("message", "").find(text) != std::string::npos)
      return true;
  return false;
}

}  // namespace

TEST_CASE("the HPA of issue 9, converted, scales a Deployment on its Pods metric",
          "[e2e][kube][custom]") {
  InstallCrds();
  const std::string ns = NewNamespace("e2e-hpa9");
  const auto pods = ReadyDeployment(ns, "web", 2);
  // cpu 50 % and memory 50 % of their requests (targets 70 % and 80 %: they would scale down),
  // queue_length 10 per pod against 5: the Pods metric asks for 4.
  FeedPodMetrics(ns, pods);

  const std::string hpa = TheCluster().dir + "/" + ns + "-hpa.yaml";
  std::ofstream(hpa) << R"(apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 10
  metrics:
    - type: Resource
      resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}
    - type: Resource
      resource: {name: memory, target: {type: Utilization, averageUtilization: 80}}
    - type: Pods
      pods:
        metric: {name: queue_length}
        target: {type: AverageValue, averageValue: "5"}
  behavior:
    scaleUp:
      stabilizationWindowSeconds: 60
      policies: [{type: Percent, value: 100, periodSeconds: 15}]
    scaleDown:
      stabilizationWindowSeconds: 300
      policies: [{type: Percent, value: 10, periodSeconds: 60}]
)";
  const std::string out = Convert(ns, hpa);
  const std::string converted = ReadFile(out);
  INFO(converted);
  ApplyYaml(converted, ns);

  const auto started = Steady::now();
  Ctl ctl(ns, Unique("lease"));
  // The first recommendation (2) holds for the 60 s scale-up window, then 100 % per 15 s: 4.
  REQUIRE(WaitFor([&] { return SpecReplicas(ns, "web") == 4; }, Seconds(120)));
  const double took = std::chrono::duration<double>(Steady::now() - started).count();
  CHECK(took >= 55);
  INFO(ctl.proc->log());
  REQUIRE(WaitFor(
      [&] {
        const auto st = Status(ns, "web");
        return Condition(st, "ScalingActive").value("status", "") == "True" &&
               st.value("currentMetrics", json::array()).size() == 3;
      },
      Seconds(10)));
  const auto st = Status(ns, "web");
  INFO(st.dump());
  CHECK(st["currentMetrics"][2]["type"] == "Pods");
  CHECK(st["currentMetrics"][2].dump().find("\"10\"") != std::string::npos);
  // Events are recorded after the patch and the status write.
  CHECK(WaitFor(
      [&] {
        return HasEvent(ns, "SuccessfulRescale", "New size: 4; reason: pods metric queue_length");
      },
      Seconds(10)));
  // The two new pods are Pending (no kubelet) and have no samples: upstream's rebalancing
  // counts them as 0 on a scale-up, which puts the average at the target: it stays at 4.
  std::this_thread::sleep_for(std::chrono::seconds(5));
  CHECK(SpecReplicas(ns, "web") == 4);
}

TEST_CASE("an External metric with a selector scales a Deployment, and its failure is reported",
          "[e2e][kube][custom]") {
  InstallCrds();
  const std::string dir = CustomDir();
  const std::string ns = NewNamespace("e2e-ext");
  ReadyDeployment(ns, "web", 1);
  auto set_depth = [&](const char* orders) {
    json ext = {{{"metric", "queue_depth"}, {"value", "1000"}, {"labels", {{"queue", "audit"}}}}};
    if (orders != nullptr)
      ext.push_back(
          {{"metric", "queue_depth"}, {"value", orders}, {"labels", {{"queue", "orders"}}}});
    std::ofstream(dir + "/" + ns + ".json") << json{{"external", ext}}.dump();
  };
  set_depth("45");
  ApplyYaml(R"(apiVersion: ebb.dev/v1alpha1
kind: Autoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 1
  maxReplicas: 10
  pollingInterval: 1
  metrics:
    - type: External
      external:
        metric: {name: queue_depth, selector: {matchLabels: {queue: orders}}}
        target: {type: AverageValue, averageValue: "10"}
  behavior:
    scaleUp: {stabilizationWindowSeconds: 0, policies: [{type: Pods, value: 10, periodSeconds: 1}]}
    scaleDown: {stabilizationWindowSeconds: 0, policies: [{type: Percent, value: 100, periodSeconds: 1}]}
)",
            ns);
  Ctl ctl(ns, Unique("lease"));
  INFO(ctl.proc->log());
  // 45 / 10 -> 5 (the audit series is not selected; with it the count would be max).
  REQUIRE(WaitFor([&] { return SpecReplicas(ns, "web") == 5; }, Seconds(30)));
  set_depth("12500m");
  REQUIRE(WaitFor([&] { return SpecReplicas(ns, "web") == 2; }, Seconds(30)));
  // The series goes away: the metric fails, the count holds, and status and an Event say why.
  set_depth(nullptr);
  REQUIRE(WaitFor(
      [&] {
        return Condition(Status(ns, "web"), "ScalingActive").value("reason", "") ==
               "FailedGetExternalMetric";
      },
      Seconds(20)));
  const auto c = Condition(Status(ns, "web"), "ScalingActive");
  CHECK(c["status"] == "False");
  CHECK_THAT(c["message"].get<std::string>(),
             Catch::StartsWith("the controller was unable to get the metric queue_depth: unable "
                               "to fetch metrics from external metrics API: ") &&
                 Catch::Contains("the server could not find the metric queue_depth"));
  REQUIRE(
      WaitFor([&] { return HasEvent(ns, "FailedGetExternalMetric", "queue_depth"); }, Seconds(10)));
  std::this_thread::sleep_for(std::chrono::seconds(3));
  CHECK(SpecReplicas(ns, "web") == 2);
}

// docs/migrating.md, "The switch-over", as a user runs it: convert the HPA, validate the result,
// run it in shadow beside the HPA (decides, reports, never patches), then delete the HPA and
// remove the annotation: ebb scales from its next poll.
TEST_CASE("migration walk-through: convert, validate, shadow beside the HPA, switch",
          "[e2e][kube][custom]") {
  InstallCrds();
  const std::string ns = NewNamespace("e2e-migrate");
  const auto pods = ReadyDeployment(ns, "web", 2);
  FeedPodMetrics(ns, pods);

  // The HPA in place (autoscaling/v2beta2: what this API server serves; no HPA controller runs
  // in the test cluster, so it holds the target without acting, as a paused one would).
  const std::string hpa_spec = R"(
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 10
  metrics:
    - type: Pods
      pods:
        metric: {name: queue_length}
        target: {type: AverageValue, averageValue: "5"}
  behavior:
    scaleUp:
      stabilizationWindowSeconds: 0
      policies: [{type: Percent, value: 100, periodSeconds: 15}]
)";
  ApplyYaml(
      "apiVersion: autoscaling/v2beta2\nkind: HorizontalPodAutoscaler\nmetadata: {name: "
      "web}\nspec:" +
          hpa_spec,
      ns);
  // 1. Convert (the file a user exports, as autoscaling/v2).
  const std::string hpa = TheCluster().dir + "/" + ns + "-hpa.yaml";
  std::ofstream(hpa) << "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: "
                        "{name: web}\nspec:"
                     << hpa_spec;
  const std::string out = Convert(ns, hpa);
  // 2. Validate.
  const std::string validate =
      Shell(std::string(EBB_BINARY) + " validate -f " + out + " 2>&1; echo rc=$?");
  INFO(validate);
  REQUIRE(validate.find("rc=0") != std::string::npos);
  const std::string converted = ReadFile(out);
  INFO(converted);
  // 4. Shadow: the annotation on this Autoscaler only.
  ApplyYaml(converted, ns);
  REQUIRE(Admin().MergePatch("/apis/ebb.dev/v1alpha1/namespaces/" + ns + "/autoscalers/web",
                             {{"metadata", {{"annotations", {{"ebb.dev/dry-run", "true"}}}}}}));
  Ctl ctl(ns, Unique("lease"));
  REQUIRE(WaitFor([&] { return HasEvent(ns, "WouldRescale", "would rescale from 2 to 4"); },
                  Seconds(30)));
  const auto st = Status(ns, "web");
  INFO(st.dump());
  CHECK(st["desiredReplicas"] == 4);
  CHECK(st["currentReplicas"] == 2);
  CHECK(Condition(st, "Ready").value("reason", "") == "DryRun");
  CHECK_FALSE(HasEvent(ns, "AmbiguousScaleTarget", ""));
  std::this_thread::sleep_for(std::chrono::seconds(3));
  CHECK(SpecReplicas(ns, "web") == 2);  // shadow never patches
  // 5. Switch: the HPA goes, then the annotation.
  REQUIRE(Admin().Delete("/apis/autoscaling/v2beta2/namespaces/" + ns +
                         "/horizontalpodautoscalers/web"));
  REQUIRE(Admin().MergePatch("/apis/ebb.dev/v1alpha1/namespaces/" + ns + "/autoscalers/web",
                             {{"metadata", {{"annotations", {{"ebb.dev/dry-run", nullptr}}}}}}));
  INFO(ctl.proc->log());
  REQUIRE(WaitFor([&] { return SpecReplicas(ns, "web") == 4; }, Seconds(30)));
  CHECK(WaitFor([&] { return HasEvent(ns, "SuccessfulRescale", "New size: 4"); }, Seconds(10)));
}

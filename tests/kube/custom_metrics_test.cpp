// Pods, Object and External metrics read through the real API server's aggregation layer from
// the test adapter (tests/support/kube/custom_metrics_server.py), as the service account bound
// only to the shipped ClusterRole, then decided on by the real Reconciler (dry run).
#include "controller/kube/custom_metrics.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "controller/api/documents.h"
#include "controller/decision/explain.h"
#include "controller/kube/discovery.h"
#include "controller/kube/resource_metrics.h"
#include "controller/kube/scale_target.h"
#include "tests/kube/kube_support.h"

using namespace ebb;
using namespace ebb::testing;
using nlohmann::json;

namespace {

std::string DataDir() {
  const std::string dir = TheCluster().Env("CUSTOM_METRICS_DIR");
  if (dir.empty()) FAIL("the cluster has no custom metrics adapter (no host IP)");
  return dir;
}

void SetMetrics(const std::string& ns, const json& data) {
  std::ofstream(DataDir() + "/" + ns + ".json") << data.dump();
}

std::string Requests(const std::string& ns) {
  std::ifstream in(DataDir() + "/" + ns + ".requests");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

api::Autoscaler Parse(const std::string& ns, const std::string& metrics) {
  const std::string yaml =
      "apiVersion: ebb.dev/v1alpha1\nkind: Autoscaler\nmetadata: {name: a, "
      "namespace: " +
      ns +
      "}\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, "
      "name: web}\n  minReplicas: 1\n  maxReplicas: 20\n  metrics:\n" +
      metrics;
  auto docs = api::ParseDocuments(yaml, "test");
  REQUIRE(docs);
  auto a = api::ParseAutoscaler(docs->at(0));
  if (!a) FAIL(a.error().message);
  return *a;
}

// The controller's reading path for one Autoscaler, as the service account, in dry run.
struct Harness {
  kube::KubeClient client;
  kube::Discovery discovery{client};
  api::Autoscaler autoscaler;
  kube::KubeScaleTarget target;
  kube::ResourceMetricsReader resource;
  kube::CustomMetricsReader custom;
  runtime::Reconciler rec;

  explicit Harness(api::Autoscaler a)
      : client(*kube::LoadKubeconfig(TheCluster().sa_kubeconfig())),
        autoscaler(std::move(a)),
        target(client, discovery, autoscaler.namespace_name, autoscaler.target),
        resource(client, autoscaler.namespace_name, autoscaler.spec,
                 [this] { return target.selector(); }),
        custom(resource, client, autoscaler, [this] { return target.selector(); }),
        rec("test", autoscaler.spec, decision::Settings{}, target, custom) {
    rec.set_dry_run(true);
  }
  const decision::Decision& Decide() {
    const auto outcome = rec.Reconcile(Clock().Now());
    REQUIRE(outcome.scale_read);
    return rec.last_decision();
  }
  const decision::MetricReading& reading(std::size_t i) {
    return rec.last_observation().readings.at(i);
  }
  static SystemClock& Clock() {
    static SystemClock c;
    return c;
  }
};

// Removes the v1beta2 APIService (an adapter that serves only v1beta1) until destroyed.
class WithoutV1beta2 {
 public:
  WithoutV1beta2() {
    saved_ = GetObject(kPath);
    for (const char* k : {"resourceVersion", "uid", "creationTimestamp", "managedFields"})
      saved_["metadata"].erase(k);
    saved_.erase("status");
    REQUIRE(Admin().Delete(kPath));
  }
  ~WithoutV1beta2() {
    if (!Admin().Post("/apis/apiregistration.k8s.io/v1/apiservices", saved_)) return;
    // Served again once a request below the version reaches the adapter (the aggregator
    // answers its own 404 there for a while, even after the APIService is Available); the next
    // test under the lock expects it.
    WaitFor(
        [] {
          return static_cast<bool>(
              Admin().Get("/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods/*/probe"));
        },
        Seconds(60));
  }

 private:
  static constexpr const char* kPath =
      "/apis/apiregistration.k8s.io/v1/apiservices/v1beta2.custom.metrics.k8s.io";
  json saved_;
};

}  // namespace

TEST_CASE("Pods metric: per-pod values from custom.metrics.k8s.io v1beta2, both selectors sent",
          "[kube][custom]") {
  const std::string ns = NewNamespace("cm-pods");
  const auto pods = ReadyDeployment(ns, "web", 3);
  json custom = json::array();
  for (const auto& p : pods) {
    // Two series per pod; the metric selector picks the "orders" one.
    custom.push_back({{"resource", "pods"},
                      {"name", p},
                      {"metric", "queue_length"},
                      {"value", "12"},
                      {"labels", {{"queue", "orders"}}},
                      {"objectLabels", {{"app", "web"}}}});
    custom.push_back({{"resource", "pods"},
                      {"name", p},
                      {"metric", "queue_length"},
                      {"value", "100"},
                      {"labels", {{"queue", "audit"}}},
                      {"objectLabels", {{"app", "web"}}}});
  }
  // A pod outside the target's selector: the adapter drops it when labelSelector is sent.
  custom.push_back({{"resource", "pods"},
                    {"name", "stranger"},
                    {"metric", "queue_length"},
                    {"value", "900"},
                    {"labels", {{"queue", "orders"}}},
                    {"objectLabels", {{"app", "other"}}}});
  SetMetrics(ns, {{"custom", custom}});
  Harness h(Parse(ns, R"(    - type: Pods
      pods:
        metric: {name: queue_length, selector: {matchLabels: {queue: orders}}}
        target: {type: AverageValue, averageValue: "5"}
)"));
  const auto& d = h.Decide();
  INFO(h.reading(0).error);
  REQUIRE(h.reading(0).ok);
  REQUIRE(h.reading(0).pod_samples.size() == 3);
  for (const auto& s : h.reading(0).pod_samples) CHECK(s.milli == 12000);
  CHECK(h.reading(0).sample_window == Seconds(30));
  // 12 per pod against 5: ceil(2.4 x 3) = 8.
  CHECK(d.metrics[0].status == decision::MetricStatus::kOk);
  CHECK(d.metrics[0].value_milli == 12000);
  CHECK(d.proposal == 8);
  const std::string log = Requests(ns);
  INFO(log);
  CHECK(log.find("/apis/custom.metrics.k8s.io/v1beta2/namespaces/" + ns) != std::string::npos);
  CHECK(log.find("metricLabelSelector=queue%3Dorders") != std::string::npos);
  CHECK(log.find("labelSelector=app%3Dweb") != std::string::npos);
}

TEST_CASE("Object metrics (a Deployment, the namespace) and an External sum with selector",
          "[kube][custom]") {
  const std::string ns = NewNamespace("cm-obj");
  ReadyDeployment(ns, "web", 3);
  SetMetrics(
      ns, {{"custom",
            {{{"resource", "deployments.apps"},
              {"name", "web"},
              {"metric", "requests_per_second"},
              {"value", "25"}},
             {{"resource", "namespaces"}, {"name", ns}, {"metric", "backlog"}, {"value", "20"}}}},
           {"external",
            {{{"metric", "queue_depth"}, {"value", "30"}, {"labels", {{"queue", "a"}}}},
             {{"metric", "queue_depth"}, {"value", "15500m"}, {"labels", {{"queue", "b"}}}},
             {{"metric", "queue_depth"}, {"value", "1000"}, {"labels", {{"queue", "c"}}}}}}});
  Harness h(Parse(ns, R"(    - type: Object
      object:
        describedObject: {apiVersion: apps/v1, kind: Deployment, name: web}
        metric: {name: requests_per_second}
        target: {type: Value, value: "10"}
    - type: Object
      object:
        describedObject: {apiVersion: v1, kind: Namespace, name: )" +
                          ns + R"(}
        metric: {name: backlog}
        target: {type: AverageValue, averageValue: "4"}
    - type: External
      external:
        metric:
          name: queue_depth
          selector: {matchExpressions: [{key: queue, operator: In, values: [b, a]}]}
        target: {type: AverageValue, averageValue: "10"}
)"));
  const auto& d = h.Decide();
  for (std::size_t i = 0; i < 3; ++i) {
    INFO(i << ": " << h.reading(i).error);
    REQUIRE(h.reading(i).ok);
  }
  CHECK(h.reading(0).value_milli == 25000);
  CHECK(h.reading(1).value_milli == 20000);
  CHECK(h.reading(2).value_milli == 45500);  // a + b, exact milli; c is not selected
  // Value 25 vs 10 over 3 ready pods: 8; 20 / 4: 5; 45.5 / 10: 5.
  CHECK(d.metrics[0].proposal == 8);
  CHECK(d.metrics[1].proposal == 5);
  CHECK(d.metrics[2].proposal == 5);
  CHECK(d.proposal == 8);
  const std::string log = Requests(ns);
  INFO(log);
  CHECK(log.find("/namespaces/" + ns + "/deployments.apps/web/requests_per_second") !=
        std::string::npos);
  CHECK(log.find("/namespaces/" + ns + "/metrics/backlog") != std::string::npos);
  CHECK(log.find("/apis/external.metrics.k8s.io/v1beta1/namespaces/" + ns + "/queue_depth") !=
        std::string::npos);
}

TEST_CASE("custom metrics: an adapter serving only v1beta1 is read, also after a switch",
          "[kube][custom]") {
  const std::string ns = NewNamespace("cm-v1b1");
  const auto pods = ReadyDeployment(ns, "web", 2);
  json custom = json::array();
  for (const auto& p : pods)
    custom.push_back(
        {{"resource", "pods"}, {"name", p}, {"metric", "queue_length"}, {"value", "10"}});
  custom.push_back(
      {{"resource", "deployments.apps"}, {"name", "web"}, {"metric", "rps"}, {"value", "1500m"}});
  SetMetrics(ns, {{"custom", custom}});
  const std::string metrics = R"(    - type: Pods
      pods:
        metric: {name: queue_length}
        target: {type: AverageValue, averageValue: "5"}
    - type: Object
      object:
        describedObject: {apiVersion: apps/v1, kind: Deployment, name: web}
        metric: {name: rps}
        target: {type: AverageValue, averageValue: "1"}
)";
  Harness before(Parse(ns, metrics));
  before.Decide();
  REQUIRE(before.reading(0).ok);
  CHECK(Requests(ns).find("/custom.metrics.k8s.io/v1beta1/") == std::string::npos);
  {
    WithoutV1beta2 old_adapter;
    // The reader that found v1beta2 gets a 404, looks again and reads v1beta1 in the same poll.
    const auto& d = before.Decide();
    INFO(before.reading(0).error << " | " << before.reading(1).error);
    REQUIRE(before.reading(0).ok);
    REQUIRE(before.reading(1).ok);
    CHECK(before.reading(0).pod_samples.size() == 2);
    CHECK(before.reading(1).value_milli == 1500);
    CHECK(d.proposal == 4);  // 10 per pod against 5 on 2 pods
    // A new reader chooses v1beta1 from discovery.
    Harness fresh(Parse(ns, metrics));
    fresh.Decide();
    REQUIRE(fresh.reading(0).ok);
    CHECK(fresh.reading(0).sample_window == Seconds(30));  // v1beta1's `window`
    const std::string log = Requests(ns);
    INFO(log);
    CHECK(log.find("/apis/custom.metrics.k8s.io/v1beta1/namespaces/" + ns + "/pods/") !=
          std::string::npos);
    CHECK(log.find("/apis/custom.metrics.k8s.io/v1beta1/namespaces/" + ns +
                   "/deployments.apps/web/rps") != std::string::npos);
  }
}

TEST_CASE("custom/external metric failures: upstream's messages and FailedGet*Metric reasons",
          "[kube][custom]") {
  const std::string ns = NewNamespace("cm-err");
  ReadyDeployment(ns, "web", 2);
  SetMetrics(ns, json::object());
  Harness h(Parse(ns, R"(    - type: Pods
      pods:
        metric: {name: missing_metric}
        target: {type: AverageValue, averageValue: "5"}
    - type: Object
      object:
        describedObject: {apiVersion: apps/v1, kind: Deployment, name: nope}
        metric: {name: rps}
        target: {type: Value, value: "1"}
    - type: External
      external:
        metric: {name: missing_ext}
        target: {type: Value, value: "1"}
    - type: External
      external:
        metric:
          name: queue_depth
          selector: {matchExpressions: [{key: queue, operator: Equals, values: [a]}]}
        target: {type: Value, value: "1"}
    - type: Object
      name: gadget_rps
      object:
        describedObject: {apiVersion: example.com/v1, kind: Gadget, name: g}
        metric: {name: rps}
        target: {type: Value, value: "1"}
)"));
  const auto& d = h.Decide();
  CHECK(h.reading(0).error == "no metrics returned from custom metrics API");
  CHECK_THAT(h.reading(1).error,
             Catch::StartsWith("unable to fetch metrics from custom metrics API on Deployment " +
                               ns + "/nope: GET /apis/custom.metrics.k8s.io/v1beta2/namespaces/" +
                               ns + "/deployments.apps/nope/rps") &&
                 Catch::Contains("404") &&
                 Catch::Contains("the server could not find the metric rps"));
  CHECK_THAT(h.reading(2).error,
             Catch::StartsWith("unable to fetch metrics from external metrics API: GET "
                               "/apis/external.metrics.k8s.io/v1beta1/namespaces/" +
                               ns + "/missing_ext") &&
                 Catch::Contains("the server could not find the metric missing_ext"));
  CHECK(h.reading(3).error ==
        "spec.metrics[3].external.metric.selector.matchExpressions[0].operator: must be one of: "
        "In, NotIn, Exists, DoesNotExist (got \"Equals\")");
  CHECK_THAT(h.reading(4).error,
             Catch::StartsWith("unable to fetch metrics from custom metrics API on Gadget " + ns +
                               "/g: unable to map kind Gadget.example.com to resource: "));
  // The core holds (every metric failed) and says why in upstream's words.
  CHECK(d.reason == decision::Reason::kFailedGetMetrics);
  for (const auto& m : d.metrics) CHECK(m.status == decision::MetricStatus::kFailed);
  bool found = false;
  for (const auto& c : decision::Conditions(h.autoscaler.spec, d)) {
    if (c.type != "ScalingActive") continue;
    found = true;
    CHECK_FALSE(c.status);
    CHECK(c.reason == "FailedGetPodsMetric");
    CHECK(c.message ==
          "the controller was unable to get the metric missing_metric: no metrics returned from "
          "custom metrics API");
  }
  CHECK(found);
  CHECK(std::string(decision::FailedMetricReason(h.autoscaler.spec.metrics[1])) ==
        "FailedGetObjectMetric");
  CHECK(std::string(decision::FailedMetricReason(h.autoscaler.spec.metrics[2])) ==
        "FailedGetExternalMetric");
}

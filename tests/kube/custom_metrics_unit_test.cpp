// The custom/external metrics reader's pure parts: selector text, version choice, replies.
#include <catch2/catch.hpp>

#include "controller/kube/custom_metrics.h"

using namespace ebb;
using nlohmann::json;

TEST_CASE("metric selectors print as upstream's LabelSelectorAsSelector", "[unit][custom]") {
  auto text = [](const char* j) { return kube::LabelSelectorText(json::parse(j), "sel"); };
  CHECK(*text("null") == "");
  CHECK(*text("{}") == "");
  CHECK(*text(R"({"matchLabels": {"queue": "orders", "env": "prd"}})") == "env=prd,queue=orders");
  // Sorted by key, values sorted and de-duplicated.
  CHECK(*text(R"({"matchLabels": {"z": "1"}, "matchExpressions": [
      {"key": "queue", "operator": "In", "values": ["b", "a", "b"]},
      {"key": "tier", "operator": "NotIn", "values": ["x"]},
      {"key": "legacy", "operator": "DoesNotExist"},
      {"key": "example.com/shard", "operator": "Exists"}]})") ==
        "example.com/shard,!legacy,queue in (a,b),tier notin (x),z=1");
}

TEST_CASE("metric selectors: each invalid part is an error naming its field", "[unit][custom]") {
  auto error = [](const char* j) {
    auto r = kube::LabelSelectorText(json::parse(j), "spec.metrics[2].external.metric.selector");
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::kInvalidConfig);
    return r.error().message;
  };
  CHECK(error(R"({"matchExpressions": [{"key": "q", "operator": "Equals", "values": ["a"]}]})") ==
        "spec.metrics[2].external.metric.selector.matchExpressions[0].operator: must be one of: "
        "In, NotIn, Exists, DoesNotExist (got \"Equals\")");
  CHECK(error(R"({"matchExpressions": [{"key": "q", "operator": "In", "values": []}]})")
            .find("matchExpressions[0].values: must be non-empty for In") != std::string::npos);
  CHECK(error(R"({"matchExpressions": [{"key": "q", "operator": "Exists", "values": ["a"]}]})")
            .find("must be empty for Exists") != std::string::npos);
  // A value that would change the query's meaning (a comma, parentheses) is refused.
  CHECK(error(R"({"matchLabels": {"queue": "a,b"}})")
            .find("selector.matchLabels.queue: \"a,b\" is not a valid label value") !=
        std::string::npos);
  CHECK(error(R"j({"matchExpressions": [{"key": "q", "operator": "In", "values": ["a)"]}]})j")
            .find("matchExpressions[0].values[0]") != std::string::npos);
  CHECK(error(R"({"matchLabels": {"bad key": "a"}})").find("not a valid label key") !=
        std::string::npos);
  CHECK(error(R"({"matchLabels": {"q": 1}})").find("must be a string") != std::string::npos);
  CHECK(error(R"("app=web")").find("must be an object") != std::string::npos);
}

TEST_CASE("custom metrics version: the server's preferred one, else the first ebb reads",
          "[unit][custom]") {
  auto choose = [](const char* j) { return kube::ChooseCustomMetricsVersion(json::parse(j)); };
  CHECK(*choose(R"({"versions": [{"groupVersion": "custom.metrics.k8s.io/v1beta1"},
                                 {"groupVersion": "custom.metrics.k8s.io/v1beta2"}],
                    "preferredVersion": {"groupVersion": "custom.metrics.k8s.io/v1beta2"}})") ==
        "v1beta2");
  CHECK(*choose(R"({"versions": [{"groupVersion": "custom.metrics.k8s.io/v1beta1"}],
                    "preferredVersion": {"groupVersion": "custom.metrics.k8s.io/v1beta1"}})") ==
        "v1beta1");
  // A preferred version ebb does not read: the first listed one it does.
  CHECK(*choose(R"({"versions": [{"groupVersion": "custom.metrics.k8s.io/v2"},
                                 {"groupVersion": "custom.metrics.k8s.io/v1beta1"}],
                    "preferredVersion": {"groupVersion": "custom.metrics.k8s.io/v2"}})") ==
        "v1beta1");
  CHECK_FALSE(choose(R"({"versions": [{"groupVersion": "custom.metrics.k8s.io/v2"}]})"));
  CHECK_FALSE(choose(R"([])"));
}

TEST_CASE("pods metric lists: exact milli values per pod, v1beta1 and v1beta2 shapes",
          "[unit][custom]") {
  const json v1beta2 = json::parse(R"({"items": [
      {"describedObject": {"kind": "Pod", "name": "web-1"}, "metric": {"name": "q"},
       "timestamp": "2026-01-02T03:04:05Z", "windowSeconds": 30, "value": "1011m"},
      {"describedObject": {"kind": "Pod", "name": "web-2"}, "metric": {"name": "q"},
       "timestamp": "2026-01-02T03:04:05Z", "value": 7},
      {"describedObject": {"kind": "Pod", "name": "web-1"}, "metric": {"name": "q"},
       "timestamp": "2026-01-02T03:04:05Z", "value": "0.0001"}]})");
  auto r = kube::ReadingFromPodsMetricList(v1beta2);
  REQUIRE(r.ok);
  REQUIRE(r.pod_samples.size() == 2);
  // A repeated pod keeps its last value, as upstream's map does; 0.0001 rounds up to 1m.
  CHECK(r.pod_samples[0].pod == "web-1");
  CHECK(r.pod_samples[0].milli == 1);
  CHECK(r.pod_samples[1].milli == 7000);
  CHECK(r.sample_window == Seconds(30));
  const json v1beta1 = json::parse(R"({"items": [
      {"describedObject": {"name": "w"}, "metricName": "q", "window": 45, "value": "2"}]})");
  auto r1 = kube::ReadingFromPodsMetricList(v1beta1);
  REQUIRE(r1.ok);
  CHECK(r1.sample_window == Seconds(45));
  CHECK(r1.pod_samples[0].milli == 2000);
  CHECK(kube::ReadingFromPodsMetricList(json::parse(R"({"items": []})")).error ==
        "no metrics returned from custom metrics API");
  CHECK(kube::ReadingFromPodsMetricList(json::parse(R"({"items": [{"value": "x1"}]})")).error ==
        "unable to fetch metrics from custom metrics API: items[0].value: \"x1\" is not a "
        "quantity");
}

TEST_CASE("object and external metric lists", "[unit][custom]") {
  auto obj = kube::ReadingFromObjectMetricList(json::parse(R"({"items": [{"value": "250m"}]})"));
  REQUIRE(obj.ok);
  CHECK(obj.value_milli == 250);
  CHECK(kube::ReadingFromObjectMetricList(json::parse(R"({"items": [{"value": "1"}, {"value":
      "2"}]})"))
            .error ==
        "unable to fetch metrics from custom metrics API: the custom metrics API server "
        "returned 2 results when we asked for exactly one");
  auto ext = kube::ReadingFromExternalMetricList(
      json::parse(R"({"items": [{"value": "30"}, {"value": "1500m"}, {"value": 2}]})"));
  REQUIRE(ext.ok);
  CHECK(ext.value_milli == 33500);
  auto huge = kube::ReadingFromExternalMetricList(
      json::parse(R"({"items": [{"value": "9e15"}, {"value": "9e15"}]})"));
  REQUIRE(huge.ok);
  CHECK(huge.value_milli == INT64_MAX);  // saturates instead of wrapping negative
  CHECK(kube::ReadingFromExternalMetricList(json::parse(R"({})")).error ==
        "no metrics returned from external metrics API");
  CHECK(kube::ReadingFromExternalMetricList(json::parse(R"({"items": [{"value": null}]})"))
            .error.find("items[0].value: missing or not a quantity") != std::string::npos);
}

// Pods, Object and External metrics from the cluster's metrics APIs, as upstream's HPA reads them
// (pkg/controller/podautoscaler/metrics): custom.metrics.k8s.io in the version the server
// prefers (v1beta2, or v1beta1 from an older adapter; found by discovery, looked up again when
// the version stops being served) and external.metrics.k8s.io/v1beta1, each with the metric's
// label selector. Pods metrics are per-pod samples keyed by pod name, matched by the decision
// core against the target's pods as Resource metrics are.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "controller/api/autoscaler.h"
#include "controller/kube/kube_client.h"
#include "controller/runtime/reconciler.h"

namespace ebb::kube {

inline constexpr const char* kCustomMetricsGroup = "custom.metrics.k8s.io";
inline constexpr const char* kExternalMetricsGroupVersion = "external.metrics.k8s.io/v1beta1";

// A metav1.LabelSelector as the query text upstream's LabelSelectorAsSelector prints
// ("app=web,queue in (a,b),!legacy", requirements sorted by key, values sorted). Null or absent
// is "" (no selector). Errors (kInvalidConfig) name the field under `path`.
Result<std::string> LabelSelectorText(const nlohmann::json& selector, const std::string& path);

// The custom metrics version to read from the group's discovery document (an APIGroup), as
// upstream's client chooses: the server's preferred version when ebb reads it, else the first
// listed version it reads ("v1beta2" or "v1beta1").
Result<std::string> ChooseCustomMetricsVersion(const nlohmann::json& api_group);

// A MetricValueList (custom.metrics.k8s.io v1beta1 or v1beta2) for pods: one sample per
// describedObject.name (a repeated name keeps the last, as upstream's map does).
decision::MetricReading ReadingFromPodsMetricList(const nlohmann::json& list);
// A MetricValueList for one object: exactly one item.
decision::MetricReading ReadingFromObjectMetricList(const nlohmann::json& list);
// An ExternalMetricValueList: the sum of every series' value (saturating).
decision::MetricReading ReadingFromExternalMetricList(const nlohmann::json& list);

class CustomMetricsReader final : public runtime::MetricReader {
 public:
  // `inner` reads everything else (scalers, Resource metrics) first; `selector` is the target's
  // pod selector, read at each Read. `autoscaler` must outlive the reader.
  CustomMetricsReader(runtime::MetricReader& inner, KubeClient& client,
                      const api::Autoscaler& autoscaler, std::function<std::string()> selector);
  void Read(Timestamp now, const runtime::ScaleInfo& scale, decision::Observation& obs) override;
  bool needs_cluster() const { return needs_; }

 private:
  Result<std::string> CustomVersion(bool refresh);
  Result<nlohmann::json> GetCustom(const std::string& rest);
  Result<std::string> ObjectResource(const std::string& api_version, const std::string& kind);
  decision::MetricReading ReadPods(std::size_t i, const std::string& pod_selector);
  decision::MetricReading ReadObject(std::size_t i);
  decision::MetricReading ReadExternal(std::size_t i);

  runtime::MetricReader& inner_;
  KubeClient& client_;
  const api::Autoscaler& autoscaler_;
  std::function<std::string()> selector_;
  bool needs_ = false;
  bool needs_pods_ = false;
  std::string version_;  // custom.metrics.k8s.io version in use ("" until discovered)
  std::chrono::steady_clock::time_point version_at_{};
  std::map<std::string, std::string> resources_;  // "apiVersion/Kind" -> "deployments.apps"
};

}  // namespace ebb::kube

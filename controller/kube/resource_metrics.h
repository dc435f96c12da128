// Resource / ContainerResource metrics from the cluster, as upstream's HPA reads them: pod
// metrics from metrics.k8s.io for the target's selector, and the pods themselves (phase, Ready
// condition and its transition time, start time, deletion, requests including restartable init
// containers), so the decision core's unready/missing-pod rules apply. Readings of the other
// metric types come from the scalers and are passed through.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "controller/kube/kube_client.h"
#include "controller/kube/pod_cache.h"
#include "controller/runtime/reconciler.h"

namespace ebb::kube {

// Parses one PodList into the core's pods (requests per resource, total and per container).
std::vector<decision::Pod> PodsFromList(const nlohmann::json& list);
decision::Pod PodFromJson(const nlohmann::json& pod);

// One Resource/ContainerResource metric's reading from a PodMetricsList (metrics.k8s.io): per
// pod, the sum of its containers' usage of the metric's resource; failed when no pod has one.
decision::MetricReading ReadingFromPodMetrics(const nlohmann::json& list,
                                              const decision::MetricSpec& metric);

class ResourceMetricsReader final : public runtime::MetricReader {
 public:
  // `selector` is read at each Read (the scale's status.selector may change). With `pods`, the
  // pods come from its informer for the namespace (held while this reader lives) and are LISTed
  // only while it has not synced or is unhealthy; metrics.k8s.io is the one read left.
  ResourceMetricsReader(KubeClient& client, std::string ns, const decision::Spec& spec,
                        std::function<std::string()> selector, PodCache* pods = nullptr);
  // Replaces the Resource entries of the readings handed to the reconcile; the rest pass through.
  void Read(Timestamp now, const runtime::ScaleInfo& scale, decision::Observation& obs) override;
  bool needs_cluster() const { return needs_; }

 private:
  KubeClient& client_;
  std::string ns_;
  const decision::Spec& spec_;
  std::function<std::string()> selector_;
  bool needs_ = false;
  PodCache* pods_;
  PodCache::Lease pods_lease_;
  std::optional<LabelSelector> parsed_;
  std::string parsed_text_;
  std::optional<std::vector<decision::Pod>> CachedPods(const std::string& selector);
};

}  // namespace ebb::kube

// Resource / ContainerResource metrics from the cluster, as upstream's HPA reads them: pod
// metrics from metrics.k8s.io for the target's selector, and the pods themselves (phase, Ready
// condition and its transition time, start time, deletion, requests including restartable init
// containers), so the decision core's unready/missing-pod rules apply. Readings of the other
// metric types come from the scalers and are passed through.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "controller/kube/kube_client.h"
#include "controller/kube/pod_cache.h"
#include "controller/runtime/reconciler.h"

namespace ebb::kube {

// Parses one PodList into the core's pods (requests per resource, total and per container).
std::vector<decision::Pod> PodsFromList(const nlohmann::json& list);
decision::Pod PodFromJson(const nlohmann::json& pod);

// One PodMetrics item: per container, the usage quantities that parsed (milli-units).
struct PodUsage {
  struct Container {
    std::string name;
    std::vector<std::pair<std::string, int64_t>> usage;  // resource -> milli-units
  };
  std::string name;
  std::optional<Timestamp> timestamp;
  std::optional<Duration> window;
  std::vector<Container> containers;
};

// A PodMetricsList's items; garbage members are skipped, never thrown on.
std::vector<PodUsage> PodUsageFromList(const nlohmann::json& list);

// One Resource/ContainerResource metric's reading from pod metrics (metrics.k8s.io): per pod,
// the sum of its containers' usage of the metric's resource; failed when no pod has one.
decision::MetricReading ReadingFromPodUsage(const std::vector<const PodUsage*>& pods,
                                            const decision::MetricSpec& metric);
decision::MetricReading ReadingFromPodMetrics(const nlohmann::json& list,
                                              const decision::MetricSpec& metric);

class PodMetricsCache;

class ResourceMetricsReader final : public runtime::MetricReader {
 public:
  // `selector` is read at each Read (the scale's status.selector may change). With `pods`, the
  // pods come from its informer for the namespace (held while this reader lives) and are LISTed
  // only while it has not synced or is unhealthy; metrics.k8s.io is the one read left. With
  // `metrics` too, that read is the namespace's shared one (PodMetricsCache) whenever the pods
  // came from the cache and another Resource Autoscaler reads the namespace, filtered to the
  // pods' names; otherwise one read with the selector.
  ResourceMetricsReader(KubeClient& client, std::string ns, const decision::Spec& spec,
                        std::function<std::string()> selector, PodCache* pods = nullptr,
                        PodMetricsCache* metrics = nullptr);
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
  PodMetricsCache* metrics_;
  PodCache::Lease pods_lease_;
  std::shared_ptr<void> metrics_lease_;  // PodMetricsCache::Lease
  std::optional<LabelSelector> parsed_;
  std::string parsed_text_;
  std::optional<std::vector<decision::Pod>> CachedPods(const std::string& selector);
};

}  // namespace ebb::kube

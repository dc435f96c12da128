// The ports of kube_access.h on a real cluster: the API server (scale subresource and watch
// caches of targets and pods, metrics.k8s.io, status, Events) and the scalers (HTTP and pooled
// Redis clients shared by every Autoscaler).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "controller/kube/discovery.h"
#include "controller/kube/event_recorder.h"
#include "controller/kube/kube_client.h"
#include "controller/kube/pod_cache.h"
#include "controller/kube/pod_metrics_cache.h"
#include "controller/kube/target_cache.h"
#include "controller/live/kube_access.h"
#include "controller/net/curl_http_client.h"
#include "scalers/redis_pool.h"

namespace ebb::live {

class ApiServerAccess final : public KubeAccess {
 public:
  // `identity`: the Events' reportingInstance. `watch_caches`: targets and pods from shared
  // informers (kube::TargetCache, kube::PodCache), started and stopped as the targets handed out
  // come and go, and metrics.k8s.io read once per namespace for all its Resource Autoscalers
  // (kube::PodMetricsCache); without, every reconcile GETs /scale, LISTs its pods and reads
  // its own pods' metrics.
  ApiServerAccess(kube::KubeClient& client, const std::string& identity, bool watch_caches = true);
  ~ApiServerAccess() override;
  // The scale (from the target cache, /scale when it cannot answer, /scale for writes), and the
  // cluster-served readings: metrics.k8s.io (Resource and ContainerResource) through
  // kube::ResourceMetricsReader with pods from the pod cache, custom.metrics.k8s.io and
  // external.metrics.k8s.io (Pods, Object, External) through kube::CustomMetricsReader.
  std::unique_ptr<TargetAccess> Target(const api::Autoscaler& autoscaler) override;
  Result<void> PatchStatus(const std::string& ns, const std::string& name,
                           const nlohmann::json& status_patch) override;
  Result<void> RecordEvent(const ObjectRef& object, const std::string& type,
                           const std::string& reason, const std::string& message,
                           Timestamp now) override;
  // nullptr without watch caches.
  const kube::TargetCache* target_cache() const { return targets_.get(); }
  const kube::PodCache* pod_cache() const { return pods_.get(); }
  const kube::PodMetricsCache* pod_metrics_cache() const { return pod_metrics_.get(); }

 private:
  kube::KubeClient& client_;
  kube::Discovery discovery_;
  kube::EventRecorder events_;
  // Declared last: destroyed first. Targets still handed out hold their informers alive.
  std::unique_ptr<kube::TargetCache> targets_;
  std::unique_ptr<kube::PodCache> pods_;
  std::unique_ptr<kube::PodMetricsCache> pod_metrics_;
};

class ScalerSources final : public SourceAccess {
 public:
  // `secrets`: where Secret references are read (none: they fail saying so); must outlive this.
  explicit ScalerSources(scalers::SecretReader* secrets = nullptr) : secrets_(secrets) {}
  Result<std::unique_ptr<Binding>> Bind(const api::Autoscaler& autoscaler) override;
  std::vector<std::vector<decision::MetricReading>> Poll(
      const std::vector<const api::Autoscaler*>& autoscalers, const std::vector<Binding*>& bindings,
      Timestamp now, Timestamp deadline) override;

 private:
  net::CurlHttpClient http_;
  scalers::RedisPool redis_;
  scalers::SecretReader* secrets_;
};

}  // namespace ebb::live

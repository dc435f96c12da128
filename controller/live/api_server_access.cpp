#include "controller/live/api_server_access.h"

#include <memory>
#include <utility>

#include "controller/kube/custom_metrics.h"
#include "controller/kube/resource_metrics.h"
#include "controller/kube/scale_target.h"
#include "controller/sources/scaler_metrics.h"

namespace ebb::live {
namespace {

constexpr const char* kGroupVersion = "ebb.dev/v1alpha1";

// For an Autoscaler that reads no metric the cluster serves (Resource, Pods, Object, External):
// the readings pass through, sized to the spec as the cluster readers leave them.
class NoClusterMetrics final : public runtime::MetricReader {
 public:
  explicit NoClusterMetrics(const decision::Spec& spec) : spec_(spec) {}
  void Read(Timestamp, const runtime::ScaleInfo&, decision::Observation& obs) override {
    obs.readings.resize(spec_.metrics.size());
  }

 private:
  const decision::Spec& spec_;
};

class ApiServerTarget final : public TargetAccess {
 public:
  ApiServerTarget(kube::KubeClient& client, kube::Discovery& discovery, kube::TargetCache* targets,
                  kube::PodCache* pods, kube::PodMetricsCache* pod_metrics,
                  const api::Autoscaler& a)
      : scale_(client, discovery, a.namespace_name, a.target, targets), none_(a.spec) {
    auto resource = std::make_unique<kube::ResourceMetricsReader>(
        client, a.namespace_name, a.spec, [this] { return scale_.selector(); }, pods, pod_metrics);
    auto custom = std::make_unique<kube::CustomMetricsReader>(*resource, client, a,
                                                              [this] { return scale_.selector(); });
    // Kept only when used: most Autoscalers read scalers alone, and the two readers cost ~0.35 KB
    // per Autoscaler (tens of thousands per replica).
    if (resource->needs_cluster() || custom->needs_cluster()) {
      resource_ = std::move(resource);
      custom_ = std::move(custom);
    }
  }
  Result<runtime::ScaleInfo> GetScale(Timestamp now) override { return scale_.GetScale(now); }
  Result<void> SetReplicas(int32_t replicas, Timestamp now) override {
    return scale_.SetReplicas(replicas, now);
  }
  std::string Describe() const override { return scale_.Describe(); }
  runtime::MetricReader& ClusterMetrics() override {
    return custom_ ? static_cast<runtime::MetricReader&>(*custom_) : none_;
  }

 private:
  kube::KubeScaleTarget scale_;
  NoClusterMetrics none_;
  std::unique_ptr<kube::ResourceMetricsReader> resource_;
  std::unique_ptr<kube::CustomMetricsReader> custom_;  // Pods/Object/External, after resource_
};

struct ScalerBindingHolder final : SourceAccess::Binding {
  sources::ScalerBinding binding;
};

}  // namespace

ApiServerAccess::ApiServerAccess(kube::KubeClient& client, const std::string& identity,
                                 bool watch_caches)
    : client_(client), discovery_(client), events_(client, "ebb", identity) {
  if (watch_caches) {
    targets_ = std::make_unique<kube::TargetCache>(client);
    pods_ = std::make_unique<kube::PodCache>(client);
    pod_metrics_ = std::make_unique<kube::PodMetricsCache>(client);
  }
}

ApiServerAccess::~ApiServerAccess() = default;

std::unique_ptr<TargetAccess> ApiServerAccess::Target(const api::Autoscaler& autoscaler) {
  return std::make_unique<ApiServerTarget>(client_, discovery_, targets_.get(), pods_.get(),
                                           pod_metrics_.get(), autoscaler);
}

Result<void> ApiServerAccess::PatchStatus(const std::string& ns, const std::string& name,
                                          const nlohmann::json& status_patch) {
  auto r = client_.MergePatch(std::string("/apis/") + kGroupVersion + "/namespaces/" + ns +
                                  "/autoscalers/" + name + "/status",
                              {{"status", status_patch}});
  if (!r) return r.error();
  return {};
}

Result<void> ApiServerAccess::RecordEvent(const ObjectRef& object, const std::string& type,
                                          const std::string& reason, const std::string& message,
                                          Timestamp now) {
  return events_.Record({object.api_version, object.kind, object.ns, object.name, object.uid}, type,
                        reason, message, now);
}

Result<std::unique_ptr<SourceAccess::Binding>> ScalerSources::Bind(
    const api::Autoscaler& autoscaler) {
  scalers::ScalerDeps deps{&http_, &redis_, false};
  deps.secrets.reader = secrets_;
  auto bound = sources::BindScalers(autoscaler, deps);
  if (!bound) return bound.error();
  auto holder = std::make_unique<ScalerBindingHolder>();
  holder->binding = std::move(*bound);
  return std::unique_ptr<Binding>(std::move(holder));
}

std::vector<std::vector<decision::MetricReading>> ScalerSources::Poll(
    const std::vector<const api::Autoscaler*>& autoscalers, const std::vector<Binding*>& bindings,
    Timestamp now, Timestamp deadline) {
  std::vector<sources::ScalerBinding*> bs;
  bs.reserve(bindings.size());
  for (Binding* b : bindings) bs.push_back(&static_cast<ScalerBindingHolder*>(b)->binding);
  return sources::PollAll(autoscalers, bs, {now, deadline});
}

}  // namespace ebb::live

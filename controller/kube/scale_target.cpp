#include "controller/kube/scale_target.h"

namespace ebb::kube {

KubeScaleTarget::KubeScaleTarget(KubeClient& client, Discovery& discovery, std::string ns,
                                 spec::ScaleTargetRef ref)
    : client_(client), discovery_(discovery), ns_(std::move(ns)), ref_(std::move(ref)) {}

std::string KubeScaleTarget::Describe() const {
  return ref_.kind + " " + ns_ + "/" + ref_.name;
}

std::string KubeScaleTarget::selector() const {
  std::lock_guard lock(mu_);
  return selector_;
}

Result<std::string> KubeScaleTarget::ScalePath() {
  std::lock_guard lock(mu_);
  if (!resource_) {
    auto r = discovery_.Resolve(ref_.api_version, ref_.kind);
    if (!r) return r.error();
    resource_ = *r;
  }
  return resource_->ObjectPath(ns_, ref_.name) + "/scale";
}

Result<runtime::ScaleInfo> KubeScaleTarget::GetScale(Timestamp) {
  auto path = ScalePath();
  if (!path) return path.error();
  auto scale = client_.Get(*path);
  if (!scale) return MakeError(scale.error().code, Describe() + ": " + scale.error().message);
  runtime::ScaleInfo info;
  const auto& j = *scale;
  info.spec_replicas = j.contains("spec") ? j["spec"].value("replicas", 0) : 0;
  info.status_replicas = j.contains("status") ? j["status"].value("replicas", 0) : 0;
  // The Scale subresource has no ready count; without pods the core uses status.replicas.
  info.ready_replicas = info.status_replicas;
  std::lock_guard lock(mu_);
  resource_version_ = j.contains("metadata") ? j["metadata"].value("resourceVersion", "") : "";
  seen_replicas_ = info.spec_replicas;
  selector_ = j.contains("status") ? j["status"].value("selector", "") : "";
  return info;
}

Result<void> KubeScaleTarget::SetReplicas(int32_t replicas, Timestamp now) {
  auto path = ScalePath();
  if (!path) return path.error();
  for (int attempt = 0; attempt < 3; ++attempt) {
    std::string rv;
    int32_t seen = -1;
    {
      std::lock_guard lock(mu_);
      rv = resource_version_;
      seen = seen_replicas_;
    }
    nlohmann::json patch = {{"spec", {{"replicas", replicas}}}};
    if (!rv.empty()) patch["metadata"] = {{"resourceVersion", rv}};
    auto r = client_.MergePatch(*path, patch);
    if (r) {
      std::lock_guard lock(mu_);
      resource_version_ = (*r)["metadata"].value("resourceVersion", "");
      seen_replicas_ = replicas;
      return {};
    }
    if (r.error().code != ErrorCode::kConflict)
      return MakeError(r.error().code, Describe() + ": " + r.error().message);
    auto fresh = GetScale(now);
    if (!fresh) return fresh.error();
    if (fresh->spec_replicas != seen)
      return MakeError(ErrorCode::kConflict, Describe() + ": spec.replicas changed from " +
                                                 std::to_string(seen) + " to " +
                                                 std::to_string(fresh->spec_replicas) +
                                                 " while deciding; deciding again");
  }
  return MakeError(ErrorCode::kConflict, Describe() + ": scale kept changing (409 three times)");
}

}  // namespace ebb::kube

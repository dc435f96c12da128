// The target's scale subresource on a real API server: GET .../scale, and a merge-PATCH of
// spec.replicas guarded by the resourceVersion the decision was based on.
#pragma once

#include <mutex>
#include <optional>
#include <string>

#include "controller/api/autoscaler.h"
#include "controller/kube/discovery.h"
#include "controller/kube/kube_client.h"
#include "controller/kube/target_cache.h"
#include "controller/runtime/reconciler.h"

namespace ebb::kube {

// What a reconcile reads from a Scale object (autoscaling/v1).
struct ScaleObject {
  runtime::ScaleInfo info;
  std::string resource_version;
  std::string selector;  // status.selector
};

// A missing field reads as empty/0, as before; a mistyped or out-of-range one is a kParse error
// naming the field (the API server never sends one, a proxy or a broken aggregated API might).
Result<ScaleObject> ParseScale(const nlohmann::json& scale);

class KubeScaleTarget final : public runtime::ScaleTarget {
 public:
  // With `cache`, the scale is read from its informer for the target's kind and namespace (held
  // while this target lives); /scale is read only while that cache has not synced, is unhealthy
  // or lacks the object, and on a 409.
  KubeScaleTarget(KubeClient& client, Discovery& discovery, std::string ns, api::ScaleTargetRef ref,
                  TargetCache* cache = nullptr);

  Result<runtime::ScaleInfo> GetScale(Timestamp now) override;
  // The patch carries the resourceVersion of the last GetScale, so a concurrent change is a 409
  // instead of a silent overwrite. On 409 the scale is re-read: if spec.replicas is still what
  // the decision saw (only status moved), the patch is retried; otherwise kConflict, and the
  // next reconcile decides again from the new count.
  Result<void> SetReplicas(int32_t replicas, Timestamp now) override;

  // status.selector of the last read (pods of the target), for the resource metrics adapter.
  std::string selector() const;
  // "Deployment jobs/worker" for messages.
  std::string Describe() const;

 private:
  Result<std::string> ScalePath();
  Result<runtime::ScaleInfo> ReadScale(const std::string& path);  // GET /scale
  KubeClient& client_;
  Discovery& discovery_;
  std::string ns_;
  api::ScaleTargetRef ref_;
  mutable std::mutex mu_;
  std::optional<ResourceRef> resource_;
  TargetCache* cache_;
  TargetCache::Lease lease_;
  std::string resource_version_;
  int32_t seen_replicas_ = -1;
  std::string selector_;
};

}  // namespace ebb::kube

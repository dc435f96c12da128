// Scale targets from watch caches instead of a GET of /scale per reconcile: one informer per
// scale-target kind and namespace in use, started by the first Autoscaler that needs it and
// stopped with the last, keeping per object only what a Scale read returns (replicas, selector,
// resourceVersion). Built-in workloads keep them at spec.replicas, status.replicas and
// spec.selector; a custom resource wherever its CRD's subresources.scale says.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "controller/kube/discovery.h"
#include "controller/kube/watched_collections.h"

namespace ebb::kube {

// What a reconcile reads of a target (a Scale object's worth).
struct CachedScale {
  int32_t spec_replicas = 0;
  int32_t status_replicas = 0;
  std::string selector;  // as a Scale's status.selector
  std::string resource_version;
};

struct ScalePaths {
  std::vector<std::string> spec_replicas{"spec", "replicas"};
  std::vector<std::string> status_replicas{"status", "replicas"};
  std::vector<std::string> selector{"spec", "selector"};
  // A CRD's labelSelectorPath points at a string already in selector syntax; a built-in
  // workload's spec.selector is a LabelSelector object.
  bool selector_is_text = false;
};

// subresources.scale of `version` in a CustomResourceDefinition; kInvalidConfig naming the
// field when the version has none or a path is not a plain ".a.b" path.
Result<ScalePaths> ScalePathsFromCrd(const nlohmann::json& crd, const std::string& version);

// The cached form of one object; kParse naming the field when it is mistyped.
Result<CachedScale> TrimTarget(const nlohmann::json& obj, const ScalePaths& paths);

class TargetCache {
 public:
  using Lease = std::shared_ptr<void>;
  explicit TargetCache(KubeClient& client, InformerOptions options = {});

  // Interest in `r`'s objects in `ns`. nullptr when the kind cannot be cached (a custom
  // resource whose CRD cannot be read, or has no scale subresource): the caller GETs /scale.
  Lease Acquire(const ResourceRef& r, const std::string& ns);
  // The cached scale, or nullopt when the informer has not synced within `wait`, is not healthy
  // (the cache may be stale) or does not hold the object: the caller GETs /scale.
  std::optional<CachedScale> Lookup(const ResourceRef& r, const std::string& ns,
                                    const std::string& name, Duration wait) const;

  std::vector<std::string> watching() const { return collections_.paths(); }
  std::size_t size() const { return collections_.size(); }

 private:
  std::optional<ScalePaths> PathsFor(const ResourceRef& r);
  KubeClient& client_;
  WatchedCollections<CachedScale> collections_;
  std::mutex mu_;
  std::map<std::string, std::optional<ScalePaths>> paths_;  // group/resource -> paths
};

}  // namespace ebb::kube

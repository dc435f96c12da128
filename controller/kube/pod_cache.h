// Pods from shared informers, as the HPA's pod lister: one per namespace with an Autoscaler
// that reads Resource metrics, started by the first and stopped with the last, keeping per pod
// its labels and what the decision core reads (phase, readiness, start, requests). A reconcile
// then selects its pods here instead of LISTing them from the API server.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "controller/decision/types.h"
#include "controller/kube/label_selector.h"
#include "controller/kube/watched_collections.h"

namespace ebb::kube {

struct CachedPod {
  Labels labels;
  decision::Pod pod;
};

class PodCache {
 public:
  using Lease = std::shared_ptr<void>;
  explicit PodCache(KubeClient& client, InformerOptions options = {});

  Lease Acquire(const std::string& ns);
  // The namespace's pods the selector matches, or nullopt when the informer has not synced
  // within `wait` or is not healthy: the caller LISTs them.
  std::optional<std::vector<decision::Pod>> Select(const std::string& ns,
                                                   const LabelSelector& selector,
                                                   Duration wait) const;

  std::vector<std::string> watching() const { return collections_.paths(); }
  std::size_t size() const { return collections_.size(); }

 private:
  WatchedCollections<CachedPod> collections_;
};

}  // namespace ebb::kube

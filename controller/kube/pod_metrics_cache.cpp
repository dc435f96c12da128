#include "controller/kube/pod_metrics_cache.h"

#include <utility>

namespace ebb::kube {

PodMetricsCache::PodMetricsCache(KubeClient& client, Duration max_age)
    : client_(client), max_age_(max_age) {}

PodMetricsCache::Lease PodMetricsCache::Acquire(const std::string& ns) {
  {
    std::lock_guard lock(entries_->mu);
    auto& e = entries_->by_namespace[ns];
    if (!e) e = std::make_shared<Entry>();
    ++e->interest;
  }
  std::weak_ptr<Entries> weak = entries_;
  return Lease(static_cast<void*>(this), [weak, ns](void*) {
    const auto entries = weak.lock();
    if (!entries) return;
    std::lock_guard lock(entries->mu);
    const auto it = entries->by_namespace.find(ns);
    // A reader still in Get holds the entry by its shared_ptr: erasing only drops the map's.
    if (it != entries->by_namespace.end() && --it->second->interest <= 0)
      entries->by_namespace.erase(it);
  });
}

bool PodMetricsCache::Shared(const std::string& ns) const {
  std::lock_guard lock(entries_->mu);
  const auto it = entries_->by_namespace.find(ns);
  return it != entries_->by_namespace.end() && it->second->interest >= 2;
}

std::size_t PodMetricsCache::namespaces() const {
  std::lock_guard lock(entries_->mu);
  return entries_->by_namespace.size();
}

Result<PodMetricsCache::Usage> PodMetricsCache::Read(const std::string& ns) {
  ++reads_;
  auto list = client_.Get("/apis/metrics.k8s.io/v1beta1/namespaces/" + ns + "/pods");
  if (!list) return list.error();
  return Usage(std::make_shared<const std::vector<PodUsage>>(PodUsageFromList(*list)));
}

Result<PodMetricsCache::Usage> PodMetricsCache::Get(const std::string& ns, Timestamp now) {
  std::shared_ptr<Entry> entry;
  {
    std::lock_guard lock(entries_->mu);
    if (const auto it = entries_->by_namespace.find(ns); it != entries_->by_namespace.end())
      entry = it->second;
  }
  if (!entry) return Read(ns);
  std::lock_guard lock(entry->mu);
  // Either side: a reconcile that took `now` just before the read landed may arrive after it;
  // a clock that stepped back by more than max_age reads again.
  const Duration age = now >= entry->read_at ? now - entry->read_at : entry->read_at - now;
  const bool fresh = entry->filled && age <= max_age_;
  if (!fresh) {
    auto got = Read(ns);
    entry->filled = true;
    entry->read_at = now;
    if (got) {
      entry->error.reset();
      entry->usage = std::move(*got);
    } else {
      entry->error = got.error();
      entry->usage.reset();
    }
  }
  if (entry->error) return *entry->error;
  return entry->usage;
}

}  // namespace ebb::kube

#include "controller/kube/pod_cache.h"

#include "controller/kube/resource_metrics.h"

namespace ebb::kube {
namespace {

std::string PodsPath(const std::string& ns) {
  return "/api/v1/namespaces/" + ns + "/pods";
}

}  // namespace

PodCache::PodCache(KubeClient& client, InformerOptions options) : collections_(client, options) {}

PodCache::Lease PodCache::Acquire(const std::string& ns) {
  return collections_.Acquire(PodsPath(ns), [](const nlohmann::json& obj) {
    CachedPod p;
    if (const auto md = obj.find("metadata"); md != obj.end() && md->is_object())
      if (const auto labels = md->find("labels"); labels != md->end() && labels->is_object())
        for (auto it = labels->begin(); it != labels->end(); ++it)
          if (it->is_string()) p.labels.emplace(it.key(), it->get<std::string>());
    p.pod = PodFromJson(obj);
    return std::optional<CachedPod>(std::move(p));
  });
}

std::optional<std::vector<decision::Pod>> PodCache::Select(const std::string& ns,
                                                           const LabelSelector& selector,
                                                           Duration wait) const {
  std::optional<std::vector<decision::Pod>> out;
  collections_.Read(PodsPath(ns), wait, [&](const std::map<std::string, CachedPod>& pods) {
    out.emplace();
    for (const auto& [key, p] : pods)
      if (selector.Matches(p.labels)) out->push_back(p.pod);
  });
  return out;
}

}  // namespace ebb::kube

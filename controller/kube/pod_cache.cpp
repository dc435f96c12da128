#include "controller/kube/pod_cache.h"

#include "controller/kube/resource_metrics.h"

namespace ebb::kube {
namespace {

std::string PodsPath(const std::string& ns) {
  return "/api/v1/namespaces/" + ns + "/pods";
}

}  // namespace

PodCache::PodCache(KubeClient& client, InformerOptions options)
    : collections_(client, options, [](const CachedPod& p) {
        std::vector<std::string> terms;
        for (const auto& [k, v] : p.labels) terms.push_back(LabelTerm(k, v));
        return terms;
      }) {}

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
  const std::vector<std::string> terms = selector.EqualityTerms();
  collections_.ReadView(PodsPath(ns), wait, [&](const auto& view) {
    out.emplace();
    const auto& pods = view.objects();
    if (terms.empty()) {  // only set-based or existence requirements: every pod is a candidate
      for (const auto& [key, p] : pods)
        if (selector.Matches(p.labels)) out->push_back(p.pod);
      return;
    }
    // Every match carries each equality term: test the pods of the rarest one only (a
    // namespace's scan per reconcile was most of the CPU at 10,000 Resource Autoscalers).
    const auto* fewest = &view.With(terms[0]);
    for (const auto& t : terms)
      if (view.With(t).size() < fewest->size()) fewest = &view.With(t);
    for (const auto& key : *fewest) {
      const auto it = pods.find(key);
      if (it != pods.end() && selector.Matches(it->second.labels)) out->push_back(it->second.pod);
    }
  });
  return out;
}

}  // namespace ebb::kube

#include "controller/kube/target_cache.h"

#include <cstdint>

#include "controller/base/text.h"
#include "controller/kube/label_selector.h"

namespace ebb::kube {
namespace {

std::string Dotted(const std::vector<std::string>& path) {
  std::string out;
  for (const auto& p : path) out += "." + p;
  return out;
}

const nlohmann::json* At(const nlohmann::json& obj, const std::vector<std::string>& path) {
  const nlohmann::json* cur = &obj;
  for (const auto& p : path) {
    if (!cur->is_object()) return nullptr;
    const auto it = cur->find(p);
    if (it == cur->end() || it->is_null()) return nullptr;
    cur = &*it;
  }
  return cur;
}

Result<int32_t> ReplicasAt(const nlohmann::json& obj, const std::vector<std::string>& path) {
  const nlohmann::json* v = At(obj, path);
  if (v == nullptr) return 0;  // as a Scale read: absent is 0
  if (!v->is_number_integer() || v->get<int64_t>() < 0 || v->get<int64_t>() > INT32_MAX)
    return MakeError(ErrorCode::kParse,
                     Dotted(path) + ": not a replica count (an integer 0..2147483647)");
  return static_cast<int32_t>(v->get<int64_t>());
}

// ".spec.replicas" -> {spec, replicas}; nullopt for what needs a JSONPath evaluator.
std::optional<std::vector<std::string>> SplitPath(const std::string& p) {
  if (p.size() < 2 || p.front() != '.') return std::nullopt;
  std::vector<std::string> out;
  std::string cur;
  for (std::size_t i = 1; i <= p.size(); ++i) {
    if (i == p.size() || p[i] == '.') {
      if (cur.empty()) return std::nullopt;
      out.push_back(cur);
      cur.clear();
      continue;
    }
    if (p[i] == '[' || p[i] == ']' || p[i] == '*' || p[i] == '\'') return std::nullopt;
    cur.push_back(p[i]);
  }
  return out;
}

}  // namespace

Result<ScalePaths> ScalePathsFromCrd(const nlohmann::json& crd, const std::string& version) {
  const std::string name =
      crd.is_object() && crd.contains("metadata") && crd["metadata"].is_object()
          ? SafeText(crd["metadata"].value("name", ""), 256)
          : "";
  const nlohmann::json* versions = At(crd, {"spec", "versions"});
  if (versions == nullptr || !versions->is_array())
    return MakeError(ErrorCode::kInvalidConfig, "CRD " + name + ": spec.versions: not a list");
  for (std::size_t i = 0; i < versions->size(); ++i) {
    const auto& v = (*versions)[i];
    if (!v.is_object() || v.value("name", "") != version) continue;
    const std::string field = "spec.versions[" + std::to_string(i) + "].subresources.scale";
    const nlohmann::json* scale = At(v, {"subresources", "scale"});
    if (scale == nullptr || !scale->is_object())
      return MakeError(ErrorCode::kInvalidConfig, "CRD " + name + ": " + field + ": absent");
    ScalePaths out;
    auto path_of = [&](const char* key, bool required) -> Result<std::vector<std::string>> {
      const auto it = scale->find(key);
      if (it == scale->end() || !it->is_string()) {
        if (!required) return std::vector<std::string>{};
        return MakeError(ErrorCode::kInvalidConfig,
                         "CRD " + name + ": " + field + "." + key + ": absent");
      }
      auto split = SplitPath(it->get<std::string>());
      if (!split)
        return MakeError(ErrorCode::kInvalidConfig,
                         "CRD " + name + ": " + field + "." + key + ": \"" +
                             SafeText(it->get<std::string>(), 256) +
                             "\" is not a plain .a.b path (read through /scale instead)");
      return *split;
    };
    auto spec = path_of("specReplicasPath", true);
    if (!spec) return spec.error();
    auto status = path_of("statusReplicasPath", true);
    if (!status) return status.error();
    auto selector = path_of("labelSelectorPath", false);
    if (!selector) return selector.error();
    out.spec_replicas = std::move(*spec);
    out.status_replicas = std::move(*status);
    out.selector = std::move(*selector);
    out.selector_is_text = true;
    return out;
  }
  return MakeError(ErrorCode::kInvalidConfig,
                   "CRD " + name + ": spec.versions: no version " + SafeText(version, 64));
}

Result<CachedScale> TrimTarget(const nlohmann::json& obj, const ScalePaths& paths) {
  CachedScale s;
  auto spec = ReplicasAt(obj, paths.spec_replicas);
  if (!spec) return spec.error();
  auto status = ReplicasAt(obj, paths.status_replicas);
  if (!status) return status.error();
  s.spec_replicas = *spec;
  s.status_replicas = *status;
  if (!paths.selector.empty()) {
    const nlohmann::json* sel = At(obj, paths.selector);
    if (sel != nullptr && paths.selector_is_text) {
      if (!sel->is_string())
        return MakeError(ErrorCode::kParse, Dotted(paths.selector) + ": not a string");
      s.selector = sel->get<std::string>();
    } else if (sel != nullptr) {
      auto text = FormatLabelSelector(*sel);
      if (!text)
        return MakeError(text.error().code, Dotted(paths.selector) + ": " + text.error().message);
      s.selector = std::move(*text);
    }
  }
  if (const nlohmann::json* rv = At(obj, {"metadata", "resourceVersion"}); rv && rv->is_string())
    s.resource_version = rv->get<std::string>();
  return s;
}

TargetCache::TargetCache(KubeClient& client, InformerOptions options)
    : client_(client), collections_(client, options) {}

std::optional<ScalePaths> TargetCache::PathsFor(const ResourceRef& r) {
  const std::string key = r.group + "/" + r.resource;
  std::lock_guard lock(mu_);
  if (auto it = paths_.find(key); it != paths_.end()) return it->second;
  std::optional<ScalePaths> paths;
  if (r.group == "apps" || r.group.empty()) {
    paths = ScalePaths{};  // Deployments, StatefulSets, ReplicaSets, ReplicationControllers
  } else {
    // A custom resource: its CRD says where the scale lives. Unreadable (RBAC, an aggregated
    // API rather than a CRD) means uncached, and is not asked again.
    auto crd = client_.Get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/" + r.resource +
                           "." + r.group);
    if (crd) {
      auto p = ScalePathsFromCrd(*crd, r.version);
      if (p) paths = std::move(*p);
    } else if (crd.error().code == ErrorCode::kUnavailable ||
               crd.error().code == ErrorCode::kTimeout) {
      return std::nullopt;  // passing trouble: ask again at the next Acquire
    }
  }
  paths_[key] = paths;
  return paths;
}

TargetCache::Lease TargetCache::Acquire(const ResourceRef& r, const std::string& ns) {
  auto paths = PathsFor(r);
  if (!paths) return nullptr;
  return collections_.Acquire(
      r.CollectionPath(ns), [p = *paths](const nlohmann::json& obj) -> std::optional<CachedScale> {
        auto t = TrimTarget(obj, p);
        if (!t) return std::nullopt;
        return std::move(*t);
      });
}

std::optional<CachedScale> TargetCache::Lookup(const ResourceRef& r, const std::string& ns,
                                               const std::string& name, Duration wait) const {
  std::optional<CachedScale> out;
  const std::string key = r.namespaced ? ns + "/" + name : name;
  collections_.Read(r.CollectionPath(ns), wait,
                    [&](const std::map<std::string, CachedScale>& objects) {
                      if (auto it = objects.find(key); it != objects.end()) out = it->second;
                    });
  return out;
}

}  // namespace ebb::kube

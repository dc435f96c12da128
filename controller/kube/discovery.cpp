#include "controller/kube/discovery.h"

namespace ebb::kube {

std::string ResourceRef::CollectionPath(const std::string& ns) const {
  std::string p = group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
  if (namespaced && !ns.empty()) p += "/namespaces/" + ns;
  return p + "/" + resource;
}

std::string ResourceRef::ObjectPath(const std::string& ns, const std::string& name) const {
  return CollectionPath(ns) + "/" + name;
}

namespace {

std::string StringField(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

std::map<std::string, ResourceRef> ParseApiResourceList(const nlohmann::json& list,
                                                        const std::string& api_version) {
  std::map<std::string, ResourceRef> kinds;
  if (!list.is_object()) return kinds;
  const auto resources = list.find("resources");
  if (resources == list.end() || !resources->is_array()) return kinds;
  std::map<std::string, bool> scalable;  // resource -> has "<resource>/scale"
  const auto slash = api_version.find('/');
  const bool core = slash == std::string::npos;
  const std::string group = core ? "" : api_version.substr(0, slash);
  const std::string version = core ? api_version : api_version.substr(slash + 1);
  for (const auto& r : *resources) {
    if (!r.is_object()) continue;
    const std::string name = StringField(r, "name");
    if (name.empty()) continue;
    const auto sub = name.find('/');
    if (sub != std::string::npos) {
      if (name.substr(sub + 1) == "scale") scalable[name.substr(0, sub)] = true;
      continue;
    }
    const std::string kind = StringField(r, "kind");
    if (kind.empty()) continue;
    const auto ns = r.find("namespaced");
    ResourceRef ref{group, version, name, ns == r.end() || !ns->is_boolean() || ns->get<bool>(),
                    false};
    kinds[kind] = ref;
  }
  for (auto& [kind, ref] : kinds) ref.has_scale = scalable.count(ref.resource) > 0;
  return kinds;
}

Result<void> Discovery::Load(const std::string& api_version) {
  const bool core = api_version.find('/') == std::string::npos;
  const std::string path = core ? "/api/" + api_version : "/apis/" + api_version;
  auto list = client_.Get(path);
  if (!list) return list.error();
  auto kinds = ParseApiResourceList(*list, api_version);
  std::lock_guard lock(mu_);
  by_gv_[api_version] = std::move(kinds);
  return {};
}

Result<ResourceRef> Discovery::Resolve(const std::string& api_version, const std::string& kind) {
  for (int pass = 0; pass < 2; ++pass) {
    {
      std::lock_guard lock(mu_);
      auto gv = by_gv_.find(api_version);
      if (gv != by_gv_.end()) {
        auto k = gv->second.find(kind);
        if (k != gv->second.end()) {
          if (!k->second.has_scale)
            return MakeError(
                ErrorCode::kInvalidConfig,
                "scaleTargetRef: " + kind + " (" + api_version + ") has no scale subresource");
          return k->second;
        }
        if (pass == 1) break;
      }
    }
    if (auto r = Load(api_version); !r) {
      if (r.error().code == ErrorCode::kNotFound)
        return MakeError(ErrorCode::kInvalidConfig,
                         "scaleTargetRef.apiVersion: the API server does not serve " + api_version);
      return r.error();
    }
  }
  return MakeError(ErrorCode::kInvalidConfig,
                   "scaleTargetRef.kind: " + api_version + " has no kind " + kind);
}

}  // namespace ebb::kube

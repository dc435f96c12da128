// API discovery: resolves a scaleTargetRef (apiVersion + kind) to the REST resource that serves
// it and checks that it has a `scale` subresource, so any scalable kind works (Deployment,
// StatefulSet, ReplicaSet, custom resources with a scale subresource).
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "controller/base/result.h"
#include "controller/kube/kube_client.h"

namespace ebb::kube {

struct ResourceRef {
  std::string group;     // "" for the core group
  std::string version;   // "v1"
  std::string resource;  // plural: "deployments"
  bool namespaced = true;
  bool has_scale = false;

  // "/apis/apps/v1/namespaces/ns/deployments/name" (or "/api/v1/..." for the core group).
  std::string ObjectPath(const std::string& ns, const std::string& name) const;
  std::string CollectionPath(const std::string& ns) const;  // ns empty: all namespaces
};

// An APIResourceList (GET /apis/<group>/<version>) as kind -> resource, `has_scale` set where a
// "<resource>/scale" entry exists. Entries that are not objects or lack a string name/kind are
// skipped (an aggregated API server may send anything).
std::map<std::string, ResourceRef> ParseApiResourceList(const nlohmann::json& list,
                                                        const std::string& api_version);

class Discovery {
 public:
  explicit Discovery(KubeClient& client) : client_(client) {}
  // Cached per group/version; a kind not found re-reads the group once (a CRD just installed).
  Result<ResourceRef> Resolve(const std::string& api_version, const std::string& kind);

 private:
  Result<void> Load(const std::string& api_version);
  KubeClient& client_;
  std::mutex mu_;
  std::map<std::string, std::map<std::string, ResourceRef>> by_gv_;  // gv -> kind -> ref
};

}  // namespace ebb::kube

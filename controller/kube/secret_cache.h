// Secrets an Autoscaler names (`...SecretKeyRef`, `authenticationRef`), read through the API
// server for the scalers (scalers::SecretReader). A Secret is fetched once per `ttl` however many
// Autoscalers name it, so a rotated Secret is used within one ttl without a restart; concurrent
// reads of a stale Secret wait for one GET. Values live only here and in the request that needs
// them: they are never logged, put into errors, status or Events.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "controller/base/result.h"
#include "controller/base/time.h"
#include "controller/kube/kube_client.h"
#include "scalers/config_util.h"

namespace ebb::kube {

class SecretCache final : public scalers::SecretReader {
 public:
  // The controller polls every 15 s by default; 10 s keeps a rotation within one interval.
  static constexpr Duration kDefaultTtl = Seconds(10);

  explicit SecretCache(KubeClient& client, Duration ttl = kDefaultTtl);

  // GET /api/v1/namespaces/<ns>/secrets/<name> (cached for the ttl, a failure too, so a missing
  // Secret costs one request per ttl, not one per poll). Errors name the Secret and the key:
  // kNotFound (no such Secret, or no such key in it), kPermissionDenied (the controller's RBAC
  // has no `get` on Secrets there: manifests/components/secrets-reader), kUnavailable.
  Result<std::string> Read(const std::string& ns, const std::string& name,
                           const std::string& key) override;

  std::size_t fetches() const;

 private:
  using Clock = std::chrono::steady_clock;
  struct Entry {
    std::mutex mu;  // held across the GET: one fetch per Secret at a time
    bool fetched = false;
    Clock::time_point at{};
    Clock::time_point used{};
    Result<std::map<std::string, std::string>> data =
        MakeError(ErrorCode::kInternal, "not fetched");
  };
  Result<std::map<std::string, std::string>> Fetch(const std::string& ns, const std::string& name);
  void Sweep(Clock::time_point now);  // drops Secrets no Autoscaler read for a while

  KubeClient& client_;
  Duration ttl_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Entry>> entries_;
  std::size_t fetches_ = 0;
  Clock::time_point last_sweep_{};
};

}  // namespace ebb::kube

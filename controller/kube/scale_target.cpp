#include "controller/kube/scale_target.h"

#include <cstdint>

namespace ebb::kube {
namespace {

const nlohmann::json* Find(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  const auto it = j.find(key);
  return it == j.end() || it->is_null() ? nullptr : &*it;
}

Result<const nlohmann::json*> Member(const nlohmann::json& j, const char* outer, const char* key) {
  const nlohmann::json* o = Find(j, outer);
  if (o == nullptr) return nullptr;
  if (!o->is_object()) return MakeError(ErrorCode::kParse, std::string(outer) + ": not an object");
  return Find(*o, key);
}

Result<int32_t> Int32At(const nlohmann::json& j, const char* outer, const char* key) {
  auto m = Member(j, outer, key);
  if (!m) return m.error();
  const nlohmann::json* v = *m;
  if (v == nullptr) return 0;
  if (!v->is_number_integer() ||
      (v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(INT32_MAX)) ||
      (!v->is_number_unsigned() && (v->get<int64_t>() < 0 || v->get<int64_t>() > INT32_MAX)))
    return MakeError(ErrorCode::kParse, std::string(outer) + "." + key +
                                            ": not a replica count (an integer 0..2147483647)");
  return static_cast<int32_t>(v->get<int64_t>());
}

Result<std::string> StringAt(const nlohmann::json& j, const char* outer, const char* key) {
  auto m = Member(j, outer, key);
  if (!m) return m.error();
  const nlohmann::json* v = *m;
  if (v == nullptr) return std::string();
  if (!v->is_string())
    return MakeError(ErrorCode::kParse, std::string(outer) + "." + key + ": not a string");
  return v->get<std::string>();
}

}  // namespace

Result<ScaleObject> ParseScale(const nlohmann::json& scale) {
  if (!scale.is_object()) return MakeError(ErrorCode::kParse, "Scale: not an object");
  ScaleObject s;
  auto spec = Int32At(scale, "spec", "replicas");
  if (!spec) return spec.error();
  auto status = Int32At(scale, "status", "replicas");
  if (!status) return status.error();
  auto rv = StringAt(scale, "metadata", "resourceVersion");
  if (!rv) return rv.error();
  auto selector = StringAt(scale, "status", "selector");
  if (!selector) return selector.error();
  s.info.spec_replicas = *spec;
  s.info.status_replicas = *status;
  // The Scale subresource has no ready count; without pods the core uses status.replicas.
  s.info.ready_replicas = s.info.status_replicas;
  s.resource_version = std::move(*rv);
  s.selector = std::move(*selector);
  return s;
}

KubeScaleTarget::KubeScaleTarget(KubeClient& client, Discovery& discovery, std::string ns,
                                 api::ScaleTargetRef ref, TargetCache* cache)
    : client_(client),
      discovery_(discovery),
      ns_(std::move(ns)),
      ref_(std::move(ref)),
      cache_(cache) {}

std::string KubeScaleTarget::Describe() const {
  return ref_.kind + " " + ns_ + "/" + ref_.name;
}

std::string KubeScaleTarget::selector() const {
  std::lock_guard lock(mu_);
  return selector_;
}

Result<std::string> KubeScaleTarget::ScalePath() {
  std::lock_guard lock(mu_);
  if (!resource_) {
    auto r = discovery_.Resolve(ref_.api_version, ref_.kind);
    if (!r) return r.error();
    resource_ = *r;
    if (cache_) lease_ = cache_->Acquire(*resource_, ns_);
  }
  return resource_->ObjectPath(ns_, ref_.name) + "/scale";
}

Result<runtime::ScaleInfo> KubeScaleTarget::GetScale(Timestamp) {
  auto path = ScalePath();
  if (!path) return path.error();
  std::optional<CachedScale> cached;
  if (lease_) cached = cache_->Lookup(*resource_, ns_, ref_.name, kCacheSyncWait);
  if (!cached) return ReadScale(*path);
  runtime::ScaleInfo info;
  info.spec_replicas = cached->spec_replicas;
  info.status_replicas = cached->status_replicas;
  info.ready_replicas = info.status_replicas;  // as from /scale, which has no ready count
  std::lock_guard lock(mu_);
  resource_version_ = std::move(cached->resource_version);
  seen_replicas_ = info.spec_replicas;
  selector_ = std::move(cached->selector);
  return info;
}

Result<runtime::ScaleInfo> KubeScaleTarget::ReadScale(const std::string& path) {
  auto scale = client_.Get(path);
  if (!scale) return MakeError(scale.error().code, Describe() + ": " + scale.error().message);
  auto parsed = ParseScale(*scale);
  if (!parsed) return MakeError(parsed.error().code, Describe() + ": " + parsed.error().message);
  std::lock_guard lock(mu_);
  resource_version_ = std::move(parsed->resource_version);
  seen_replicas_ = parsed->info.spec_replicas;
  selector_ = std::move(parsed->selector);
  return parsed->info;
}

Result<void> KubeScaleTarget::SetReplicas(int32_t replicas, Timestamp) {
  auto path = ScalePath();
  if (!path) return path.error();
  for (int attempt = 0; attempt < 3; ++attempt) {
    std::string rv;
    int32_t seen = -1;
    {
      std::lock_guard lock(mu_);
      rv = resource_version_;
      seen = seen_replicas_;
    }
    nlohmann::json patch = {{"spec", {{"replicas", replicas}}}};
    if (!rv.empty()) patch["metadata"] = {{"resourceVersion", rv}};
    auto r = client_.MergePatch(*path, patch);
    if (r) {
      std::lock_guard lock(mu_);
      auto patched_rv = StringAt(*r, "metadata", "resourceVersion");
      resource_version_ = patched_rv ? *patched_rv : "";
      seen_replicas_ = replicas;
      return {};
    }
    if (r.error().code != ErrorCode::kConflict)
      return MakeError(r.error().code, Describe() + ": " + r.error().message);
    auto fresh = ReadScale(*path);  // the server's, not the cache's: it may lag the 409
    if (!fresh) return fresh.error();
    if (fresh->spec_replicas != seen)
      return MakeError(ErrorCode::kConflict, Describe() + ": spec.replicas changed from " +
                                                 std::to_string(seen) + " to " +
                                                 std::to_string(fresh->spec_replicas) +
                                                 " while deciding; deciding again");
  }
  return MakeError(ErrorCode::kConflict, Describe() + ": scale kept changing (409 three times)");
}

}  // namespace ebb::kube

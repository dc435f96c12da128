#include "controller/kube/secret_cache.h"

#include <utility>
#include <vector>

#include "controller/kube/kube_config.h"

namespace ebb::kube {

SecretCache::SecretCache(KubeClient& client, Duration ttl) : client_(client), ttl_(ttl) {}

std::size_t SecretCache::fetches() const {
  std::lock_guard<std::mutex> lock(mu_);
  return fetches_;
}

Result<std::map<std::string, std::string>> SecretCache::Fetch(const std::string& ns,
                                                              const std::string& name) {
  const std::string path = "/api/v1/namespaces/" + ns + "/secrets/" + name;
  // The caller (scalers::ResolveSecret) names the field, the Secret and the key before these.
  const std::string what = "the Secret";
  // Do, not Get: the reply's body is a Secret and must not reach an error message.
  auto r = client_.Do(Verb::kGet, path);
  if (!r) return MakeError(r.error().code, "cannot read " + what + ": " + r.error().message);
  if (r->status == 404) return MakeError(ErrorCode::kNotFound, "the Secret does not exist");
  if (r->status == 401 || r->status == 403) {
    return MakeError(ErrorCode::kPermissionDenied,
                     "forbidden (HTTP " + std::to_string(r->status) +
                         "): the controller needs get on secrets in namespace " + ns +
                         " (manifests/components/secrets-reader)");
  }
  if (r->status < 200 || r->status > 299) {
    // A failure's body is a Status (or a proxy's page), never the Secret: quoted bounded.
    return MakeError(CodeForStatus(r->status),
                     "cannot read " + what + ": " + DescribeFailure(Verb::kGet, path, *r));
  }
  auto doc = nlohmann::json::parse(r->body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return MakeError(ErrorCode::kParse, "cannot read " + what + ": the reply is not JSON");
  }
  std::map<std::string, std::string> out;
  if (auto d = doc.find("data"); d != doc.end() && d->is_object()) {
    for (const auto& [k, v] : d->items()) {
      if (!v.is_string()) continue;
      auto decoded = DecodeBase64(v.get<std::string>());
      // The key is named, the value is not.
      if (!decoded) {
        return MakeError(ErrorCode::kParse, "the Secret's key " + k + " is not base64");
      }
      out[k] = std::move(decoded).value();
    }
  }
  return out;
}

void SecretCache::Sweep(Clock::time_point now) {
  // Called with mu_ held. Entries being fetched are kept (their mutex is busy).
  const auto idle = std::chrono::duration_cast<Clock::duration>(ttl_ * 30);
  if (now - last_sweep_ < idle) return;
  last_sweep_ = now;
  for (auto it = entries_.begin(); it != entries_.end();) {
    std::unique_lock<std::mutex> entry_lock(it->second->mu, std::try_to_lock);
    if (entry_lock.owns_lock() && now - it->second->used > idle) {
      entry_lock.unlock();
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
}

Result<std::string> SecretCache::Read(const std::string& ns, const std::string& name,
                                      const std::string& key) {
  const auto now = Clock::now();
  std::shared_ptr<Entry> entry;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Sweep(now);
    auto& slot = entries_[ns + "/" + name];
    if (!slot) slot = std::make_shared<Entry>();
    entry = slot;
  }
  std::lock_guard<std::mutex> entry_lock(entry->mu);
  entry->used = now;
  if (!entry->fetched || Clock::now() - entry->at >= ttl_) {
    entry->data = Fetch(ns, name);
    entry->at = Clock::now();
    entry->fetched = true;
    std::lock_guard<std::mutex> lock(mu_);
    ++fetches_;
  }
  if (!entry->data) return entry->data.error();
  auto it = entry->data->find(key);
  if (it == entry->data->end()) {
    return MakeError(ErrorCode::kNotFound, "the Secret has no such key");
  }
  return it->second;
}

}  // namespace ebb::kube

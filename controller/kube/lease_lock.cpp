#include "controller/kube/lease_lock.h"

#include "controller/api/timestamps.h"

namespace ebb::kube {

std::string FormatMicroTime(Timestamp t) {
  std::string s = api::FormatRfc3339(t);  // "...:05Z" or "...:05.123Z"
  if (s.empty() || s.back() != 'Z') return s;
  s.pop_back();
  if (s.find('.') == std::string::npos) s += ".000";
  return s + "000Z";
}

std::string LeaseRecord(const nlohmann::json& lease) {
  const auto spec = lease.find("spec");
  return spec != lease.end() && spec->is_object() ? spec->dump() : "{}";
}

std::string LeaseObservation::Observe(const nlohmann::json& lease,
                                      std::chrono::steady_clock::time_point now) {
  const nlohmann::json spec = lease.contains("spec") && lease["spec"].is_object()
                                  ? lease["spec"]
                                  : nlohmann::json::object();
  std::string record = LeaseRecord(lease);
  if (record != record_) {
    record_ = std::move(record);
    changed_at_ = now;
    if (changes_ < 2) ++changes_;
  }
  const auto holder = spec.find("holderIdentity");
  holder_ = holder != spec.end() && holder->is_string() ? holder->get<std::string>() : "";
  const auto d = spec.find("leaseDurationSeconds");
  duration_s_ = d != spec.end() && d->is_number_integer() ? d->get<int32_t>() : 0;
  return holder_;
}

bool LeaseObservation::Live(std::chrono::steady_clock::time_point now) const {
  return !holder_.empty() && now < changed_at_ + std::chrono::seconds(duration_s_);
}

LeaseLock::LeaseLock(KubeClient& client, LeaseLockConfig config)
    : client_(client), config_(std::move(config)) {}

std::string LeaseLock::Path() const {
  return "/apis/coordination.k8s.io/v1/namespaces/" + config_.ns + "/leases/" + config_.name;
}

bool LeaseLock::TryAcquireOrRenew(const nlohmann::json* seen) {
  const auto steady_now = std::chrono::steady_clock::now();
  const std::string now_text = FormatMicroTime(SystemClock().Now());
  const int32_t lease_s = static_cast<int32_t>(config_.lease_duration.count() / 1000);
  nlohmann::json lease;
  if (seen) {
    lease = *seen;
  } else {
    auto got = client_.Get(Path());
    if (!got) {
      if (got.error().code != ErrorCode::kNotFound) return false;
      nlohmann::json labels = nlohmann::json::object();
      for (const auto& [k, v] : config_.labels) labels[k] = v;
      nlohmann::json obj = {
          {"apiVersion", "coordination.k8s.io/v1"},
          {"kind", "Lease"},
          {"metadata", {{"name", config_.name}, {"namespace", config_.ns}, {"labels", labels}}},
          {"spec",
           {{"holderIdentity", config_.identity},
            {"leaseDurationSeconds", lease_s},
            {"acquireTime", now_text},
            {"renewTime", now_text},
            {"leaseTransitions", 0}}}};
      auto created =
          client_.Post("/apis/coordination.k8s.io/v1/namespaces/" + config_.ns + "/leases", obj);
      if (!created) return false;
      observed_.Observe(*created, steady_now);
      return true;
    }
    lease = std::move(*got);
  }
  const std::string holder = observed_.Observe(lease, steady_now);
  if (holder != config_.identity && observed_.Live(steady_now)) return false;
  nlohmann::json& spec = lease["spec"];
  if (!spec.is_object()) spec = nlohmann::json::object();
  if (holder != config_.identity) {
    spec["acquireTime"] = now_text;
    spec["leaseTransitions"] = spec.value("leaseTransitions", 0) + 1;
  }
  spec["holderIdentity"] = config_.identity;
  spec["leaseDurationSeconds"] = lease_s;
  spec["renewTime"] = now_text;
  auto updated = client_.Put(Path(), lease);  // carries metadata.resourceVersion: 409 on a race
  if (!updated) return false;
  observed_.Observe(*updated, steady_now);
  return true;
}

void LeaseLock::Release() {
  auto lease = client_.Get(Path());
  if (!lease || !(*lease)["spec"].is_object() ||
      (*lease)["spec"].value("holderIdentity", "") != config_.identity)
    return;
  auto& s = (*lease)["spec"];
  const std::string now = FormatMicroTime(SystemClock().Now());
  s["holderIdentity"] = "";
  s["leaseDurationSeconds"] = 1;
  s["renewTime"] = now;
  s["acquireTime"] = now;
  if (auto released = client_.Put(Path(), *lease))
    observed_.Observe(*released, std::chrono::steady_clock::now());
}

}  // namespace ebb::kube

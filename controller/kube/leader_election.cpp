#include "controller/kube/leader_election.h"

#include <random>

#include "controller/spec/timestamps.h"

namespace ebb::kube {

std::string FormatMicroTime(Timestamp t) {
  std::string s = spec::FormatRfc3339(t);  // "...:05Z" or "...:05.123Z"
  if (s.empty() || s.back() != 'Z') return s;
  s.pop_back();
  if (s.find('.') == std::string::npos) s += ".000";
  return s + "000Z";
}

LeaderElector::LeaderElector(KubeClient& client, LeaderElectionConfig config, OnChange on_change)
    : client_(client), config_(std::move(config)), on_change_(std::move(on_change)) {}

LeaderElector::~LeaderElector() {
  Stop(false);
}

std::string LeaderElector::Path() const {
  return "/apis/coordination.k8s.io/v1/namespaces/" + config_.ns + "/leases/" + config_.name;
}

void LeaderElector::Start() {
  thread_ = std::thread([this] { Run(); });
}

void LeaderElector::SetLeader(bool v) {
  if (leader_.exchange(v) != v && on_change_) on_change_(v);
}

void LeaderElector::Stop(bool release) {
  stop_ = true;
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (release && leader_.load()) {
    // client-go's release: an empty holder with a 1 s lease, so candidates take over at once.
    auto lease = client_.Get(Path());
    if (lease && (*lease)["spec"].value("holderIdentity", "") == config_.identity) {
      auto& s = (*lease)["spec"];
      const std::string now = FormatMicroTime(SystemClock().Now());
      s["holderIdentity"] = "";
      s["leaseDurationSeconds"] = 1;
      s["renewTime"] = now;
      s["acquireTime"] = now;
      (void)client_.Put(Path(), *lease);
    }
    SetLeader(false);
  }
}

bool LeaderElector::TryAcquireOrRenew() {
  const Timestamp now = SystemClock().Now();
  const auto steady_now = std::chrono::steady_clock::now();
  const std::string now_text = FormatMicroTime(now);
  const int32_t lease_s = static_cast<int32_t>(config_.lease_duration.count() / 1000);
  auto lease = client_.Get(Path());
  if (!lease) {
    if (lease.error().code != ErrorCode::kNotFound) return false;
    nlohmann::json obj = {{"apiVersion", "coordination.k8s.io/v1"},
                          {"kind", "Lease"},
                          {"metadata", {{"name", config_.name}, {"namespace", config_.ns}}},
                          {"spec",
                           {{"holderIdentity", config_.identity},
                            {"leaseDurationSeconds", lease_s},
                            {"acquireTime", now_text},
                            {"renewTime", now_text},
                            {"leaseTransitions", 0}}}};
    auto created =
        client_.Post("/apis/coordination.k8s.io/v1/namespaces/" + config_.ns + "/leases", obj);
    if (!created) return false;
    observed_record_ = (*created)["spec"].dump();
    observed_at_ = steady_now;
    return true;
  }
  nlohmann::json& spec = (*lease)["spec"];
  if (spec.is_null()) spec = nlohmann::json::object();
  const std::string record = spec.dump();
  if (record != observed_record_) {
    observed_record_ = record;
    observed_at_ = steady_now;
  }
  const std::string holder = spec.value("holderIdentity", "");
  const int32_t held_for = spec.value("leaseDurationSeconds", lease_s);
  if (!holder.empty() && holder != config_.identity &&
      steady_now < observed_at_ + std::chrono::seconds(held_for)) {
    return false;  // someone else holds a lease that has not expired by our clock
  }
  if (holder != config_.identity) {
    spec["acquireTime"] = now_text;
    spec["leaseTransitions"] = spec.value("leaseTransitions", 0) + 1;
  }
  spec["holderIdentity"] = config_.identity;
  spec["leaseDurationSeconds"] = lease_s;
  spec["renewTime"] = now_text;
  auto updated = client_.Put(Path(), *lease);  // carries metadata.resourceVersion: 409 on a race
  if (!updated) return false;
  observed_record_ = (*updated)["spec"].dump();
  observed_at_ = steady_now;
  return true;
}

void LeaderElector::Run() {
  std::mt19937 rng{std::random_device{}()};
  auto last_renew = std::chrono::steady_clock::now();
  while (!stop_) {
    const bool ok = TryAcquireOrRenew();
    const auto now = std::chrono::steady_clock::now();
    if (ok) {
      last_renew = now;
      SetLeader(true);
    } else if (leader_.load() && now - last_renew > config_.renew_deadline) {
      SetLeader(false);  // could not renew in time: someone else may take it now
    }
    // client-go jitters the acquire period by up to 20 %; the renew period is not jittered.
    Duration wait = config_.retry_period;
    if (!leader_.load())
      wait += Duration(
          std::uniform_int_distribution<int64_t>(0, config_.retry_period.count() / 5)(rng));
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, wait, [&] { return stop_.load(); });
  }
}

}  // namespace ebb::kube

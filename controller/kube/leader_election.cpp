#include "controller/kube/leader_election.h"

#include <random>

namespace ebb::kube {

LeaderElector::LeaderElector(KubeClient& client, LeaderElectionConfig config, OnChange on_change)
    : config_(std::move(config)),
      lock_(
          client,
          LeaseLockConfig{config_.ns, config_.name, config_.identity, config_.lease_duration, {}}),
      on_change_(std::move(on_change)) {}

LeaderElector::~LeaderElector() {
  Stop(false);
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
    lock_.Release();
    SetLeader(false);
  }
}

void LeaderElector::Run() {
  std::mt19937 rng{std::random_device{}()};
  auto last_renew = std::chrono::steady_clock::now();
  while (!stop_) {
    const bool ok = lock_.TryAcquireOrRenew();
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

#include "controller/shard/shard_manager.h"

#include <random>

#include "controller/shard/shard_hash.h"
#include "controller/shard/shard_plan.h"

namespace ebb::shard {
namespace {

constexpr const char* kGroupLabel = "ebb.dev/shard-group";
constexpr const char* kRoleLabel = "ebb.dev/shard-role";
// The next round after an acquisition lost to a peer: soon, but after the peer's write.
constexpr Duration kAfterLostRace{100};

}  // namespace

ShardManager::ShardManager(kube::KubeClient& client, ShardConfig config, OnChange on_change)
    : client_(client),
      config_(std::move(config)),
      on_change_(std::move(on_change)),
      member_(client,
              kube::LeaseLockConfig{config_.ns,
                                    config_.group + "-member-" + config_.identity,
                                    config_.identity,
                                    config_.lease_duration,
                                    {{kGroupLabel, config_.group}, {kRoleLabel, "member"}}}) {
  if (config_.shards < 1) throw std::invalid_argument("ShardManager: shards must be >= 1");
  for (int32_t i = 0; i < config_.shards; ++i)
    shard_locks_.push_back(std::make_unique<kube::LeaseLock>(
        client_, kube::LeaseLockConfig{config_.ns,
                                       ShardLeaseName(i),
                                       config_.identity,
                                       config_.lease_duration,
                                       {{kGroupLabel, config_.group}, {kRoleLabel, "shard"}}}));
}

ShardManager::~ShardManager() {
  Stop(false);
}

std::string ShardManager::ShardLeaseName(int32_t i) const {
  return config_.group + "-shard-" + std::to_string(i);
}

kube::LeaseLock& ShardManager::Shard(int32_t i) {
  return *shard_locks_[static_cast<std::size_t>(i)];
}

int32_t ShardManager::shard_of(std::string_view autoscaler_key) const {
  return ShardOf(autoscaler_key, config_.shards);
}

bool ShardManager::Owns(std::string_view autoscaler_key) const {
  const int32_t s = shard_of(autoscaler_key);
  std::lock_guard lock(mu_);
  return held_.count(s) > 0;
}

std::set<int32_t> ShardManager::held() const {
  std::lock_guard lock(mu_);
  return held_;
}

void ShardManager::SetHeld(std::set<int32_t> held) {
  {
    std::lock_guard lock(mu_);
    if (held == held_) return;
    held_ = held;
  }
  if (on_change_) on_change_(held);
}

std::string ShardManager::LeasesPath() const {
  return "/apis/coordination.k8s.io/v1/namespaces/" + config_.ns +
         "/leases?labelSelector=" + kGroupLabel + "%3D" + config_.group;
}

void ShardManager::Start() {
  if (config_.watch_leases) {
    kube::InformerOptions options;
    options.keep_objects = false;  // only the times matter; each round lists the records
    watch_ = std::make_unique<kube::Informer>(
        client_, LeasesPath(),
        [this](const std::string& key, const nlohmann::json* lease) {
          sightings_.Saw(key.substr(key.find('/') + 1), lease, std::chrono::steady_clock::now());
        },
        options);
    watch_->Start();
  }
  thread_ = std::thread([this] { Run(); });
}

void ShardManager::Stop(bool release) {
  stop_ = true;
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (watch_) watch_->Stop();
  if (!release) return;
  const std::set<int32_t> had = held();
  SetHeld({});  // stop acting first, then let peers take over at once
  for (int32_t s : had) Shard(s).Release();
  member_.Release();
}

Duration NextRoundIn(Duration retry, std::optional<std::chrono::steady_clock::time_point> expiry,
                     std::chrono::steady_clock::time_point now) {
  // Just past the expiry: our clock's view of it is the rule (LeaseLock), not the record's.
  constexpr Duration kPast{20};
  if (!expiry) return retry;
  const Duration until =
      std::max(Duration(0), std::chrono::duration_cast<Duration>(*expiry - now)) + kPast;
  return std::min(retry, until);
}

void ShardManager::Run() {
  std::mt19937 rng{std::random_device{}()};
  while (!stop_) {
    Tick();
    // Jittered like client-go's acquire loop, so replicas started together spread their writes.
    const Duration retry = short_ ? kAfterLostRace : config_.retry_period;
    const Duration wait = NextRoundIn(
        retry + Duration(std::uniform_int_distribution<int64_t>(0, retry.count() / 5)(rng)),
        next_expiry_, std::chrono::steady_clock::now());
    std::unique_lock lock(wait_mu_);
    cv_.wait_for(lock, wait, [&] { return stop_.load(); });
  }
}

void ShardManager::Tick() {
  const auto now = std::chrono::steady_clock::now();
  short_ = false;
  (void)member_.TryAcquireOrRenew();

  // The group's Leases in one list (label-selected): peers' memberships and every shard.
  std::map<std::string, nlohmann::json> leases;
  // Listed each round all the same: renewals and takeovers write from a fresh resourceVersion.
  auto list = client_.Get(LeasesPath());
  if (list && (*list)["items"].is_array())
    for (auto& item : (*list)["items"])
      if (item["metadata"].is_object() && item["metadata"]["name"].is_string()) {
        std::string name = item["metadata"]["name"].get<std::string>();
        leases[std::move(name)] = std::move(item);
      }
  auto listed = [&](const std::string& name) -> const nlohmann::json* {
    auto it = leases.find(name);
    return it == leases.end() ? nullptr : &it->second;
  };

  // Renew what we hold; a shard not renewed within the renew deadline is dropped before a peer
  // may take it (the peer waits a whole lease duration).
  std::set<int32_t> held = this->held();
  for (auto it = held.begin(); it != held.end();) {
    if (Shard(*it).TryAcquireOrRenew(listed(ShardLeaseName(*it)))) {
      renewed_at_[*it] = now;
      ++it;
    } else if (now - renewed_at_[*it] > config_.renew_deadline) {
      renewed_at_.erase(*it);
      it = held.erase(it);
    } else {
      ++it;
    }
  }
  SetHeld(held);
  if (!list) return;  // cannot see the peers: keep what we hold, take nothing new

  next_expiry_.reset();
  ShardView view;
  const std::string member_prefix = config_.group + "-member-";
  for (const auto& [name, lease] : leases) {
    if (name.rfind(member_prefix, 0) != 0) continue;
    auto& seen = members_[name];
    seen.Observe(lease, sightings_.SeenAt(name, lease, now));
    // Only members seen renewing count for fairness: a replica that died before we started
    // would otherwise hold back our share of the free shards for a whole lease duration.
    if (seen.Renewing(now)) view.members.push_back(seen.holder());
  }
  view.members.push_back(config_.identity);
  for (int32_t i = 0; i < config_.shards; ++i) {
    if (held.count(i)) {
      view.holders.push_back(config_.identity);
      continue;
    }
    kube::LeaseLock& lock = Shard(i);
    if (const auto* lease = listed(ShardLeaseName(i)))
      lock.Observe(*lease, sightings_.SeenAt(ShardLeaseName(i), *lease, now));
    const auto& seen = lock.observation();
    if (seen.Live(now) && seen.holder() != config_.identity &&
        (!next_expiry_ || seen.expires_at() < *next_expiry_))
      next_expiry_ = seen.expires_at();
    view.holders.push_back(seen.Live(now) && seen.holder() != config_.identity ? seen.holder()
                                                                               : "");
  }

  const ShardPlan plan = PlanShards(view, config_.identity, Fnv1a64(config_.identity));
  if (!plan.release.empty()) {
    for (int32_t s : plan.release) held.erase(s);
    SetHeld(held);  // returns once the controller has stopped acting on them
    for (int32_t s : plan.release) {
      Shard(s).Release();
      renewed_at_.erase(s);
    }
  }
  for (int32_t s : plan.acquire) {
    if (Shard(s).TryAcquireOrRenew(listed(ShardLeaseName(s)))) {
      held.insert(s);
      renewed_at_[s] = now;
    } else {
      // Lost a race (a peer took the same free shard this round): another free one may be ours,
      // and waiting a retry period for it left a dead replica's shard unowned 2 s longer.
      short_ = true;
    }
  }
  SetHeld(held);
}

}  // namespace ebb::shard

// Sharding on Kubernetes itself: N controller replicas split the Autoscalers over a fixed number
// of shards, one Lease per shard ("<group>-shard-<i>") plus one membership Lease per replica
// ("<group>-member-<identity>"), all labelled ebb.dev/shard-group=<group>. Every retry period a
// replica renews its membership and its shards, lists the group's Leases, and follows
// PlanShards (shard_plan.h). An Autoscaler belongs to shard ShardOf("ns/name") (shard_hash.h).
//
// Never two writers: a shard Lease is held by one replica at a time (LeaseLock: resourceVersion
// writes, expiry by the taker's own clock). A replica stops acting on a shard BEFORE it releases
// it (on_change runs, and returns, first), and stops when it could not renew within the renew
// deadline, which is shorter than the lease duration a peer waits before taking it. A replica
// that dies is absorbed once its Leases expire: one lease duration after its last renewal, which
// a watch on the group's Leases shows as it happens (LeaseSightings; without the watch, a list
// shows it up to a retry period late).
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "controller/base/time.h"
#include "controller/kube/informer.h"
#include "controller/kube/kube_client.h"
#include "controller/kube/lease_lock.h"
#include "controller/shard/lease_sightings.h"

namespace ebb::shard {

struct ShardConfig {
  std::string ns = "default";            // where the Leases live
  std::string group = "ebb-controller";  // Lease name prefix and label value
  int32_t shards = 1;
  std::string identity;  // unique per process
  Duration lease_duration = Seconds(15);
  Duration renew_deadline = Seconds(10);
  Duration retry_period = Seconds(2);
  // Watch the group's Leases to time their changes (needs `watch` on leases; without it, or while
  // the watch is down, each round's list times them).
  bool watch_leases = true;
};

// How long the manager waits before its next round: the (jittered) retry period, or less when a
// shard lease another replica holds expires sooner by our clock, so that a dead replica's shards
// are taken at their expiry instead of up to a retry period after it.
Duration NextRoundIn(Duration retry, std::optional<std::chrono::steady_clock::time_point> expiry,
                     std::chrono::steady_clock::time_point now);

class ShardManager {
 public:
  // Called from the manager's thread whenever the set of shards this replica acts on changes;
  // when shards are given up, the manager waits for it to return before releasing them.
  using OnChange = std::function<void(const std::set<int32_t>& held)>;
  ShardManager(kube::KubeClient& client, ShardConfig config, OnChange on_change);
  ~ShardManager();
  ShardManager(const ShardManager&) = delete;
  ShardManager& operator=(const ShardManager&) = delete;

  void Start();
  // Stops; with `release`, gives every shard and the membership up at once (a clean shutdown).
  void Stop(bool release);
  // One round: renew, list, plan, release, acquire. Start() runs it every retry period.
  void Tick();

  bool Owns(std::string_view autoscaler_key) const;
  std::set<int32_t> held() const;
  int32_t shard_of(std::string_view autoscaler_key) const;

 private:
  void Run();
  void SetHeld(std::set<int32_t> held);
  kube::LeaseLock& Shard(int32_t i);
  std::string ShardLeaseName(int32_t i) const;
  std::string LeasesPath() const;

  kube::KubeClient& client_;
  ShardConfig config_;
  OnChange on_change_;
  kube::LeaseLock member_;
  std::vector<std::unique_ptr<kube::LeaseLock>> shard_locks_;
  std::map<std::string, kube::LeaseObservation> members_;  // lease name -> what we saw
  // The earliest expiry of a shard lease held by another replica, seen in the last round.
  std::optional<std::chrono::steady_clock::time_point> next_expiry_;
  // Per shard: when we last renewed it (our steady clock).
  std::map<int32_t, std::chrono::steady_clock::time_point> renewed_at_;
  bool short_ = false;  // the last round failed to take a shard its plan took: go again soon
  LeaseSightings sightings_;
  std::unique_ptr<kube::Informer> watch_;

  mutable std::mutex mu_;
  std::set<int32_t> held_;
  std::atomic<bool> stop_{false};
  std::mutex wait_mu_;
  std::condition_variable cv_;
  std::thread thread_;
};

}  // namespace ebb::shard

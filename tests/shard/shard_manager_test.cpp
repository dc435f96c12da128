// Three (then four) ShardManagers against the real API server, as three controller replicas
// would run: every shard held by exactly one, a crash absorbed within one lease duration, a
// joining replica given its share; a sampler checks all along that no shard is ever held twice.
#include "controller/shard/shard_manager.h"

#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>

#include "tests/kube/kube_support.h"

using namespace ebb;
using namespace ebb::testing;

namespace {

struct Fleet {
  kube::KubeClient client{*kube::LoadKubeconfig(TheCluster().sa_kubeconfig())};
  std::string group;
  int32_t shards;
  std::map<std::string, std::unique_ptr<shard::ShardManager>> replicas;
  std::atomic<bool> overlap{false};
  std::atomic<bool> stop{false};
  std::thread sampler;
  std::mutex mu;

  Fleet(std::string g, int32_t count) : group(std::move(g)), shards(count) {
    sampler = std::thread([this] {
      while (!stop) {
        {
          std::lock_guard lock(mu);
          std::map<int32_t, int> held;
          for (auto& [id, r] : replicas)
            for (int32_t s : r->held()) ++held[s];
          for (auto& [s, n] : held)
            if (n > 1) overlap = true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    });
  }
  ~Fleet() {
    stop = true;
    sampler.join();
    for (auto& [id, r] : replicas) r->Stop(true);
  }
  void Add(const std::string& id) {
    shard::ShardConfig c;
    c.ns = "ebb-system";
    c.group = group;
    c.shards = shards;
    c.identity = id;
    // Long enough that a lease wait (crash) and a release (clean stop) cannot be confused on a
    // loaded machine, where one round of Lease writes can take most of a second.
    c.lease_duration = Seconds(6);
    c.renew_deadline = Seconds(4);
    c.retry_period = Duration(300);
    auto r = std::make_unique<shard::ShardManager>(client, c, nullptr);
    r->Start();
    std::lock_guard lock(mu);
    replicas[id] = std::move(r);
  }
  // A crash: no release, the Leases run out.
  void Kill(const std::string& id) {
    std::unique_ptr<shard::ShardManager> r;
    {
      std::lock_guard lock(mu);
      r = std::move(replicas[id]);
      replicas.erase(id);
    }
    r->Stop(false);
  }
  // Every shard held once, and each live replica within one of its fair share.
  bool Balanced() {
    std::lock_guard lock(mu);
    std::map<int32_t, int> held;
    for (auto& [id, r] : replicas) {
      const auto n = static_cast<int32_t>(r->held().size());
      const int32_t floor = shards / static_cast<int32_t>(replicas.size());
      if (n < floor || n > floor + 1) return false;
      for (int32_t s : r->held()) ++held[s];
    }
    return static_cast<int32_t>(held.size()) == shards;
  }
};

}  // namespace

TEST_CASE(
    "sharding: 3 replicas split 8 shards, a crash is absorbed within a lease, a joiner "
    "gets its share, never two holders",
    "[shard][kube]") {
  ApplyShardingRbac();
  Fleet fleet("shard-" + std::to_string(::getpid()), 8);
  for (const char* id : {"a", "b", "c"}) fleet.Add(id);
  REQUIRE(WaitFor([&] { return fleet.Balanced(); }, Seconds(15)));
  std::this_thread::sleep_for(std::chrono::seconds(2));
  CHECK(fleet.Balanced());  // settled, not passing through

  // Every Autoscaler key is owned by exactly one replica.
  for (int i = 0; i < 200; ++i) {
    const std::string key = "ns/as-" + std::to_string(i);
    int owners = 0;
    for (auto& [id, r] : fleet.replicas) owners += r->Owns(key) ? 1 : 0;
    CHECK(owners == 1);
  }

  const auto t0 = std::chrono::steady_clock::now();
  fleet.Kill("b");
  REQUIRE(WaitFor([&] { return fleet.Balanced(); }, Seconds(15)));
  const auto absorbed = std::chrono::steady_clock::now() - t0;
  // Not before the dead replica's Leases run out (6 s), within a lease plus a few rounds.
  CHECK(absorbed >= std::chrono::milliseconds(5500));
  CHECK(absorbed <= std::chrono::milliseconds(6000 + 4000));

  fleet.Add("d");
  REQUIRE(WaitFor([&] { return fleet.Balanced(); }, Seconds(15)));
  CHECK(fleet.replicas["d"]->held().size() >= 2);

  // A clean shutdown hands over at once (Leases released, no lease wait).
  const auto t1 = std::chrono::steady_clock::now();
  {
    std::unique_ptr<shard::ShardManager> r;
    {
      std::lock_guard lock(fleet.mu);
      r = std::move(fleet.replicas["a"]);
      fleet.replicas.erase("a");
    }
    r->Stop(true);
  }
  REQUIRE(WaitFor([&] { return fleet.Balanced(); }, Seconds(10)));
  CHECK(std::chrono::steady_clock::now() - t1 < std::chrono::milliseconds(4500));
  CHECK_FALSE(fleet.overlap.load());
}

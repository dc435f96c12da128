#include "controller/shard/shard_plan.h"

#include <catch2/catch.hpp>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "controller/shard/shard_hash.h"
#include "controller/shard/shard_manager.h"

using ebb::shard::JumpHash;
using ebb::shard::PlanShards;
using ebb::shard::ShardOf;
using ebb::shard::ShardView;

TEST_CASE("shard hash: stable, in range, even, and few keys move when a shard is added",
          "[shard][unit]") {
  // Pinned values: every replica, of every version, must agree on where a key lives.
  CHECK(ebb::shard::Fnv1a64("") == 14695981039346656037ULL);
  CHECK(ebb::shard::Fnv1a64("a") == 0xaf63dc4c8601ec8cULL);
  CHECK(JumpHash(0, 1) == 0);
  const int32_t first = ShardOf("jobs/celery-worker", 8);
  CHECK(ShardOf("jobs/celery-worker", 8) == first);

  std::map<int32_t, int> counts;
  int moved = 0;
  const int keys = 20000;
  for (int i = 0; i < keys; ++i) {
    const std::string key = "ns-" + std::to_string(i % 97) + "/as-" + std::to_string(i);
    const int32_t s8 = ShardOf(key, 8), s9 = ShardOf(key, 9);
    REQUIRE(s8 >= 0);
    REQUIRE(s8 < 8);
    ++counts[s8];
    if (s8 != s9) {
      ++moved;
      CHECK(s9 == 8);  // a key only ever moves to the new shard
    }
  }
  for (const auto& [s, n] : counts) CHECK(std::abs(n - keys / 8) < keys / 8 / 10);  // within 10 %
  CHECK(std::abs(moved - keys / 9) < keys / 9 / 10);
  CHECK_THROWS(JumpHash(1, 0));
}

namespace {

// Runs every member's plan against one shared view until nothing changes, as the replicas do
// (each acting on its own turn), and returns shard -> holder.
std::vector<std::string> Settle(std::vector<std::string> holders,
                                const std::vector<std::string>& members, int* rounds) {
  for (*rounds = 0; *rounds < 50; ++*rounds) {
    bool changed = false;
    for (const auto& self : members) {
      const auto plan = PlanShards({holders, members}, self, ebb::shard::Fnv1a64(self));
      for (int32_t s : plan.release) {
        holders[static_cast<std::size_t>(s)] = "";
        changed = true;
      }
      for (int32_t s : plan.acquire) {
        REQUIRE(holders[static_cast<std::size_t>(s)].empty());  // never takes a held shard
        holders[static_cast<std::size_t>(s)] = self;
        changed = true;
      }
    }
    if (!changed) break;
  }
  return holders;
}

std::map<std::string, int> Counts(const std::vector<std::string>& holders) {
  std::map<std::string, int> c;
  for (const auto& h : holders) ++c[h];
  return c;
}

}  // namespace

TEST_CASE("shard plan: every shard held, spread within one, stable once settled", "[shard][unit]") {
  struct Case {
    const char* what;
    int shards;
    std::vector<std::string> members;
    std::vector<std::string> start;  // initial holders ("" free); empty: all free
  };
  const std::vector<Case> cases = {
      {"one replica takes every shard", 4, {"a"}, {}},
      {"three replicas start together", 12, {"a", "b", "c"}, {}},
      {"4 shards over 3 replicas: 2/1/1, not 2/2/0", 4, {"a", "b", "c"}, {"a", "a", "b", "b"}},
      {"a replica joins empty",
       12,
       {"a", "b", "c"},
       {"a", "a", "a", "a", "a", "a", "b", "b", "b", "b", "b", "b"}},
      {"a replica died: its shards are free",
       12,
       {"a", "b"},
       {"a", "a", "a", "a", "", "", "", "", "b", "b", "b", "b"}},
      {"more replicas than shards", 2, {"a", "b", "c", "d"}, {}},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    std::vector<std::string> start =
        c.start.empty() ? std::vector<std::string>(static_cast<std::size_t>(c.shards)) : c.start;
    int rounds = 0;
    const auto settled = Settle(start, c.members, &rounds);
    CHECK(rounds < 50);
    for (const auto& h : settled) CHECK_FALSE(h.empty());
    const auto counts = Counts(settled);
    const int floor = c.shards / static_cast<int>(c.members.size());
    for (const auto& m : c.members) {
      const int n = counts.count(m) ? counts.at(m) : 0;
      CHECK(n >= floor);
      CHECK(n <= floor + 1);
    }
    // Settled means every plan is empty.
    for (const auto& m : c.members) {
      const auto plan = PlanShards({settled, c.members}, m, ebb::shard::Fnv1a64(m));
      CHECK(plan.release.empty());
      CHECK(plan.acquire.empty());
    }
  }
}

TEST_CASE("shard plan: a holder not seen as a member still holds (until its lease expires)",
          "[shard][unit]") {
  // "z" holds shard 0 but its membership Lease is gone: shard 0 is not free to take yet.
  const auto plan = PlanShards({{"z", "", "", ""}, {"a"}}, "a", 0);
  CHECK(std::set<int32_t>(plan.acquire.begin(), plan.acquire.end()) == std::set<int32_t>{1, 2, 3});
}

TEST_CASE("next round: at a peer's lease expiry when it comes before the retry period",
          "[shard][unit]") {
  using ebb::Duration;
  using ebb::shard::NextRoundIn;
  const auto now = std::chrono::steady_clock::now();
  const Duration retry{2200};
  struct Row {
    const char* name;
    std::optional<std::chrono::milliseconds> expiry_in;
    Duration want;
  };
  const std::vector<Row> rows = {
      {"no lease held by another replica", std::nullopt, retry},
      {"a live peer's lease, far off", std::chrono::milliseconds(13000), retry},
      {"expiring within the retry period: just past it", std::chrono::milliseconds(700),
       Duration(720)},
      {"already expired by our clock: at once", std::chrono::milliseconds(-300), Duration(20)},
  };
  for (const Row& row : rows) {
    SECTION(row.name) {
      std::optional<std::chrono::steady_clock::time_point> expiry;
      if (row.expiry_in) expiry = now + *row.expiry_in;
      CHECK(NextRoundIn(retry, expiry, now) == row.want);
    }
  }
}

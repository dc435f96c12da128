#include "controller/shard/shard_plan.h"

#include <algorithm>
#include <set>

namespace ebb::shard {

ShardPlan PlanShards(const ShardView& view, const std::string& self, uint64_t offset) {
  ShardPlan plan;
  const auto shards = static_cast<int32_t>(view.holders.size());
  std::set<std::string> members(view.members.begin(), view.members.end());
  members.insert(self);
  const auto m = static_cast<int32_t>(members.size());
  if (shards == 0) return plan;
  const int32_t fair_floor = shards / m;
  const int32_t fair_ceiling = fair_floor + (shards % m != 0 ? 1 : 0);

  std::map<std::string, int32_t> held;
  for (const auto& member : members) held[member] = 0;
  std::vector<int32_t> mine, free;
  for (int32_t s = 0; s < shards; ++s) {
    const std::string& h = view.holders[static_cast<std::size_t>(s)];
    if (h.empty()) {
      free.push_back(s);
    } else {
      ++held[h];  // a holder that is not (or no longer) a listed member still counts as holding
      if (h == self) mine.push_back(s);
    }
  }
  bool other_below_floor = false;
  for (const auto& member : members)
    if (member != self && held[member] < fair_floor) other_below_floor = true;

  const int32_t keep = other_below_floor ? fair_floor : fair_ceiling;
  const auto have = static_cast<int32_t>(mine.size());
  if (have > keep) {
    // Give up the highest-numbered ones: a stable choice, so repeated plans agree.
    for (int32_t i = have - 1; i >= keep; --i)
      plan.release.push_back(mine[static_cast<std::size_t>(i)]);
  } else if (have < keep && !free.empty()) {
    const auto start = static_cast<std::size_t>(offset % free.size());
    std::rotate(free.begin(), free.begin() + static_cast<std::ptrdiff_t>(start), free.end());
    plan.acquire = free;
    plan.acquire.resize(std::min(free.size(), static_cast<std::size_t>(keep - have)));
  }
  return plan;
}

}  // namespace ebb::shard

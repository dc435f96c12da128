// The pure half of sharding: given what one replica sees (who holds each shard, which replicas
// are alive), which shards it should give up and which it should try to take. Every replica runs
// the same rule on its own view, and the views converge within one list period, so the shards
// spread evenly with no coordinator:
//   f = shards / members, c = ceil(shards / members)
//   - hold at most c; hold at most f while another live member holds fewer than f;
//   - take free shards up to c, but only up to f while another member is below f.
// E.g. 4 shards over 3 replicas settle at 2/1/1, and a replica that joins empty takes shards
// the others release.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ebb::shard {

struct ShardView {
  // Per shard: the live holder's identity, or "" when free (no holder, or expired by our clock).
  std::vector<std::string> holders;
  // Every live member (self included), whether or not it holds a shard.
  std::vector<std::string> members;
};

struct ShardPlan {
  std::vector<int32_t> release;  // held by us, to give up
  std::vector<int32_t> acquire;  // free, to try to take (in this order)
};

// `offset` rotates the order in which free shards are tried, so replicas starting together do
// not all race for shard 0 (use a hash of the identity).
ShardPlan PlanShards(const ShardView& view, const std::string& self, uint64_t offset);

}  // namespace ebb::shard

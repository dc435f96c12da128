// Which shard an Autoscaler belongs to. Jump consistent hashing (Lamping & Veach, 2014) over a
// 64-bit FNV-1a of "namespace/name": every replica computes the same answer with no shared state,
// and changing the shard count from N to N+1 moves only 1/(N+1) of the keys.
#pragma once

#include <cstdint>
#include <string_view>

#include "controller/base/hash.h"

namespace ebb::shard {

using ebb::Fnv1a64;

// In [0, shards); shards must be >= 1.
int32_t JumpHash(uint64_t key, int32_t shards);

inline int32_t ShardOf(std::string_view key, int32_t shards) {
  return JumpHash(Fnv1a64(key), shards);
}

}  // namespace ebb::shard

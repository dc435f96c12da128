#include "controller/shard/shard_hash.h"

#include <stdexcept>

namespace ebb::shard {

int32_t JumpHash(uint64_t key, int32_t shards) {
  if (shards < 1) throw std::invalid_argument("JumpHash: shards must be >= 1");
  int64_t b = -1, j = 0;
  while (j < shards) {
    b = j;
    key = key * 2862933555777941757ULL + 1;
    j = static_cast<int64_t>(static_cast<double>(b + 1) * (static_cast<double>(1LL << 31) /
                                                           static_cast<double>((key >> 33) + 1)));
  }
  return static_cast<int32_t>(b);
}

}  // namespace ebb::shard

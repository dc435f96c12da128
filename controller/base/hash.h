// 64-bit FNV-1a: a fast hash of text that is the same in every process, build and replica, for
// shard placement (shard_hash.h) and change detection (the live engine's fingerprints and status
// digest). Not for anything an adversary may choose to collide.
#pragma once

#include <cstdint>
#include <string_view>

namespace ebb {

inline constexpr uint64_t kFnv1a64Offset = 14695981039346656037ULL;

// `h` continues a hash over several pieces: Fnv1a64(b, Fnv1a64(a)) == Fnv1a64(a + b).
inline uint64_t Fnv1a64(std::string_view text, uint64_t h = kFnv1a64Offset) {
  for (const char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return h;
}

}  // namespace ebb

// Redis Cluster: the `cluster:` block of a Redis metric (seed nodes instead of one address), the
// key -> slot -> master routing, and the redirects (MOVED, ASK) a cluster answers with. The pool
// (RedisPool::Execute) sends a cluster endpoint's commands through ClusterRoute: every command to
// the master serving its key's slot, one pipeline per master, replies back in the caller's order.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controller/base/result.h"
#include "scalers/config_util.h"
#include "scalers/sentinel.h"  // HostPort, ParseHostPort

namespace ebb::scalers {

struct RedisReply;

struct ClusterConfig {
  std::vector<HostPort> seeds;  // `addresses`: asked in order for the slot map
  bool enabled() const { return !seeds.empty(); }
  // Identity for pooled state (the seeds; the credentials are in RedisEndpoint::Key()).
  std::string Key() const;
  std::string Describe() const;  // "h1:7000,h2:7000"
};

inline constexpr int kClusterSlots = 16384;

// Reads `cluster:` of `r` (if present) into `out`, recording problems with field paths.
void ParseClusterBlock(ConfigReader& r, ClusterConfig* out);

// The slot of a key: CRC16 (XMODEM) of the key, or of its hash tag -- the part between the first
// `{` and the next `}` when that part is not empty -- modulo 16384, as the cluster computes it.
uint16_t KeySlot(std::string_view key);

// Which master serves each slot, from CLUSTER SLOTS.
struct SlotMap {
  static constexpr uint16_t kNone = 0xFFFF;
  std::vector<HostPort> masters;
  std::array<uint16_t, kClusterSlots> owner{};  // index into masters, or kNone

  SlotMap() { owner.fill(kNone); }
  // The master's index, adding it when new.
  uint16_t IndexOf(const HostPort& node);
  const HostPort* OwnerOf(uint16_t slot) const;
};

// CLUSTER SLOTS' reply -> a map. `asked` stands in for a master announced without an address
// (an empty IP means "the node you asked"). kParse when the reply is not the documented shape.
Result<SlotMap> ParseClusterSlots(const RedisReply& reply, const HostPort& asked);

// A MOVED or ASK error reply: "MOVED 3999 127.0.0.1:6381".
struct Redirect {
  bool ask = false;
  uint16_t slot = 0;
  HostPort to;
};
std::optional<Redirect> ParseRedirect(const RedisReply& reply);

}  // namespace ebb::scalers

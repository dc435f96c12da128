// When each Lease record was first seen, as a watch delivers them. A peer's Lease expires a lease
// duration after we saw its last change (client-go's rule, by our own clock); seen on a list each
// retry period, that change is noticed up to a retry period late and the peer's death absorbed
// that much later. Seen on a watch, it is noticed within milliseconds of the write. The time is
// never earlier than the write itself, so the rule's safety (the holder stops at its renew
// deadline, before any peer may take over) is unchanged.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "controller/kube/lease_lock.h"

namespace ebb::shard {

class LeaseSightings {
 public:
  using Time = std::chrono::steady_clock::time_point;

  // A watch event: `lease` (nullptr: deleted) arrived at `at`. A record already seen keeps the
  // time it was first seen (a re-list delivers every object again).
  void Saw(const std::string& name, const nlohmann::json* lease, Time at);
  // When `lease`'s record (kube::LeaseRecord) was first seen, if the watch saw it before `now`;
  // `now` otherwise (never seen, or a newer record than the watch has delivered).
  Time SeenAt(const std::string& name, const nlohmann::json& lease, Time now) const;

 private:
  struct Sighting {
    std::string record;
    Time at;
  };
  mutable std::mutex mu_;
  std::map<std::string, Sighting> seen_;
};

}  // namespace ebb::shard

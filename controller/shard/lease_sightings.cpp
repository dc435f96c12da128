#include "controller/shard/lease_sightings.h"

#include <algorithm>

namespace ebb::shard {

void LeaseSightings::Saw(const std::string& name, const nlohmann::json* lease, Time at) {
  std::lock_guard lock(mu_);
  if (!lease) {
    seen_.erase(name);
    return;
  }
  std::string record = kube::LeaseRecord(*lease);
  auto it = seen_.find(name);
  if (it != seen_.end() && it->second.record == record) return;
  seen_[name] = Sighting{std::move(record), at};
}

LeaseSightings::Time LeaseSightings::SeenAt(const std::string& name, const nlohmann::json& lease,
                                            Time now) const {
  std::lock_guard lock(mu_);
  const auto it = seen_.find(name);
  if (it == seen_.end() || it->second.record != kube::LeaseRecord(lease)) return now;
  return std::min(it->second.at, now);
}

}  // namespace ebb::shard

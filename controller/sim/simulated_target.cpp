#include "controller/sim/simulated_target.h"

#include <algorithm>
#include <string>

namespace ebb::sim {

SimulatedTarget::SimulatedTarget(int32_t initial_replicas, Duration startup_delay, Timestamp start)
    : startup_delay_(startup_delay) {
  const Timestamp long_ago = start - Seconds(3600) - startup_delay;
  for (int32_t i = 0; i < std::max(initial_replicas, 0); ++i) {
    pods_.push_back({next_id_++, long_ago, long_ago + startup_delay});
  }
}

Result<runtime::ScaleInfo> SimulatedTarget::GetScale(Timestamp now) {
  runtime::ScaleInfo info;
  info.spec_replicas = replicas();
  info.status_replicas = replicas();
  info.ready_replicas = ReadyAt(now);
  return info;
}

Result<void> SimulatedTarget::SetReplicas(int32_t replicas, Timestamp now) {
  if (replicas < 0 || replicas > kMaxReplicas) {
    return MakeError(ErrorCode::kInvalidValue,
                     "replicas " + std::to_string(replicas) + " out of range");
  }
  const auto n = static_cast<size_t>(replicas);
  if (n < pods_.size()) pods_.resize(n);
  while (pods_.size() < n) pods_.push_back({next_id_++, now, now + startup_delay_});
  return {};
}

int32_t SimulatedTarget::ReadyAt(Timestamp t) const {
  // ready_at never decreases along the vector, so the ready pods are a prefix.
  const auto it = std::upper_bound(pods_.begin(), pods_.end(), t,
                                   [](Timestamp v, const SimPod& p) { return v < p.ready_at; });
  return static_cast<int32_t>(it - pods_.begin());
}

std::optional<Timestamp> SimulatedTarget::NextReadyAfter(Timestamp t) const {
  const auto it = std::upper_bound(pods_.begin(), pods_.end(), t,
                                   [](Timestamp v, const SimPod& p) { return v < p.ready_at; });
  if (it == pods_.end()) return std::nullopt;
  return it->ready_at;
}

}  // namespace ebb::sim

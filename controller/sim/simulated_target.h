// The workload's scale subresource in memory. New replicas become ready after a start-up delay;
// scale-down removes pods at once, newest first, which is also not-ready first as a ReplicaSet
// does (every pod takes the same delay, so the newest are the ones still starting).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "controller/runtime/reconciler.h"

namespace ebb::sim {

struct SimPod {
  uint64_t id = 0;
  Timestamp created{};
  Timestamp ready_at{};
};

class SimulatedTarget final : public runtime::ScaleTarget {
 public:
  // The initial replicas have been ready for long before `start`.
  SimulatedTarget(int32_t initial_replicas, Duration startup_delay, Timestamp start);

  Result<runtime::ScaleInfo> GetScale(Timestamp now) override;
  Result<void> SetReplicas(int32_t replicas, Timestamp now) override;

  int32_t replicas() const { return static_cast<int32_t>(pods_.size()); }
  int32_t ReadyAt(Timestamp t) const;
  // The first time after `t` at which a pod becomes ready, if any.
  std::optional<Timestamp> NextReadyAfter(Timestamp t) const;
  const std::vector<SimPod>& pods() const { return pods_; }

  static constexpr int32_t kMaxReplicas = 1'000'000;

 private:
  Duration startup_delay_;
  std::vector<SimPod> pods_;  // oldest first
  uint64_t next_id_ = 0;
};

}  // namespace ebb::sim

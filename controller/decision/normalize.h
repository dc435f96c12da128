// From a raw proposal to the desired count (upstream normalizeDesiredReplicas*): the
// stabilization window over the recommendation log, then rate policies over the scale-event log,
// then the [min, max] clamp -- or the legacy path when spec.behavior is not set.
#pragma once

#include "controller/decision/types.h"

namespace ebb::decision {

struct NormalizeInput {
  int32_t current = 0;
  int32_t proposal = 0;
  int32_t min_replicas = 0;
  int32_t max_replicas = 0;
};

struct NormalizeResult {
  int32_t desired = 0;
  int32_t stabilized = 0;
  StabilizationReason stabilization = StabilizationReason::kReadyForNewScale;
  Reason limit = Reason::kDesiredWithinRange;
};

// Legacy path (no spec.behavior): max over the log within the downscale window (inclusive),
// then the 2x/+4 per-sync cap and the [min, max] clamp. Logs the raw proposal.
NormalizeResult NormalizeLegacy(const NormalizeInput& in, const Settings& settings,
                                DecisionState& state, Timestamp now);

// Behavior path: the up/down envelope over the log (strict windows), then the rate policies.
NormalizeResult NormalizeWithBehavior(const NormalizeInput& in, const Behavior& behavior,
                                      const Settings& settings, DecisionState& state,
                                      Timestamp now);

// The raw rate limits (exposed for table tests): upstream calculateScaleUpLimitWithScalingRules
// and calculateScaleDownLimitWithBehaviors.
int32_t ScaleUpLimit(int32_t current, const DecisionState& state, const ScalingRules& rules,
                     Timestamp now);
int32_t ScaleDownLimit(int32_t current, const DecisionState& state, const ScalingRules& rules,
                       Timestamp now);

// upstream storeScaleEvent.
void StoreScaleEvent(const Behavior& behavior, DecisionState& state, int32_t from, int32_t to,
                     Timestamp now);

}  // namespace ebb::decision

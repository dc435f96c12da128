#include "controller/decision/normalize.h"

#include <algorithm>
#include <limits>

#include "controller/decision/arithmetic.h"

namespace ebb::decision {
namespace {

// Writes the raw proposal over the last entry that is old for every window, else appends, as
// upstream does; the log therefore stays bounded by the longest window over the tick.
void LogRecommendation(DecisionState& state, int32_t proposal, Timestamp now, int old_index) {
  if (old_index >= 0) {
    state.recommendations[static_cast<size_t>(old_index)] = {now, proposal};
  } else {
    state.recommendations.push_back({now, proposal});
  }
}

int32_t ChangeInPeriod(const std::vector<ScaleEvent>& events, int32_t period_seconds,
                       Timestamp now) {
  const Timestamp cutoff = now - Seconds(period_seconds);
  int32_t sum = 0;
  for (const ScaleEvent& e : events) {
    if (e.at > cutoff) sum = SaturatingAdd32(sum, e.change);
  }
  return sum;
}

int32_t PeriodStart(int32_t current, const DecisionState& state, int32_t period, Timestamp now) {
  const int64_t start = static_cast<int64_t>(current) -
                        ChangeInPeriod(state.scale_up_events, period, now) +
                        ChangeInPeriod(state.scale_down_events, period, now);
  return static_cast<int32_t>(std::clamp<int64_t>(start, std::numeric_limits<int32_t>::min(),
                                                  std::numeric_limits<int32_t>::max()));
}

int32_t LongestPeriod(const ScalingRules& rules) {
  int32_t longest = 0;
  for (const ScalingPolicy& p : rules.policies) longest = std::max(longest, p.period_seconds);
  return longest;
}

void StoreEvent(std::vector<ScaleEvent>& events, int32_t longest_period, int32_t change,
                Timestamp now) {
  const Timestamp cutoff = now - Seconds(longest_period);
  for (ScaleEvent& e : events) {
    if (e.at < cutoff) e.outdated = true;
  }
  for (ScaleEvent& e : events) {
    if (e.outdated) {
      e = {now, change, false};
      return;
    }
  }
  events.push_back({now, change, false});
}

}  // namespace

NormalizeResult NormalizeLegacy(const NormalizeInput& in, const Settings& settings,
                                DecisionState& state, Timestamp now) {
  NormalizeResult r;
  // Stabilisation: scale-down only to the highest proposal within the window (inclusive).
  const Timestamp cutoff = now - Seconds(settings.downscale_stabilization_seconds);
  int32_t stabilized = in.proposal;
  int old_index = -1;
  for (size_t i = 0; i < state.recommendations.size(); ++i) {
    const Recommendation& rec = state.recommendations[i];
    if (rec.at < cutoff) {
      old_index = static_cast<int>(i);
    } else if (rec.replicas > stabilized) {
      stabilized = rec.replicas;
    }
  }
  LogRecommendation(state, in.proposal, now, old_index);
  r.stabilized = stabilized;
  r.stabilization = stabilized != in.proposal ? StabilizationReason::kScaleDownStabilized
                                              : StabilizationReason::kReadyForNewScale;

  // The per-sync cap guards against bogus usage reports (upstream issue #32304).
  const int32_t up_limit =
      TruncToInt32(std::max(settings.legacy_scale_up_factor * static_cast<double>(in.current),
                            settings.legacy_scale_up_minimum));
  int32_t maximum = in.max_replicas;
  Reason ceiling_reason = Reason::kTooManyReplicas;
  if (in.max_replicas > up_limit) {
    maximum = up_limit;
    ceiling_reason = Reason::kScaleUpLimit;
  }
  if (stabilized < in.min_replicas) {
    r.desired = in.min_replicas;
    r.limit = Reason::kTooFewReplicas;
  } else if (stabilized > maximum) {
    r.desired = maximum;
    r.limit = ceiling_reason;
  } else {
    r.desired = stabilized;
    r.limit = Reason::kDesiredWithinRange;
  }
  return r;
}

int32_t ScaleUpLimit(int32_t current, const DecisionState& state, const ScalingRules& rules,
                     Timestamp now) {
  if (rules.select_policy == SelectPolicy::kDisabled) return current;
  const bool min_change = rules.select_policy == SelectPolicy::kMin;
  int32_t result =
      min_change ? std::numeric_limits<int32_t>::max() : std::numeric_limits<int32_t>::min();
  for (const ScalingPolicy& p : rules.policies) {
    const int32_t start = PeriodStart(current, state, p.period_seconds, now);
    const int32_t proposed =
        p.type == PolicyType::kPods
            ? SaturatingAdd32(start, p.value)
            // Rounded up so that a small count can still grow.
            : CeilToInt32(static_cast<double>(start) * (1 + static_cast<double>(p.value) / 100));
    result = min_change ? std::min(result, proposed) : std::max(result, proposed);
  }
  return result;
}

int32_t ScaleDownLimit(int32_t current, const DecisionState& state, const ScalingRules& rules,
                       Timestamp now) {
  if (rules.select_policy == SelectPolicy::kDisabled) return current;
  const bool min_change = rules.select_policy == SelectPolicy::kMin;
  int32_t result =
      min_change ? std::numeric_limits<int32_t>::min() : std::numeric_limits<int32_t>::max();
  for (const ScalingPolicy& p : rules.policies) {
    const int32_t start = PeriodStart(current, state, p.period_seconds, now);
    const int32_t proposed =
        p.type == PolicyType::kPods
            ? SaturatingAdd32(start, -p.value)
            : TruncToInt32(static_cast<double>(start) * (1 - static_cast<double>(p.value) / 100));
    result = min_change ? std::max(result, proposed) : std::min(result, proposed);
  }
  return result;
}

NormalizeResult NormalizeWithBehavior(const NormalizeInput& in, const Behavior& behavior,
                                      const Settings& settings, DecisionState& state,
                                      Timestamp now) {
  NormalizeResult r;
  const int64_t up_window = behavior.scale_up.stabilization_window_seconds.value_or(0);
  const int64_t down_window = behavior.scale_down.stabilization_window_seconds.value_or(
      settings.downscale_stabilization_seconds);
  const Timestamp up_cutoff = now - Seconds(up_window);
  const Timestamp down_cutoff = now - Seconds(down_window);
  int32_t up_floor = in.proposal;
  int32_t down_ceiling = in.proposal;
  int old_index = -1;
  for (size_t i = 0; i < state.recommendations.size(); ++i) {
    const Recommendation& rec = state.recommendations[i];
    if (rec.at > up_cutoff) up_floor = std::min(up_floor, rec.replicas);
    if (rec.at > down_cutoff) down_ceiling = std::max(down_ceiling, rec.replicas);
    if (rec.at < up_cutoff && rec.at < down_cutoff) old_index = static_cast<int>(i);
  }
  // The envelope is applied to the current count: never move against the newest proposal.
  int32_t stabilized = in.current;
  if (stabilized < up_floor) stabilized = up_floor;
  if (stabilized > down_ceiling) stabilized = down_ceiling;
  LogRecommendation(state, in.proposal, now, old_index);
  r.stabilized = stabilized;
  if (stabilized != in.proposal) {
    r.stabilization = in.proposal >= in.current ? StabilizationReason::kScaleUpStabilized
                                                : StabilizationReason::kScaleDownStabilized;
  }

  r.desired = stabilized;
  r.limit = Reason::kDesiredWithinRange;
  if (stabilized > in.current) {
    int32_t limit = ScaleUpLimit(in.current, state, behavior.scale_up, now);
    if (limit < in.current) limit = in.current;  // budget used up: hold until events age out
    int32_t maximum = in.max_replicas;
    Reason reason = Reason::kTooManyReplicas;
    if (maximum > limit) {
      maximum = limit;
      reason = Reason::kScaleUpLimit;
    }
    if (stabilized > maximum) {
      r.desired = maximum;
      r.limit = reason;
    }
  } else if (stabilized < in.current) {
    int32_t limit = ScaleDownLimit(in.current, state, behavior.scale_down, now);
    if (limit > in.current) limit = in.current;
    int32_t minimum = in.min_replicas;
    Reason reason = Reason::kTooFewReplicas;
    if (minimum < limit) {
      minimum = limit;
      reason = Reason::kScaleDownLimit;
    }
    if (stabilized < minimum) {
      r.desired = minimum;
      r.limit = reason;
    }
  }
  return r;
}

void StoreScaleEvent(const Behavior& behavior, DecisionState& state, int32_t from, int32_t to,
                     Timestamp now) {
  if (to > from) {
    StoreEvent(state.scale_up_events, LongestPeriod(behavior.scale_up), to - from, now);
  } else {
    StoreEvent(state.scale_down_events, LongestPeriod(behavior.scale_down), from - to, now);
  }
}

}  // namespace ebb::decision

// The Autoscaler's status as ebb writes it, and the rules that keep status writes to changes
// only: metav1.Condition times move only when a condition flips, and the decision state is
// re-persisted only when what a restart needs from it changes (see PersistKey).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "controller/api/autoscaler.h"
#include "controller/base/time.h"
#include "controller/decision/explain.h"
#include "controller/decision/types.h"

namespace ebb::live {

// metav1.Condition list: lastTransitionTime is carried over from `previous` (the status as
// stored) for a condition whose status did not change.
nlohmann::json ConditionsJson(const std::vector<decision::Condition>& conditions,
                              const nlohmann::json& previous, int64_t generation, Timestamp now);

// What a restart needs from the decision state, without the churn of a recommendation added
// every poll: the distinct recommended values inside the longest stabilization window, the
// newest value, scale events, failure counters, whether it was active now, the last scale.
// Equal keys mean the stored state is still good enough to restore (see RefreshRestoredState).
// Failure counters count only up to `failures_that_matter` (FailuresThatMatter): past it a
// restart decides the same, and a metric that fails every poll would otherwise rewrite status
// at every reconcile.
std::string PersistKey(const decision::DecisionState& state, Timestamp now, int64_t window_s,
                       int32_t failures_that_matter = INT32_MAX);

// The highest failure count a decision distinguishes: fallback starts above failureThreshold;
// without fallback only "failing or not" matters (the Ready/ScalingActive conditions).
int32_t FailuresThatMatter(const decision::Spec& spec);

// After restoring the stored state at `now`: the newest stored recommendation was, by the
// PersistKey rule, still being made until the writer stopped, so it is dated `now`; likewise the
// last activity when the stored Active condition was True. Never earlier than the truth: a
// stabilization window or cooldown can only be honoured longer, never cut short.
// Times after `now` (written by a clock that was ahead: before a step back, or another replica's)
// are brought back to `now`, or they would hold windows open for as long as that clock was ahead.
void RefreshRestoredState(decision::DecisionState& state, bool was_active, Timestamp now);

// Moves every time in the state by `by`: a wall-clock step seen against the monotonic clock, so
// that windows, rate-limit periods and cooldowns keep their real lengths across it.
void ShiftStateTimes(decision::DecisionState& state, Duration by);

// The longest stabilization window of a spec (legacy specs: the controller setting).
int64_t LongestWindowSeconds(const decision::Spec& spec, const decision::Settings& settings);

// `status.reference` for the REFERENCE column, as `kubectl get hpa` prints it: "Deployment/web".
std::string ReferenceText(const api::ScaleTargetRef& target);

// `status.targets` for the TARGETS column: every metric as "name: current/target", with "%" for
// utilization, "(avg)" for per-pod averages of Object/External/Prometheus/Redis values and
// "<unknown>" for a metric without a reading, like kubectl's HPA column but naming each metric
// (an Autoscaler often has several of one type). Empty when no metric was evaluated.
std::string TargetsText(const decision::Spec& spec, const decision::Decision& d);

// A merge patch turning `old_status` into `new_status` (removed keys become null).
nlohmann::json StatusPatch(const nlohmann::json& old_status, const nlohmann::json& new_status);

}  // namespace ebb::live

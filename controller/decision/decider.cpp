#include "controller/decision/decider.h"

#include <algorithm>

#include "controller/decision/arithmetic.h"
#include "controller/decision/forecast.h"
#include "controller/decision/normalize.h"
#include "controller/decision/replica_calculator.h"
#include "controller/decision/schedule.h"

namespace ebb::decision {
namespace {

Tolerances TolerancesFor(const Spec& spec, const Settings& settings) {
  Tolerances t{settings.tolerance, settings.tolerance};
  // Per-direction tolerances are honoured only with spec.behavior, as upstream.
  if (spec.behavior) {
    if (spec.behavior->scale_down.tolerance) t.scale_down = *spec.behavior->scale_down.tolerance;
    if (spec.behavior->scale_up.tolerance) t.scale_up = *spec.behavior->scale_up.tolerance;
  }
  return t;
}

int32_t FallbackReplicas(const Fallback& f, int32_t current) {
  switch (f.behavior) {
    case FallbackBehavior::kStatic:
      return f.replicas;
    case FallbackBehavior::kCurrentReplicas:
      return current;
    case FallbackBehavior::kCurrentReplicasIfHigher:
      return std::max(current, f.replicas);
    case FallbackBehavior::kCurrentReplicasIfLower:
      return std::min(current, f.replicas);
  }
  return f.replicas;
}

bool IsPerPodResource(SourceType t) {
  return t == SourceType::kResource || t == SourceType::kContainerResource;
}

// predictive: record the reading and raise the metric's proposal to what the forecast needs. A
// forecast only adds (max with the reactive proposal), so it never scales down on its own, and
// a forecast above the activation threshold counts as activity (the pool starts before the load).
void ApplyForecast(const MetricSpec& spec, int64_t total_milli, MetricHistory& history,
                   Timestamp now, MetricResult& m) {
  const PredictiveSettings& p = *spec.predictive;
  // Only totals the pool shares (AverageValue of a value metric) can be divided by a per-replica
  // target; validation refuses the rest, this keeps a hand-built Spec harmless.
  if (spec.target.type != TargetType::kAverageValue || spec.target.average_value_milli <= 0 ||
      IsPerPodResource(spec.type) || spec.type == SourceType::kPods) {
    return;
  }
  // The total as read (an AverageValue result reports the per-replica average instead).
  RecordSample(history, p, now, total_milli);
  const auto f = ForecastValue(history, p, now, total_milli);
  if (!f) return;
  m.forecast_milli = *f;
  m.forecast_proposal =
      CeilToInt32(static_cast<double>(*f) / static_cast<double>(spec.target.average_value_milli));
  if (m.forecast_proposal > m.proposal) {
    m.proposal = m.forecast_proposal;
    m.forecast_raised = true;
  }
  if (*f > spec.activation_threshold_milli) m.active = true;
}

void Finish(Decision& out, int32_t desired, Reason reason) {
  out.desired_replicas = desired;
  out.reason = reason;
  out.scale = desired != out.current_replicas;
}

// Evaluates every metric into out.metrics and updates the consecutive-failure counters.
void EvaluateMetrics(const Spec& spec, const Settings& settings, const Observation& obs,
                     DecisionState& state, Timestamp now, Decision& out) {
  const size_t n = spec.metrics.size();
  out.metrics.resize(n);
  state.consecutive_failures.resize(n, 0);
  bool predictive = false;
  for (const MetricSpec& m : spec.metrics) predictive = predictive || m.predictive.has_value();
  if (predictive) state.histories.resize(n);
  MetricInputs in;
  in.current_replicas = obs.spec_replicas;
  in.status_replicas = obs.status_replicas;
  in.tolerances = TolerancesFor(spec, settings);
  in.settings = &settings;
  in.now = now;
  static const MetricReading kNoReading{false, "no reading for this metric", 0, {}, {}, {}};
  for (size_t i = 0; i < n; ++i) {
    const MetricReading& reading = i < obs.readings.size() ? obs.readings[i] : kNoReading;
    MetricResult& m = out.metrics[i];
    CalculateMetric(spec.metrics[i], reading, obs, in, m);
    int32_t& failures = state.consecutive_failures[i];
    m.forecast_milli = -1;
    m.forecast_proposal = -1;
    m.forecast_raised = false;
    if (m.status == MetricStatus::kOk) {
      failures = 0;
      // cpu/memory are never idle while pods run (KEDA); at zero replicas their leftover samples
      // say nothing about demand.
      if (IsPerPodResource(spec.metrics[i].type)) m.active = obs.spec_replicas > 0;
      if (spec.metrics[i].predictive) {
        ApplyForecast(spec.metrics[i], reading.value_milli, state.histories[i], now, m);
      }
      continue;
    }
    if (failures < INT32_MAX) ++failures;
    // KEDA: fallback once the counter is strictly above the threshold.
    if (spec.fallback && failures > spec.fallback->failure_threshold) {
      m.status = MetricStatus::kFallback;
      m.proposal = FallbackReplicas(*spec.fallback, obs.spec_replicas);
      m.active = true;
      out.fallback = true;
    }
  }
}

// upstream computeReplicasForMetrics: the maximum valid proposal; no action when every metric
// failed, and no scale-down on partial data. Returns false when no decision can be made.
bool CombineProposals(const Decision& in, int32_t current, int32_t* replicas, int32_t* winner,
                      int32_t* invalid, int32_t* first_invalid) {
  *replicas = 0;
  *winner = -1;
  *invalid = 0;
  *first_invalid = -1;
  const auto n = static_cast<int32_t>(in.metrics.size());
  for (int32_t i = 0; i < n; ++i) {
    const MetricResult& m = in.metrics[static_cast<size_t>(i)];
    if (m.status == MetricStatus::kFailed) {
      if (*invalid == 0) *first_invalid = i;
      ++*invalid;
      continue;
    }
    if (*replicas == 0 || m.proposal > *replicas) {
      *replicas = m.proposal;
      *winner = i;
    }
  }
  return !(*invalid >= n || (*invalid > 0 && *replicas < current));
}

}  // namespace

void Decide(const Spec& spec, const Settings& settings, const Observation& obs,
            DecisionState& state, Timestamp now, Decision& out) {
  const int32_t current = obs.spec_replicas;
  out.current_replicas = current;
  out.proposal = -1;
  out.stabilized = -1;
  out.winning_metric = -1;
  out.stabilization = StabilizationReason::kReadyForNewScale;
  out.scaling_limited = false;
  out.scaling_active = true;
  out.able_to_scale = true;
  out.invalid_metrics = 0;
  out.first_failed_metric = -1;
  out.active = true;
  out.fallback = false;
  out.paused = false;
  out.schedule = -1;
  out.schedule_floor = -1;

  // Pause wins over everything: keep the count, or hold the requested one.
  if (spec.paused_replicas || spec.paused) {
    out.metrics.clear();
    out.paused = true;
    if (spec.paused_replicas) return Finish(out, *spec.paused_replicas, Reason::kPausedReplicas);
    return Finish(out, current, Reason::kPaused);
  }

  // A fresh log is seeded with the current count (upstream #68831): no scale-down for one
  // window after a restart unless the state was persisted.
  if (!state.has_recommendations) {
    state.has_recommendations = true;
    state.recommendations.assign(1, {now, current});
  }

  // Scale to zero (KEDA's 0<->1) and idleReplicas are decided here together with 1<->N, so the
  // two never fight: the metric pipeline below never goes under `floor`.
  const bool to_zero = spec.min_replicas == 0 || spec.idle_replicas.has_value();
  const int32_t inactive_level = spec.idle_replicas.value_or(0);
  const int32_t spec_floor = to_zero ? std::max(spec.min_replicas, 1) : spec.min_replicas;
  // An open schedule window raises the floor (never above maxReplicas); like KEDA's cron scaler
  // it also counts as activity, so the pool neither idles nor goes to zero inside it.
  if (!spec.schedules.empty()) {
    const ScheduleFloor sf = OpenScheduleFloor(spec.schedules, now);
    out.schedule = sf.index;
    out.schedule_floor = sf.replicas;
  }
  const bool schedule_raises = out.schedule_floor > spec_floor;
  const int32_t floor =
      schedule_raises ? std::min(out.schedule_floor, spec.max_replicas) : spec_floor;
  const Reason below_floor = schedule_raises ? Reason::kScheduleFloor : Reason::kBelowMinReplicas;

  if (current == 0 && !to_zero) {
    // upstream: replicas == 0 with minReplicas != 0 means autoscaling is disabled.
    out.metrics.clear();
    out.scaling_active = false;
    return Finish(out, 0, Reason::kScalingDisabled);
  }
  // upstream's shortcuts: outside [min, max] is corrected before any metric is read.
  if (current > spec.max_replicas) {
    out.metrics.clear();
    return Finish(out, spec.max_replicas, Reason::kAboveMaxReplicas);
  }
  if (!to_zero && current < spec.min_replicas) {
    out.metrics.clear();
    return Finish(out, spec.min_replicas, Reason::kBelowMinReplicas);
  }

  EvaluateMetrics(spec, settings, obs, state, now, out);
  int32_t proposal = 0;
  const bool combined = CombineProposals(out, current, &proposal, &out.winning_metric,
                                         &out.invalid_metrics, &out.first_failed_metric);

  bool known_inactive = false;
  if (to_zero) {
    bool any_active = out.schedule_floor > inactive_level;
    for (const MetricResult& m : out.metrics) any_active = any_active || m.active;
    if (any_active) state.last_active_time = now;
    // Inactive only when every metric was read and none is active: missing data never
    // deactivates (never scale down on missing data).
    known_inactive = !any_active && out.invalid_metrics == 0;
    out.active = !known_inactive;
    if (current <= inactive_level) {
      if (any_active) {
        // One step from 0/idle to what the metrics ask (upstream's scale from zero, KEDA's
        // fallback at zero), never below max(minReplicas, 1) nor above maxReplicas.
        const int32_t asked = out.invalid_metrics < static_cast<int32_t>(out.metrics.size())
                                  ? std::min(proposal, spec.max_replicas)
                                  : 0;
        out.proposal = proposal;
        return Finish(out, std::max({floor, inactive_level, asked}), Reason::kActivated);
      }
      if (!known_inactive) out.scaling_active = false;
      const int32_t hold = std::max(current, inactive_level);
      return Finish(out, hold, known_inactive ? Reason::kInactive : Reason::kFailedGetMetrics);
    }
    if (known_inactive) {
      // KEDA's scale executor: after cooldownPeriod since the last activity (strictly), or, for
      // a never-active object, once initialCooldownPeriod has passed since its creation (an
      // unknown creation time counts as long ago).
      const bool cooled =
          state.last_active_time
              ? now > *state.last_active_time + Seconds(spec.cooldown_period_seconds)
              : !obs.created_at ||
                    now > *obs.created_at + Seconds(spec.initial_cooldown_period_seconds);
      if (cooled) return Finish(out, inactive_level, Reason::kScaledToZero);
      if (current < floor) return Finish(out, current, Reason::kCooldown);
    }
    if (current < floor) return Finish(out, floor, below_floor);
  }

  if (!combined) {
    out.scaling_active = false;
    // The schedule needs no metric: its floor holds while the metrics cannot be read.
    if (current < floor) return Finish(out, floor, below_floor);
    return Finish(out, current, Reason::kFailedGetMetrics);
  }
  out.proposal = proposal;

  const NormalizeInput in{current, proposal, floor, spec.max_replicas};
  const NormalizeResult r = spec.behavior
                                ? NormalizeWithBehavior(in, *spec.behavior, settings, state, now)
                                : NormalizeLegacy(in, settings, state, now);
  out.stabilized = r.stabilized;
  out.stabilization = r.stabilization;
  out.scaling_limited = r.desired != r.stabilized;
  Reason reason = r.limit;
  if (known_inactive && r.limit == Reason::kDesiredWithinRange) reason = Reason::kCooldown;
  int32_t desired = r.desired;
  // The behavior path clamps to the minimum only when it moves; a floor above the current
  // count must apply when the metrics ask for no change too.
  if (schedule_raises && (desired < floor || r.limit == Reason::kTooFewReplicas)) {
    desired = std::max(desired, floor);
    reason = Reason::kScheduleFloor;
    out.scaling_limited = true;
  }
  Finish(out, desired, reason);
}

Decision Decide(const Spec& spec, const Settings& settings, const Observation& obs,
                DecisionState& state, Timestamp now) {
  Decision d;
  Decide(spec, settings, obs, state, now, d);
  return d;
}

void RecordScale(const Spec& spec, DecisionState& state, int32_t from, int32_t to, Timestamp now) {
  if (from == to) return;
  state.last_scale_time = now;
  if (spec.behavior) StoreScaleEvent(*spec.behavior, state, from, to, now);
}

}  // namespace ebb::decision

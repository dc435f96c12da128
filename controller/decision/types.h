// The decision core's vocabulary: the Autoscaler spec as the core sees it (already defaulted and
// validated), one observation of the world, the persisted decision state and the decision.
// Plain values only: no I/O, no clock, no third-party headers.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "controller/base/time.h"
#include "controller/decision/cron.h"
#include "controller/decision/time_zone.h"

namespace ebb::decision {

// ---------------------------------------------------------------- spec

enum class SourceType : uint8_t {
  kResource,
  kContainerResource,
  kPods,
  kObject,
  kExternal,
  // ebb: one value read by a scaler (MetricSpec::scaler names which), treated like External. The
  // core knows no scaler by name: the list of scaler types lives in scalers/registry.cpp.
  kScaler,
};

enum class TargetType : uint8_t { kUtilization, kValue, kAverageValue };

struct MetricTarget {
  TargetType type = TargetType::kUtilization;
  int32_t average_utilization = 0;  // percent, for kUtilization
  int64_t value_milli = 0;          // for kValue
  int64_t average_value_milli = 0;  // for kAverageValue
};

// spec.metrics[i].predictive: forecast this metric from its own history (bucketed means, daily
// and weekly seasons) `lookahead_seconds` ahead and propose at least the replicas the forecast
// needs. Every field's range is what `ebb validate` accepts; `ebb tune` may search inside them.
struct PredictiveSettings {
  int32_t lookahead_seconds = 60;       // [0, 3600]: about the pods' start-up delay
  int32_t bucket_seconds = 300;         // [300, 3600], divides 86400: history resolution
  int32_t min_history_seconds = 86400;  // [86400, 1209600]: no forecast before (warm-up)
  int32_t headroom_percent = 0;         // [0, 200]: forecast x (1 + headroom/100)
  bool daily = true;                    // seasons used (at least one)
  bool weekly = true;
};

struct MetricSpec {
  std::string name;  // explicit name, else the metric's own name, else the resource name
  SourceType type = SourceType::kResource;
  std::string resource;        // Resource/ContainerResource: "cpu", "memory", ...
  std::string container;       // ContainerResource
  std::string metric_name;     // Pods/Object/External: the metric's own name
  std::string described_kind;  // Object: kind of the described object (for messages)
  std::string selector;        // External: metric selector text (for messages)
  std::string scaler;          // kScaler: the metric's `type` as written ("Redis"), for messages
  MetricTarget target;
  // KEDA-style: the metric is active when its value is strictly above this (default 0).
  int64_t activation_threshold_milli = 0;
  std::optional<PredictiveSettings> predictive;  // only with an AverageValue target of a total
};

enum class PolicyType : uint8_t { kPods, kPercent };
enum class SelectPolicy : uint8_t { kMax, kMin, kDisabled };

struct ScalingPolicy {
  PolicyType type = PolicyType::kPods;
  int32_t value = 0;
  int32_t period_seconds = 0;
};

struct ScalingRules {
  // nullopt on scaleDown means "the controller's downscale-stabilization setting", as upstream.
  std::optional<int32_t> stabilization_window_seconds;
  SelectPolicy select_policy = SelectPolicy::kMax;
  std::vector<ScalingPolicy> policies;
  std::optional<double> tolerance;  // per direction (KEP-4951)
};

// Present only when spec.behavior was set; defaults already filled in field by field.
struct Behavior {
  ScalingRules scale_up;
  ScalingRules scale_down;
};

enum class FallbackBehavior : uint8_t {
  kStatic,
  kCurrentReplicas,
  kCurrentReplicasIfHigher,
  kCurrentReplicasIfLower,
};

struct Fallback {
  int32_t failure_threshold = 3;
  int32_t replicas = 1;
  FallbackBehavior behavior = FallbackBehavior::kStatic;
};

// spec.schedules[i]: while a window is open, desiredReplicas is at least min_replicas (a floor
// that also counts as activity for scale to zero), as KEDA's cron scaler is used.
struct Schedule {
  std::string name;
  std::string start;  // the cron text as written, for messages
  CronExpr cron;
  int32_t duration_seconds = 3600;
  std::shared_ptr<const TimeZone> zone;  // null: UTC
  int32_t min_replicas = 0;
};

struct Spec {
  int32_t min_replicas = 1;
  int32_t max_replicas = 1;
  std::vector<MetricSpec> metrics;   // never empty after defaulting (cpu 80 %)
  std::optional<Behavior> behavior;  // nullopt: upstream's legacy path
  int32_t cooldown_period_seconds = 300;
  int32_t initial_cooldown_period_seconds = 0;
  std::optional<int32_t> idle_replicas;
  int32_t polling_interval_seconds = 15;
  std::optional<Fallback> fallback;
  bool paused = false;
  std::optional<int32_t> paused_replicas;
  std::vector<Schedule> schedules;
};

// Controller-level settings upstream exposes as kube-controller-manager flags.
struct Settings {
  double tolerance = 0.1;
  int64_t cpu_initialization_period_seconds = 300;
  int64_t initial_readiness_delay_seconds = 30;
  int64_t downscale_stabilization_seconds = 300;
  double legacy_scale_up_factor = 2.0;  // upstream tests use 8
  double legacy_scale_up_minimum = 4.0;
};

// ---------------------------------------------------------------- observation

enum class PodPhase : uint8_t { kPending, kRunning, kSucceeded, kFailed, kUnknown };
enum class ConditionStatus : uint8_t {
  kNone,
  kTrue,
  kFalse,
  kUnknown
};  // kNone: no Ready condition

struct ResourceRequest {
  std::string resource;   // "cpu"
  std::string container;  // empty: the pod's total over containers (and sidecar init containers)
  int64_t milli = 0;
};

struct Pod {
  std::string name;
  PodPhase phase = PodPhase::kRunning;
  ConditionStatus ready = ConditionStatus::kTrue;
  std::optional<Timestamp> start_time;
  Timestamp ready_transition_time{};
  bool deleting = false;
  // A resource absent here means some container lacks a request for it.
  std::vector<ResourceRequest> requests;
};

struct PodSample {
  std::string pod;
  int64_t milli = 0;
};

// One reading per spec metric, in spec order.
struct MetricReading {
  bool ok = false;
  std::string error;  // why the metric could not be read (when !ok)
  // Object/External/scaler: the value in milli-units (External: the sum of all
  // series), exact as upstream's Quantity.MilliValue; never a double, so "1011m" stays 1011.
  int64_t value_milli = 0;
  // Resource/ContainerResource/Pods: one sample per pod (pods outside the selector may appear).
  std::vector<PodSample> pod_samples;
  Timestamp sample_time{};    // when the pod samples were taken (cpu freshness rule)
  Duration sample_window{0};  // the metrics window (cpu freshness rule)
};

struct Observation {
  int32_t spec_replicas = 0;    // scale.spec.replicas: what upstream calls current
  int32_t status_replicas = 0;  // scale.status.replicas: used by AverageValue Object/External
  // Pods matched by the target's selector. When unknown (no cluster: simulation, dry runs),
  // ready_replicas stands in for the Running+Ready count and per-pod metrics cannot be used.
  bool pods_known = false;
  std::vector<Pod> pods;
  int32_t ready_replicas = 0;
  std::vector<MetricReading> readings;
  std::optional<Timestamp> created_at;  // the Autoscaler's creation time (initialCooldownPeriod)
};

// ---------------------------------------------------------------- state

struct Recommendation {
  Timestamp at{};
  int32_t replicas = 0;
};

struct ScaleEvent {
  Timestamp at{};
  int32_t change = 0;  // absolute number of replicas added or removed
  bool outdated = false;
};

// A predictive metric's own history: the mean of its readings per bucket (milli-units), newest
// last, bounded to kMaxHistoryBuckets; the bucket still filling is kept apart.
struct MetricHistory {
  int32_t bucket_seconds = 0;   // 0: no history
  int64_t first_bucket = 0;     // bucket index (Unix seconds / bucket_seconds) of values[0]
  std::vector<int64_t> values;  // -1: no reading in that bucket
  int64_t open_bucket = -1;     // the bucket being filled (-1: none)
  double open_sum = 0;          // milli-units
  int32_t open_count = 0;
  // Not persisted: per season, its ramp forecast's mean absolute error over the last day less
  // persistence's over the same buckets (negative: the ramp beat the reading alone; NaN: not
  // back-tested yet), recomputed when a bucket closes (forecast.cpp).
  int64_t errors_bucket = -1;
  int32_t errors_lookahead = -1;
  double daily_error = -1;
  double weekly_error = -1;
  // Per season, how much of its forecast rises came true over the same back-test: the
  // least-squares slope of the rise that came (the bucket's mean less the reading) on the rise
  // forecast, in [0, 1]; 1 before a back-test exists.
  double daily_slope = 1;
  double weekly_slope = 1;
};

// Everything the core remembers between decisions. A plain value that serialises to JSON so the
// controller can persist it in status and stabilization survives restarts and leader changes.
struct DecisionState {
  bool has_recommendations = false;  // upstream seeds {current, now} the first time
  std::vector<Recommendation> recommendations;
  std::vector<ScaleEvent> scale_up_events;
  std::vector<ScaleEvent> scale_down_events;
  std::vector<int32_t> consecutive_failures;  // per spec metric, in spec order
  std::optional<Timestamp> last_active_time;
  std::optional<Timestamp> last_scale_time;
  std::vector<MetricHistory> histories;  // per spec metric; empty for metrics without predictive
};

// ---------------------------------------------------------------- decision

// Why the final number is what it is: upstream's vocabulary plus ebb's extensions.
enum class Reason : uint8_t {
  kDesiredWithinRange,
  kTooFewReplicas,
  kTooManyReplicas,
  kScaleUpLimit,
  kScaleDownLimit,
  kScalingDisabled,   // spec.replicas == 0 with minReplicas != 0 and no scale-to-zero
  kAboveMaxReplicas,  // shortcut: current > max
  kBelowMinReplicas,  // shortcut: current < min
  kFailedGetMetrics,  // all metrics failed, or some failed and the rest say scale down
  kPaused,
  kPausedReplicas,
  kActivated,      // 0/idle -> max(min, 1) on activity
  kScaledToZero,   // inactive for cooldownPeriod -> 0 / idleReplicas
  kCooldown,       // inactive, waiting for the cooldown before going to 0 / idle
  kInactive,       // inactive and already at 0 / idle
  kScheduleFloor,  // a spec.schedules window raised the count to its minReplicas
};

enum class StabilizationReason : uint8_t {
  kReadyForNewScale,
  kScaleUpStabilized,
  kScaleDownStabilized
};

enum class MetricStatus : uint8_t {
  kOk,
  kFailed,    // the reading is an error or unusable (the message says why)
  kFallback,  // failed more than failureThreshold times: fallback replicas proposed
};

struct MetricResult {
  MetricStatus status = MetricStatus::kOk;
  std::string error;
  int32_t proposal = 0;  // replicas this metric asks for (valid when kOk / kFallback)
  bool active = false;   // value strictly above the activation threshold
  // What upstream reports in status.currentMetrics:
  int64_t value_milli = 0;   // Object/External/scaler value; Pods/Resource average
  int32_t utilization = -1;  // Resource Utilization percent, else -1
  double usage_ratio = 0;    // current / target, as compared with the tolerance band
  int32_t ready_pods = 0;    // the count the ratio multiplied (readyPodCount or samples)
  // predictive: the forecast lookahead seconds ahead and the replicas it needs (-1: no forecast,
  // e.g. still warming up); `proposal` is already the larger of this and the reactive one.
  int64_t forecast_milli = -1;
  int32_t forecast_proposal = -1;
  bool forecast_raised = false;  // the forecast asked for more than the reading did
};

struct Decision {
  int32_t current_replicas = 0;
  int32_t desired_replicas = 0;
  Reason reason = Reason::kDesiredWithinRange;
  bool scale = false;           // desired != current and a patch is due
  int32_t proposal = -1;        // combined metric proposal before normalisation (-1: none)
  int32_t stabilized = -1;      // after the stabilization window (-1: not run)
  int32_t winning_metric = -1;  // index of the metric whose proposal won
  StabilizationReason stabilization = StabilizationReason::kReadyForNewScale;
  bool scaling_limited = false;
  bool scaling_active = true;  // ScalingActive condition
  bool able_to_scale = true;
  int32_t invalid_metrics = 0;
  int32_t first_failed_metric = -1;
  bool active = true;     // KEDA Active condition
  bool fallback = false;  // Fallback condition
  bool paused = false;
  int32_t schedule = -1;        // index of the open spec.schedules window with the highest floor
  int32_t schedule_floor = -1;  // its minReplicas (-1: no window open)
  std::vector<MetricResult> metrics;  // per spec metric, in spec order
};

}  // namespace ebb::decision

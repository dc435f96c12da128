#include "controller/decision/explain.h"

#include <string>

#include "controller/base/quantity.h"
#include "controller/decision/replica_calculator.h"

namespace ebb::decision {
namespace {

const char* LimitMessage(Reason r) {
  switch (r) {
    case Reason::kTooFewReplicas:
      return "the desired replica count is less than the minimum replica count";
    case Reason::kTooManyReplicas:
      return "the desired replica count is more than the maximum replica count";
    case Reason::kScaleUpLimit:
      return "the desired replica count is increasing faster than the maximum scale rate";
    case Reason::kScaleDownLimit:
      return "the desired replica count is decreasing faster than the maximum scale rate";
    default:
      return "the desired count is within the acceptable range";
  }
}

std::string ScheduleMessage(const Spec& spec, const Decision& d) {
  if (d.schedule < 0 || static_cast<size_t>(d.schedule) >= spec.schedules.size()) return "";
  return "schedule " + spec.schedules[static_cast<size_t>(d.schedule)].name +
         " raises the minimum to " + std::to_string(d.schedule_floor);
}

bool IsLimitReason(Reason r) {
  return r == Reason::kScheduleFloor || r == Reason::kTooFewReplicas ||
         r == Reason::kTooManyReplicas || r == Reason::kScaleUpLimit ||
         r == Reason::kScaleDownLimit || r == Reason::kDesiredWithinRange;
}

}  // namespace

const char* ToString(Reason r) {
  switch (r) {
    case Reason::kDesiredWithinRange:
      return "DesiredWithinRange";
    case Reason::kTooFewReplicas:
      return "TooFewReplicas";
    case Reason::kTooManyReplicas:
      return "TooManyReplicas";
    case Reason::kScaleUpLimit:
      return "ScaleUpLimit";
    case Reason::kScaleDownLimit:
      return "ScaleDownLimit";
    case Reason::kScalingDisabled:
      return "ScalingDisabled";
    case Reason::kAboveMaxReplicas:
      return "AboveMaxReplicas";
    case Reason::kBelowMinReplicas:
      return "BelowMinReplicas";
    case Reason::kFailedGetMetrics:
      return "FailedGetMetrics";
    case Reason::kPaused:
      return "Paused";
    case Reason::kPausedReplicas:
      return "PausedReplicas";
    case Reason::kActivated:
      return "Activated";
    case Reason::kScaledToZero:
      return "ScaledToZero";
    case Reason::kCooldown:
      return "ScalerCooldown";
    case Reason::kInactive:
      return "Inactive";
    case Reason::kScheduleFloor:
      return "ScheduleFloor";
  }
  return "Unknown";
}

const char* ToString(StabilizationReason r) {
  switch (r) {
    case StabilizationReason::kReadyForNewScale:
      return "ReadyForNewScale";
    case StabilizationReason::kScaleUpStabilized:
      return "ScaleUpStabilized";
    case StabilizationReason::kScaleDownStabilized:
      return "ScaleDownStabilized";
  }
  return "Unknown";
}

const char* ToString(MetricStatus s) {
  switch (s) {
    case MetricStatus::kOk:
      return "Ok";
    case MetricStatus::kFailed:
      return "Failed";
    case MetricStatus::kFallback:
      return "Fallback";
  }
  return "Unknown";
}

const char* ToString(SourceType t) {
  switch (t) {
    case SourceType::kResource:
      return "Resource";
    case SourceType::kContainerResource:
      return "ContainerResource";
    case SourceType::kPods:
      return "Pods";
    case SourceType::kObject:
      return "Object";
    case SourceType::kExternal:
      return "External";
    case SourceType::kScaler:
      return "Scaler";
  }
  return "Unknown";
}

std::string SourceName(const MetricSpec& m) {
  if (m.type == SourceType::kScaler && !m.scaler.empty()) return m.scaler;
  return ToString(m.type);
}

std::string FailedMetricReason(const MetricSpec& m) {
  // FailedGetResourceMetric, ... as upstream; a scaler's own name: FailedGetRedisMetric.
  return "FailedGet" + SourceName(m) + "Metric";
}

std::string RescaleReason(const Spec& spec, const Decision& d) {
  switch (d.reason) {
    case Reason::kAboveMaxReplicas:
      return "Current number of replicas above Spec.MaxReplicas";
    case Reason::kBelowMinReplicas:
      return "Current number of replicas below Spec.MinReplicas";
    case Reason::kPausedReplicas:
      return "Paused at the replica count of ebb.dev/paused-replicas";
    case Reason::kActivated:
      return "Activated: a metric is above its activation threshold";
    case Reason::kScaledToZero:
      return "Inactive for the cooldown period";
    case Reason::kScheduleFloor:
      return "Scheduled floor: " + ScheduleMessage(spec, d);
    default:
      break;
  }
  if (d.fallback && d.desired_replicas != d.current_replicas) {
    return "Fallback: a metric failed more than failureThreshold times";
  }
  if (d.desired_replicas > d.current_replicas && d.winning_metric >= 0) {
    const auto w = static_cast<size_t>(d.winning_metric);
    const MetricResult* m = w < d.metrics.size() ? &d.metrics[w] : nullptr;
    if (m != nullptr && m->forecast_raised) {
      return DescribeMetric(spec.metrics[w]) + " forecast above target";
    }
    return DescribeMetric(spec.metrics[w]) + " above target";
  }
  if (d.desired_replicas < d.current_replicas) return "All metrics below target";
  return "";
}

std::vector<Condition> Conditions(const Spec& spec, const Decision& d) {
  std::vector<Condition> c;
  if (d.paused) {
    c.push_back({"AbleToScale", true, "SucceededGetScale",
                 "the controller was able to get the target's current scale"});
    c.push_back({"Paused", true, "ScalingPaused",
                 d.reason == Reason::kPausedReplicas
                     ? "paused by ebb.dev/paused-replicas at " + std::to_string(d.desired_replicas)
                     : std::string("paused by ebb.dev/paused")});
    return c;
  }
  if (d.stabilized >= 0) {
    const bool up = d.stabilization == StabilizationReason::kScaleUpStabilized;
    const bool down = d.stabilization == StabilizationReason::kScaleDownStabilized;
    c.push_back({"AbleToScale", true, ToString(d.stabilization),
                 up     ? "recent recommendations were lower than current one, applying the "
                          "lowest recent recommendation"
                 : down ? "recent recommendations were higher than current one, applying the "
                          "highest recent recommendation"
                        : "recommended size matches current size"});
  } else {
    c.push_back({"AbleToScale", true, "SucceededGetScale",
                 "the controller was able to get the target's current scale"});
  }
  if (d.reason == Reason::kScalingDisabled) {
    c.push_back({"ScalingActive", false, "ScalingDisabled",
                 "scaling is disabled since the replica count of the target is zero"});
  } else if (!d.scaling_active && d.first_failed_metric >= 0) {
    const auto i = static_cast<size_t>(d.first_failed_metric);
    c.push_back({"ScalingActive", false, FailedMetricReason(spec.metrics[i]),
                 "the controller was unable to get the metric " + spec.metrics[i].name + ": " +
                     d.metrics[i].error});
  } else if (d.winning_metric >= 0) {
    const auto i = static_cast<size_t>(d.winning_metric);
    c.push_back({"ScalingActive", true, "ValidMetricFound",
                 "the controller was able to successfully calculate a replica count from " +
                     DescribeMetric(spec.metrics[i])});
  }
  if (d.reason == Reason::kScheduleFloor) {
    c.push_back({"ScalingLimited", true, ToString(d.reason),
                 "the desired replica count is less than the scheduled minimum: " +
                     ScheduleMessage(spec, d)});
  } else if (d.stabilized >= 0 && IsLimitReason(d.reason)) {
    c.push_back({"ScalingLimited", d.scaling_limited, ToString(d.reason), LimitMessage(d.reason)});
  } else if (d.stabilized >= 0) {
    c.push_back(
        {"ScalingLimited", false, "DesiredWithinRange", LimitMessage(Reason::kDesiredWithinRange)});
  }
  const bool to_zero = spec.min_replicas == 0 || spec.idle_replicas.has_value();
  if (to_zero && !d.metrics.empty()) {
    if (d.active) {
      std::string names;
      for (size_t i = 0; i < d.metrics.size(); ++i) {
        if (!d.metrics[i].active) continue;
        if (!names.empty()) names += ", ";
        names += spec.metrics[i].name;
      }
      c.push_back({"Active", true, names.empty() ? "MetricsUnavailable" : "ScalerActive",
                   names.empty() ? "activity unknown: metrics failed, holding the current count"
                                 : "active metrics: " + names});
    } else {
      const bool settled = d.reason == Reason::kScaledToZero || d.reason == Reason::kInactive;
      c.push_back({"Active", false, settled ? "ScalerNotActive" : "ScalerCooldown",
                   settled ? "no metric is above its activation threshold"
                           : "no metric is above its activation threshold; waiting for the "
                             "cooldown period before scaling to zero/idle"});
    }
  }
  if (spec.fallback) {
    c.push_back({"Fallback", d.fallback, d.fallback ? "FallbackExists" : "NoFallbackFound",
                 d.fallback ? "a metric failed more than fallback.failureThreshold times; "
                              "using fallback replicas"
                            : "no fallback was needed"});
  }
  return c;
}

std::string Summary(const Spec& spec, const Decision& d) {
  std::string s = std::to_string(d.current_replicas) + " -> " + std::to_string(d.desired_replicas) +
                  ": " + ToString(d.reason);
  for (size_t i = 0; i < d.metrics.size() && i < spec.metrics.size(); ++i) {
    const MetricResult& m = d.metrics[i];
    s += "; " + spec.metrics[i].name + " ";
    if (m.status == MetricStatus::kFailed) {
      s += "failed (" + m.error + ")";
      continue;
    }
    if (m.utilization >= 0) s += std::to_string(m.utilization) + "% ";
    s += "proposes " + std::to_string(m.proposal);
    if (m.status == MetricStatus::kFallback) s += " (fallback)";
    if (m.forecast_milli >= 0 && spec.metrics[i].predictive) {
      s += " (forecast " + FormatMilli(m.forecast_milli) + " in " +
           std::to_string(spec.metrics[i].predictive->lookahead_seconds) + " s needs " +
           std::to_string(m.forecast_proposal) + ")";
    }
  }
  if (d.schedule >= 0) s += "; " + ScheduleMessage(spec, d);
  return s;
}

}  // namespace ebb::decision

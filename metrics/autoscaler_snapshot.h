// What one reconcile of one Autoscaler exports: a plain value the controller fills once per
// reconcile and hands to ControllerMetrics::Observe, which turns it into the per-Autoscaler
// series (kube-state-metrics' conventions: labels `namespace` and `autoscaler`, booleans as 1/0,
// each condition as one series per status).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ebb::metrics {

struct ConditionSnapshot {
  std::string type;    // "AbleToScale", "ScalingActive", "Ready", ...
  std::string status;  // "True", "False" or "Unknown", as in status.conditions
};

struct MetricSnapshot {
  std::string name;         // spec.metrics[i].name
  std::string source;       // "Resource", "Pods", "External", "Prometheus", "Redis", ...
  std::string target_type;  // "Utilization", "Value" or "AverageValue"
  // This reconcile could not read or use the metric: one failed read is counted. (A metric not
  // read at all, e.g. while paused, is neither failed nor valued.)
  bool failed = false;
  // The metric as the source gave it: a query's result, an External metric's sum over series,
  // a per-pod metric summed over the pods counted. Absent when not read: the value series are
  // dropped (a stale value would look current); the target stays.
  std::optional<double> value;
  // The value per replica, the number an AverageValue target is compared with. Absent also when
  // there is no replica to divide by.
  std::optional<double> per_replica;
  std::optional<double> utilization;  // percent of the pods' requests (Utilization targets)
  std::optional<double> ratio;        // current / target, as compared with the tolerance
  // In the unit of what it is compared with: percent (Utilization), per replica (AverageValue),
  // the value itself (Value).
  double target = 0;
};

struct AutoscalerSnapshot {
  std::string ns;
  std::string name;
  std::string target_kind;  // "Deployment"
  std::string target_name;
  int32_t min_replicas = 0;
  int32_t max_replicas = 0;
  // Absent when the scale could not be read (FailedGetScale): the series are dropped rather than
  // left at a count that is no longer known.
  std::optional<int32_t> current_replicas;
  std::optional<int32_t> desired_replicas;  // in dry run: the replicas ebb would set
  bool active = false;
  bool paused = false;
  bool fallback = false;
  bool dry_run = false;
  std::vector<ConditionSnapshot> conditions;
  std::vector<MetricSnapshot> metrics;
};

}  // namespace ebb::metrics

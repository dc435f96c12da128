// Words for a decision: upstream's condition types, reasons and messages, and ebb's additions.
// Kept apart from the arithmetic so the hot path never builds strings.
#pragma once

#include <string>
#include <vector>

#include "controller/decision/types.h"

namespace ebb::decision {

struct Condition {
  std::string type;  // AbleToScale, ScalingActive, ScalingLimited, Active, Fallback, Paused
  bool status = true;
  std::string reason;
  std::string message;
};

const char* ToString(Reason r);
const char* ToString(StabilizationReason r);
const char* ToString(MetricStatus s);
const char* ToString(SourceType t);
// The metric's source as a person wrote it: "Resource", ..., or the scaler's type ("Redis").
std::string SourceName(const MetricSpec& m);
// The condition/event reason for a metric that could not be read: FailedGetResourceMetric, ...,
// FailedGetRedisMetric.
std::string FailedMetricReason(const MetricSpec& m);

// The rescale reason upstream puts in events: "<metric> above target", "All metrics below
// target", "Current number of replicas above Spec.MaxReplicas", ... plus ebb's own.
std::string RescaleReason(const Spec& spec, const Decision& d);

// Conditions after this decision, in upstream order, then ebb's (Active, Fallback, Paused).
std::vector<Condition> Conditions(const Spec& spec, const Decision& d);

// One line a person can read: "3 -> 5: backlog 42 (target 5/pod) proposes 9; ScaleUpLimit".
std::string Summary(const Spec& spec, const Decision& d);

}  // namespace ebb::decision

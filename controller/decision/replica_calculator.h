// One metric to one replica proposal (upstream replica_calculator.go): usage ratio against the
// tolerance band, pod classification for per-pod metrics, rebalancing for missing and unready
// pods, Value vs AverageValue targets and scale from zero.
#pragma once

#include "controller/decision/arithmetic.h"
#include "controller/decision/types.h"

namespace ebb::decision {

struct MetricInputs {
  int32_t current_replicas = 0;  // scale.spec.replicas
  int32_t status_replicas = 0;   // scale.status.replicas
  Tolerances tolerances;
  const Settings* settings = nullptr;
  Timestamp now{};
};

// Computes `out` (status, proposal, reported values, activity) for one metric. Never throws;
// unusable readings (errors, NaN, Inf, negative, no pods) set status kFailed with a message.
void CalculateMetric(const MetricSpec& spec, const MetricReading& reading, const Observation& obs,
                     const MetricInputs& in, MetricResult& out);

// The description upstream uses in reasons: "cpu resource utilization (percentage of request)",
// "pods metric <name>", "external metric <name>(<selector>)", ...
std::string DescribeMetric(const MetricSpec& spec);

}  // namespace ebb::decision

// Small builders so table rows read like the situation they describe.
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "controller/decision/types.h"

namespace ebb::testing {

inline const Timestamp kT0 = FromUnixMillis(1'800'000'000'000);
inline Timestamp At(int64_t seconds) {
  return kT0 + Seconds(seconds);
}

// An External/queue-style metric with an AverageValue target (milli-units).
inline decision::MetricSpec QueueMetric(const std::string& name, int64_t average_value,
                                        int64_t activation = 0) {
  decision::MetricSpec m;
  m.name = name;
  m.metric_name = name;
  m.type = decision::SourceType::kExternal;
  m.target.type = decision::TargetType::kAverageValue;
  m.target.average_value_milli = average_value * 1000;
  m.activation_threshold_milli = activation * 1000;
  return m;
}

inline decision::MetricSpec ValueMetric(const std::string& name, int64_t value) {
  decision::MetricSpec m = QueueMetric(name, 1);
  m.target.type = decision::TargetType::kValue;
  m.target.value_milli = value * 1000;
  return m;
}

inline decision::MetricSpec CpuUtilization(int32_t percent) {
  decision::MetricSpec m;
  m.name = "cpu";
  m.type = decision::SourceType::kResource;
  m.resource = "cpu";
  m.target.type = decision::TargetType::kUtilization;
  m.target.average_utilization = percent;
  return m;
}

inline decision::ScalingRules Rules(std::optional<int32_t> window,
                                    std::vector<decision::ScalingPolicy> policies,
                                    decision::SelectPolicy select = decision::SelectPolicy::kMax) {
  decision::ScalingRules r;
  r.stabilization_window_seconds = window;
  r.policies = std::move(policies);
  r.select_policy = select;
  return r;
}

inline decision::ScalingPolicy Pods(int32_t value, int32_t period) {
  return {decision::PolicyType::kPods, value, period};
}
inline decision::ScalingPolicy Percent(int32_t value, int32_t period) {
  return {decision::PolicyType::kPercent, value, period};
}

// The upstream defaults (GenerateHPAScaleUpRules / ScaleDownRules).
inline decision::Behavior DefaultBehavior() {
  return {Rules(0, {Pods(4, 15), Percent(100, 15)}), Rules(std::nullopt, {Percent(100, 15)})};
}

// A value of v units, to the nearest milli-unit (test values are decimals: 5.001 is 5001m).
inline decision::MetricReading ValueMilli(int64_t milli) {
  decision::MetricReading r;
  r.ok = true;
  r.value_milli = milli;
  return r;
}
inline decision::MetricReading Value(double v) {
  return ValueMilli(std::llround(v * 1000.0));
}
inline decision::MetricReading Failed(const std::string& why) {
  decision::MetricReading r;
  r.ok = false;
  r.error = why;
  return r;
}

inline decision::Observation Observe(int32_t replicas,
                                     std::vector<decision::MetricReading> readings) {
  decision::Observation o;
  o.spec_replicas = replicas;
  o.status_replicas = replicas;
  o.ready_replicas = replicas;
  o.readings = std::move(readings);
  return o;
}

}  // namespace ebb::testing

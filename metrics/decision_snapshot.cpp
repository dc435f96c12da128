#include "metrics/decision_snapshot.h"

namespace ebb::metrics {
namespace {

double Units(int64_t milli) {
  return static_cast<double>(milli) / 1000.0;
}

bool PerPod(decision::SourceType t) {
  return t == decision::SourceType::kResource || t == decision::SourceType::kContainerResource ||
         t == decision::SourceType::kPods;
}

const char* TargetTypeName(decision::TargetType t) {
  switch (t) {
    case decision::TargetType::kUtilization:
      return "Utilization";
    case decision::TargetType::kValue:
      return "Value";
    case decision::TargetType::kAverageValue:
      return "AverageValue";
  }
  return "Unknown";
}

double TargetOf(const decision::MetricTarget& t) {
  switch (t.type) {
    case decision::TargetType::kUtilization:
      return t.average_utilization;
    case decision::TargetType::kValue:
      return Units(t.value_milli);
    case decision::TargetType::kAverageValue:
      return Units(t.average_value_milli);
  }
  return 0;
}

}  // namespace

AutoscalerSnapshot SnapshotOf(const std::string& ns, const std::string& name,
                              const decision::Spec& spec) {
  AutoscalerSnapshot s;
  s.ns = ns;
  s.name = name;
  s.min_replicas = spec.min_replicas;
  s.max_replicas = spec.max_replicas;
  s.paused = spec.paused || spec.paused_replicas.has_value();
  for (const auto& m : spec.metrics) {
    MetricSnapshot ms;
    ms.name = m.name;
    ms.source = decision::SourceName(m);  // "Redis", not the generic "Scaler"
    ms.target_type = TargetTypeName(m.target.type);
    ms.target = TargetOf(m.target);
    s.metrics.push_back(std::move(ms));
  }
  return s;
}

void AddDecision(AutoscalerSnapshot& s, const decision::Spec& spec,
                 const decision::Observation& obs, const decision::Decision& d) {
  s.current_replicas = d.current_replicas;
  s.desired_replicas = d.desired_replicas;
  s.active = d.active;
  s.paused = d.paused;
  s.fallback = d.fallback;
  // d.metrics is empty when the decision read no metric (paused, a replica count outside
  // [min, max], scaling disabled): then nothing is valued and nothing failed.
  for (std::size_t i = 0; i < d.metrics.size() && i < spec.metrics.size() && i < s.metrics.size();
       ++i) {
    const decision::MetricSpec& m = spec.metrics[i];
    const decision::MetricResult& r = d.metrics[i];
    MetricSnapshot& out = s.metrics[i];
    if (r.status != decision::MetricStatus::kOk) {
      out.failed = true;
      continue;
    }
    out.ratio = r.usage_ratio;
    if (PerPod(m.type)) {
      // The decision keeps the average over the pods it counted (ready_pods of them).
      out.per_replica = Units(r.value_milli);
      out.value = Units(r.value_milli) * r.ready_pods;
      if (m.target.type == decision::TargetType::kUtilization && r.utilization >= 0)
        out.utilization = r.utilization;
      continue;
    }
    // Object, External and the scalers: the decision keeps the value for a Value target and the
    // average over status.replicas (upstream's rounding up) for an AverageValue one; the raw
    // value is the reading.
    const int64_t raw =
        i < obs.readings.size() && obs.readings[i].ok ? obs.readings[i].value_milli : r.value_milli;
    out.value = Units(raw);
    if (m.target.type == decision::TargetType::kAverageValue) {
      if (obs.status_replicas > 0) out.per_replica = Units(r.value_milli);
    } else if (obs.status_replicas > 0) {
      out.per_replica = Units(raw) / obs.status_replicas;
    }
  }
}

void SetConditions(AutoscalerSnapshot& s, const std::vector<decision::Condition>& conditions) {
  s.conditions.clear();
  for (const auto& c : conditions) s.conditions.push_back({c.type, c.status ? "True" : "False"});
}

}  // namespace ebb::metrics

// Prints every field of each parsed Autoscaler of a file (the decision core's Spec, the target and
// the source blocks), one canonical line per Autoscaler. drift_test.sh compares this for a case
// and for the object the CRD's defaults filled in: the same line means the same defaults.
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "controller/api/autoscaler.h"

namespace {

using nlohmann::json;
namespace d = ebb::decision;

json Rules(const d::ScalingRules& r) {
  json policies = json::array();
  for (const auto& p : r.policies) {
    policies.push_back({static_cast<int>(p.type), p.value, p.period_seconds});
  }
  return {{"window",
           r.stabilization_window_seconds ? json(*r.stabilization_window_seconds) : json(nullptr)},
          {"select", static_cast<int>(r.select_policy)},
          {"policies", policies},
          {"tolerance", r.tolerance ? json(*r.tolerance) : json(nullptr)}};
}

json Dump(const ebb::api::Autoscaler& a) {
  const d::Spec& s = a.spec;
  json metrics = json::array();
  for (size_t i = 0; i < s.metrics.size(); ++i) {
    const d::MetricSpec& m = s.metrics[i];
    metrics.push_back(
        {{"name", m.name},
         {"type", static_cast<int>(m.type)},
         {"resource", m.resource},
         {"container", m.container},
         {"metric", m.metric_name},
         {"kind", m.described_kind},
         {"selector", m.selector},
         {"target",
          {static_cast<int>(m.target.type), m.target.average_utilization, m.target.value_milli,
           m.target.average_value_milli}},
         {"activation", m.activation_threshold_milli},
         {"scaler", m.scaler},
         // Only the scalers read a source block (prometheus:, redis:, ...).
         {"block", i < a.sources.size() && m.type == d::SourceType::kScaler ? a.sources[i].block
                                                                            : json(nullptr)}});
  }
  json out = {{"name", a.namespace_name + "/" + a.name},
              {"target", {a.target.api_version, a.target.kind, a.target.name}},
              {"min", s.min_replicas},
              {"max", s.max_replicas},
              {"metrics", metrics},
              {"cooldown", s.cooldown_period_seconds},
              {"initialCooldown", s.initial_cooldown_period_seconds},
              {"idle", s.idle_replicas ? json(*s.idle_replicas) : json(nullptr)},
              {"polling", s.polling_interval_seconds},
              {"paused", s.paused},
              {"pausedReplicas", s.paused_replicas ? json(*s.paused_replicas) : json(nullptr)}};
  out["behavior"] = s.behavior ? json{{"up", Rules(s.behavior->scale_up)},
                                      {"down", Rules(s.behavior->scale_down)}}
                               : json(nullptr);
  out["fallback"] = s.fallback ? json{s.fallback->failure_threshold, s.fallback->replicas,
                                      static_cast<int>(s.fallback->behavior)}
                               : json(nullptr);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: ebb_api_dump FILE\n";
    return 2;
  }
  auto list = ebb::api::LoadAutoscalers(argv[1]);
  if (!list) {
    std::cerr << list.error().message << "\n";
    return 2;
  }
  for (const auto& a : *list) std::cout << Dump(a).dump() << "\n";
  return 0;
}

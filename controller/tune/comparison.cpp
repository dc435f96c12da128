#include "controller/tune/comparison.h"

#include <algorithm>
#include <cstdio>

#include "controller/api/autoscaler.h"
#include "controller/sim/number_text.h"
#include "controller/sim/simulator.h"

namespace ebb::tune {

Result<sim::Summary> RunPolicy(const nlohmann::json& autoscaler, const sim::SimulationConfig& cfg,
                               sim::SampleSource& source, bool with_ideal) {
  RunOptions o;
  o.plan_ideal = with_ideal;
  return RunPolicy(autoscaler, cfg, source, o);
}

Result<sim::Summary> RunPolicy(const nlohmann::json& autoscaler, const sim::SimulationConfig& cfg,
                               sim::SampleSource& source, const RunOptions& options) {
  auto a = api::ParseAutoscaler(autoscaler);
  if (!a) return a.error();
  // The search's arrival-rate model applies only to the candidates that have its metric.
  sim::SimulationConfig own = cfg;
  std::erase_if(own.models, [&](const auto& kv) {
    if (kv.second.type != sim::ModelType::kArrivalRate) return false;
    return std::none_of(a->spec.metrics.begin(), a->spec.metrics.end(),
                        [&](const decision::MetricSpec& m) { return m.name == kv.first; });
  });
  auto models = sim::ResolveModels(own, a->spec, a->name);
  if (!models) return models.error();
  sim::SimulationInput input;
  input.autoscaler = a->name;
  input.spec = a->spec;
  input.models = std::move(*models);
  input.settings = cfg.settings;
  input.initial_replicas = cfg.initial_replicas.value_or(input.spec.min_replicas);
  input.startup_delay = Seconds(cfg.startup_delay_seconds);
  input.staleness = Seconds(cfg.staleness_seconds);
  input.cost_per_replica_hour = cfg.cost_per_replica_hour;
  input.seed = cfg.seed;
  input.slo = cfg.slo;
  input.keep_history =
      (options.plan_ideal || options.ideal || options.ideal_input) && cfg.slo.has_value();
  input.count_waits_over_seconds = options.count_waits_over_seconds;
  sim::SummaryBuilder summary(input);
  if (!options.plan_ideal) summary.UseIdeal(options.ideal);
  std::vector<sim::TickObserver*> observers{&summary};
  if (options.observer != nullptr) observers.push_back(options.observer);
  auto info = sim::RunSimulation(input, source, observers);
  if (!info) return info.error();
  if (options.ideal_input != nullptr) *options.ideal_input = sim::IdealInputForRun(input, *info);
  if (options.waits != nullptr) {
    for (size_t i = 0; i < info->final_queues.size() && i < info->is_queue.size(); ++i) {
      if (info->is_queue[i]) {
        *options.waits = info->final_queues[i].waits;
        break;
      }
    }
  }
  return summary.Finish(*info);
}

namespace {

std::string Cell(const std::string& s, size_t width) {
  return s.size() >= width ? s + " " : s + std::string(width - s.size(), ' ');
}

std::string RightCell(const std::string& s, size_t width) {
  return s.size() >= width ? " " + s : std::string(width - s.size(), ' ') + s;
}

}  // namespace

std::string FormatComparison(const std::vector<ComparedPolicy>& rows) {
  size_t label_width = 20;
  for (const auto& r : rows) label_width = std::max(label_width, r.label.size() + 2);
  const sim::Summary* with_ideal = nullptr;
  for (const auto& r : rows) {
    if (r.summary.ideal && with_ideal == nullptr) with_ideal = &r.summary;
  }
  std::string o = Cell("policy", label_width) + RightCell("replica-h", 11) +
                  RightCell("x ideal", 9) + RightCell("cost", 10) + RightCell("p95 wait", 10) +
                  RightCell("p99 wait", 10) + RightCell("SLO", 8) + RightCell("events/h", 10) +
                  RightCell("at max", 8) + "\n";
  const double ideal_hours = with_ideal ? with_ideal->ideal->replica_hours : 0;
  if (with_ideal != nullptr) {
    const auto& id = *with_ideal->ideal;
    const double hours = with_ideal->duration_seconds / 3600.0;
    o += Cell("ideal (clairvoyant)", label_width) +
         RightCell(sim::FormatFixed(id.replica_hours, 1), 11) + RightCell("1.00", 9) +
         RightCell(sim::FormatFixed(id.replica_hours * with_ideal->cost_per_replica_hour, 2), 10) +
         RightCell("-", 10) + RightCell("-", 10) + RightCell(id.met ? "met" : "MISSED", 8) +
         RightCell(sim::FormatFixed(hours > 0 ? id.scale_events / hours : 0, 1), 10) +
         RightCell("-", 8) + "\n";
    o += Cell("work bound", label_width) + RightCell(sim::FormatFixed(id.work_bound_hours, 1), 11);
    // The optimum lies between the two: how far the greedy ideal can be from it.
    if (id.work_bound_hours > 0) {
      o += "   (the optimum lies between; the ideal is at most " +
           sim::FormatFixed(id.replica_hours / id.work_bound_hours, 2) + "x it)";
    }
    o += "\n";
  }
  for (const auto& r : rows) {
    const sim::Summary& s = r.summary;
    const sim::QueueSummary* q = s.queues.empty() ? nullptr : &s.queues.front();
    o += Cell(r.label, label_width) + RightCell(sim::FormatFixed(s.replica_hours, 1), 11) +
         RightCell(ideal_hours > 0 ? sim::FormatFixed(s.replica_hours / ideal_hours, 2) : "-", 9) +
         RightCell(sim::FormatFixed(s.cost, 2), 10) +
         RightCell(q ? sim::FormatFixed(q->wait_p95, 1) + " s" : "-", 10) +
         RightCell(q ? sim::FormatFixed(q->wait_p99, 1) + " s" : "-", 10) +
         RightCell(s.slo ? (s.slo_met ? "met" : "MISSED") : "-", 8) +
         RightCell(sim::FormatFixed(sim::ScaleEventsPerHour(s), 1), 10) +
         RightCell(sim::FormatShare(s.seconds_at_max, s.duration_seconds, "-"), 8) + "\n";
  }
  return o;
}

nlohmann::json ComparisonToJson(const std::vector<ComparedPolicy>& rows) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : rows) {
    const sim::Summary& s = r.summary;
    nlohmann::json j = {{"policy", r.label},
                        {"replicaHours", s.replica_hours},
                        {"cost", s.cost},
                        {"scaleEventsPerHour", sim::ScaleEventsPerHour(s)},
                        {"secondsAtMaxReplicas", s.seconds_at_max}};
    if (!s.queues.empty()) {
      j["waitSeconds"] = {{"p95", s.queues.front().wait_p95}, {"p99", s.queues.front().wait_p99}};
    }
    if (s.slo) j["sloMet"] = s.slo_met;
    if (s.ideal) {
      const double hours = s.duration_seconds / 3600.0;
      j["ideal"] = {{"replicaHours", s.ideal->replica_hours},
                    {"workBoundReplicaHours", s.ideal->work_bound_hours},
                    {"waitSeconds", s.ideal->wait_quantile},
                    {"met", s.ideal->met},
                    {"scaleEventsPerHour", hours > 0 ? s.ideal->scale_events / hours : 0.0},
                    {"budgetShare", s.ideal->budget_share}};
    }
    out.push_back(j);
  }
  return out;
}

}  // namespace ebb::tune

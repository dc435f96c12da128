// Several policies on the same recording, seed and models: each run through the simulator, then
// one table (replica-hours, cost, waits, SLO, scale events per hour, time at maxReplicas) with
// the ideal schedule as the first row.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "controller/base/result.h"
#include "controller/sim/ideal_schedule.h"
#include "controller/sim/sample_source.h"
#include "controller/sim/simulation_config.h"
#include "controller/sim/summary.h"

namespace ebb::tune {

struct RunOptions {
  // Plan the run's ideal schedule (needs the SLO and a pool queue; the slow part).
  bool plan_ideal = false;
  // Or judge the run against this ideal, planned once for its span (IdealInputForRun).
  std::optional<sim::IdealResult> ideal;
  // Receives what the run's ideal is planned from (nullopt: no SLO or no pool queue).
  std::optional<sim::IdealInput>* ideal_input = nullptr;
  // Sees every tick and may stop the run early (sim::TickObserver::Stop).
  sim::TickObserver* observer = nullptr;
  double count_waits_over_seconds = 0;  // sim::SimulationInput's, for the observer
  // Receives the waits of the first queue metric's tasks (the ones the SLO is judged on), to
  // judge a percentile over several runs' tasks together.
  sim::Histogram* waits = nullptr;
};

// Runs one Autoscaler document (JSON) with the Simulation's models, seed and SLO. With
// `with_ideal` the summary also carries the ideal schedule (it needs the SLO and a pool queue).
// Errors: the document does not parse, or the models do not fit its metrics.
Result<sim::Summary> RunPolicy(const nlohmann::json& autoscaler, const sim::SimulationConfig& cfg,
                               sim::SampleSource& source, const RunOptions& options);
Result<sim::Summary> RunPolicy(const nlohmann::json& autoscaler, const sim::SimulationConfig& cfg,
                               sim::SampleSource& source, bool with_ideal);

struct ComparedPolicy {
  std::string label;
  sim::Summary summary;
};

// The table, plain text; the ideal row comes from the first summary that has one.
std::string FormatComparison(const std::vector<ComparedPolicy>& rows);
nlohmann::json ComparisonToJson(const std::vector<ComparedPolicy>& rows);

}  // namespace ebb::tune

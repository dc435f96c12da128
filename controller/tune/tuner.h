// The search behind `ebb tune`: coordinate descent over the queue metric's target, the scale-up
// and scale-down windows and policies, the floor (minReplicas) and an optional second metric
// (the queue's arrival rate), each candidate simulated on the training part of the recording.
// The objective: the fewest replica-hours among the candidates that meet the SLO with at most
// `max_events_per_hour` scale events per hour; candidates that miss are ranked by how far they
// miss, so the search walks towards feasibility first. The winner is then run on the held-out
// last part of the recording, which the search never saw.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "controller/sim/simulation_config.h"
#include "controller/sim/summary.h"
#include "controller/tune/buffered_recording.h"
#include "controller/tune/candidate.h"

namespace ebb::tune {

struct TuneOptions {
  double holdout = 0.25;  // the share of the recording's span kept for the check
  double max_events_per_hour = 4;
  int threads = 2;
  int passes = 2;
};

struct Evaluated {
  Candidate candidate;
  double replica_hours = 0;
  double wait = 0;  // at the SLO's percentile
  double events_per_hour = 0;
  bool slo_met = false;
  bool feasible = false;  // SLO met and events within the bound
};

struct TuneResult {
  bool found = false;  // a candidate met the SLO within the event bound on the training part
  Candidate best;
  nlohmann::json recommended;    // the Autoscaler document with the best candidate's settings
  sim::Summary train;            // the best on the training part
  sim::Summary holdout;          // the best on the held-out part (with its ideal)
  std::vector<Evaluated> front;  // cost-vs-wait Pareto front of every candidate tried
  int64_t runs = 0;
  double seconds = 0;
  int64_t holdout_from_ms = 0;
};

// Errors: the Simulation has no SLO or no queue model, or a simulation fails.
Result<TuneResult> Tune(const nlohmann::json& autoscaler, const sim::SimulationConfig& cfg,
                        const BufferedRecording& recording, const TuneOptions& options);

// The name the added arrival-rate metric gets (unused by the Autoscaler's metrics).
std::string RateMetricName(const nlohmann::json& autoscaler);

}  // namespace ebb::tune

// The ideal a policy is measured against: a clairvoyant schedule that knows every arrival and
// service time in advance (the same tasks the policy's run saw: same recording, seed and pool
// model), holds an integer replica count per polling interval within [minReplicas, maxReplicas],
// starts replicas a start-up delay early and pays for that start-up, and meets the SLO.
//
// Built greedily, interval by interval: the fewest replicas for which the tasks started so far
// exceeded the wait objective no more often than a share of the SLO's budget (1 - percentile of
// the tasks arrived so far) allows, and the oldest waiting task at the interval's end has not
// exceeded it; then dips shorter than a start-up are filled. The schedule is then replayed
// through the same pool model and judged exactly as a policy's run is (the percentile of every
// task's wait, censored ones included, by the same histogram); when that misses, the greedy
// pass is rebuilt with a smaller share of the budget (95 %, 85 %, ... 0 %: no task late). So it
// meets the SLO by construction whenever maxReplicas can, and `met` is false only when not.
//
// Greedy is not optimal: its cost is an upper bound on the true optimum. The work bound (the
// service seconds of every task over the slots a replica has, as if every slot were busy all the
// time) is a lower bound, so the optimum lies between the two and ideal / work bound - 1 bounds
// how far the ideal can be from it.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "controller/sim/simulator.h"

namespace ebb::sim {

struct IdealResult {
  std::string metric;
  double replica_hours = 0;
  double startup_replica_hours = 0;  // included above: start-ups paid
  double work_bound_hours = 0;
  double wait_quantile = 0;  // the SLO's percentile of wait the ideal achieved
  bool met = false;          // false when even maxReplicas cannot meet the SLO
  int32_t scale_events = 0;
  double block_seconds = 0;
  double budget_share = 0;        // the share of the SLO's lateness budget the greedy pass spent
  int32_t attempts = 0;           // greedy passes built until one met the SLO
  std::vector<int32_t> replicas;  // per block from the run's start
};

struct IdealInput {
  std::vector<RateSegment> arrivals;  // seconds since the run's start
  double end_seconds = 0;
  double block_seconds = 15;
  double startup_seconds = 30;
  int32_t min_replicas = 1;
  int32_t max_replicas = 1;
  int32_t concurrency = 1;
  ServiceTime service;
  uint64_t seed = 1;
  Slo slo;
};

IdealResult ComputeIdeal(const IdealInput& in);

// The ideal for a finished run: for the first pool queue metric, when the input has an SLO.
// nullopt when there is no SLO or no pool queue.
std::optional<IdealResult> IdealForRun(const SimulationInput& input, const RunInfo& info);

}  // namespace ebb::sim

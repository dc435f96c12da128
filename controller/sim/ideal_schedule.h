// The ideal a policy is measured against: a clairvoyant schedule that knows every arrival and
// service time in advance (the same tasks the policy's run saw: same recording, seed and pool
// model), holds an integer replica count per polling interval within [minReplicas, maxReplicas],
// starts replicas a start-up delay early and pays for that start-up, and meets the SLO.
//
// It is built greedily, interval by interval: the fewest replicas for which the tasks that
// started so far exceed the wait objective no more often than the SLO allows (1 - percentile of
// the tasks that arrived so far) and the oldest waiting task at the interval's end has not yet
// exceeded it. Greedy is not optimal, so the ideal is an upper bound on the true optimum: a
// policy's ratio to it flatters the policy slightly, never the other way round.
//
// The work bound is cheaper still: the service seconds of every task divided by the slots a
// replica has, as if every slot were busy all the time.
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

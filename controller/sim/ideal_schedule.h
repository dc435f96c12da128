// The ideal a policy is measured against: a clairvoyant schedule that knows every arrival and
// service time in advance (the same tasks the policy's run saw: same recording, seed and pool
// model), holds an integer replica count per polling interval within [minReplicas, maxReplicas],
// starts replicas a start-up delay early and pays for that start-up, and meets the SLO. It
// starts where the policy's run starts: its initial replicas ready, any more serving only a
// start-up delay after the run's start (a policy cannot have them sooner either).
//
// Built from the tasks known ahead (the pool draws them independently of its slots), in two
// steps, each a latest-start plan: block by block the fewest replicas for which no more tasks
// wait longer than the objective over the next blocks (the objective plus tasks in flight) than
// with that block at its cap; so every task starts as late as its deadline allows, never so late
// that a burst ahead can no longer be met. First with every cap at maxReplicas: the plan that
// makes no task late that maxReplicas could serve in time. Then the SLO's lateness budget (1 -
// percentile of all tasks) is spent on that plan's peaks: caps at its running mean plus theta,
// the lowest theta whose plan stays within the budget found by bisection. Dips shorter than a
// start-up are filled, and the schedule is replayed through the pool model itself and judged
// exactly as a policy's run is (the percentile of every task's wait, censored ones included, by
// the same histogram); `met` is false only when maxReplicas cannot meet the SLO.
//
// The result is an upper bound on the true optimum (a heuristic, not a proof of optimality);
// the work bound (the service seconds of every task over the slots a replica has, as if every
// slot were busy all the time) is a lower bound. A policy costing less than the ideal while
// meeting the SLO means the ideal is wrong: tests/tune checks the tuned policy against it.
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
  double budget_share = 0;        // the share of the SLO's lateness budget the plan spent
  int32_t attempts = 0;           // latest-start plans built (the bisection's passes)
  std::vector<int32_t> replicas;  // per block from the run's start
};

struct IdealInput {
  std::string metric;                 // the queue metric's name, for the result
  std::vector<RateSegment> arrivals;  // seconds since the run's start
  double end_seconds = 0;
  double block_seconds = 15;
  double startup_seconds = 30;
  int32_t min_replicas = 1;
  int32_t max_replicas = 1;
  // Replicas ready at the start (clamped to the bounds); more serve only from the first block
  // a start-up delay in. Below zero: as many as the plan wants, ready at once (no cold start).
  int32_t initial_replicas = -1;
  int32_t concurrency = 1;
  ServiceTime service;
  uint64_t seed = 1;
  Slo slo;
};

IdealResult ComputeIdeal(const IdealInput& in);

// The ideal for a finished run: for the first pool queue metric, when the input has an SLO.
// nullopt when there is no SLO or no pool queue.
std::optional<IdealResult> IdealForRun(const SimulationInput& input, const RunInfo& info);

// What IdealForRun plans from (the run kept its arrival history): to plan it elsewhere, on a
// thread of its own or once for many runs of the same span.
std::optional<IdealInput> IdealInputForRun(const SimulationInput& input, const RunInfo& info);

// The ideal within an event rate: `ideal` (planned from `in`) with its levels (runs of one
// count) merged, the cheapest merge first (two neighbouring levels become one at the higher
// count; the cost is the replica-seconds added), until it makes at most `max_events_per_hour`
// scale events. It only adds replicas, so no task starts later and it meets the SLO where the
// ideal does. A cold start's blocks stay as planned. An upper bound on the cheapest schedule
// within that rate (a greedy merge, not an optimum), to tell how much of a policy's distance
// from the ideal is the price of scaling as seldom as it does (the unbounded ideal may change
// its count every block).
IdealResult HoldIdeal(const IdealInput& in, const IdealResult& ideal, double max_events_per_hour);

// The tasks of that run's pool, drawn ahead (the same sample path every run of the span and
// seed sees, up to rounding): PoolQueue replays them instead of drawing its own.
PoolTasks DrawTasks(const IdealInput& in);

}  // namespace ebb::sim

// What a run comes to: replica-hours and cost, scale events, replica statistics, and for queue
// models the backlog and the wait a task saw. Accumulated tick by tick in fixed memory.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "controller/sim/flapping.h"
#include "controller/sim/histogram.h"
#include "controller/sim/ideal_schedule.h"
#include "controller/sim/simulator.h"

namespace ebb::sim {

struct QueueSummary {
  std::string metric;
  double arrived = 0;
  double served = 0;
  double backlog_end = 0;
  double in_flight_end = 0;
  double work_seconds = 0;  // pool: service seconds of every task
  double backlog_p50 = 0, backlog_p95 = 0, backlog_p99 = 0, backlog_max = 0;
  // Over every task that arrived: the served ones with their wait, the ones still queued at the
  // end (`censored`, = backlog_end) with their wait so far, a lower bound.
  double wait_p50 = 0, wait_p95 = 0, wait_p99 = 0, wait_max = 0, wait_mean = 0;
  double censored = 0;
  // Time the backlog per ready replica was above the metric's target (AverageValue), or the
  // backlog above the target (Value).
  double seconds_above_target = 0;
  // The wait distribution for charts: (wait seconds, share of tasks waiting at most that long)
  // at every percentile, 99.5, 99.9 and the max.
  std::vector<std::pair<double, double>> wait_cdf;
};

struct Summary {
  std::string autoscaler;
  Timestamp start{};
  Timestamp end{};
  int64_t ticks = 0;
  int32_t tick_seconds = 15;
  double duration_seconds = 0;
  double replica_hours = 0;
  double cost_per_replica_hour = 0;
  double cost = 0;
  int32_t scale_ups = 0;
  int32_t scale_downs = 0;
  int32_t min_replicas = 0;
  int32_t max_replicas = 0;
  double mean_replicas = 0;
  int32_t spec_min = 0;
  int32_t spec_max = 0;
  decision::Settings settings;  // the controller-level settings the run used
  double seconds_at_min = 0;
  double seconds_at_max = 0;
  // Scale-downs to 0 while a queue metric still had tasks waiting or in flight.
  int32_t zero_while_busy = 0;
  std::vector<std::string> metrics;
  std::vector<int64_t> failed_readings;  // per metric
  std::vector<QueueSummary> queues;
  // The SLO (when the Simulation has one), judged on the first queue metric's waits.
  std::optional<Slo> slo;
  double slo_wait = 0;  // that queue's wait at the SLO's percentile
  bool slo_met = false;
  std::optional<IdealResult> ideal;  // the clairvoyant schedule at the SLO (pool queues)
  // Sum over time of |replicas - the ideal's replicas|, in replica-hours: how far the schedule
  // is from the ideal's, over- and under-provisioning alike (0 without an ideal).
  double ideal_distance_hours = 0;
  FlappingRule flapping_rule;
  FlappingResult flapping;
  std::vector<std::string> warnings;
};

double ScaleEventsPerHour(const Summary& s);
// The ideal distance per hour: the mean |replicas - ideal| over the run.
double MeanIdealDistance(const Summary& s);
// "2 regions, 1.5 h (more than 4 direction changes in 30.0 min); 57 direction changes"
std::string FlappingText(const Summary& s);

// Replica time counts the replicas after each tick's patch for the interval up to the next tick,
// so a run of n ticks covers (n - 1) intervals and the last tick only sets the final count.
class SummaryBuilder final : public TickObserver {
 public:
  explicit SummaryBuilder(const SimulationInput& input, FlappingRule flapping = {});
  void OnTick(const TickRecord& tick) override;
  // Finish takes this ideal instead of computing it: policies compared on one recording share
  // it (computing it replays the pool about ten times).
  void UseIdeal(std::optional<IdealResult> ideal);
  Summary Finish(const RunInfo& info) const;

 private:
  struct QueueAcc {
    size_t metric = 0;
    Histogram backlog;
    double seconds_above = 0;
  };

  void CloseInterval(double seconds);

  const SimulationInput& input_;
  bool have_prev_ = false;
  bool have_start_ = false;
  Timestamp start_at_{};
  Timestamp prev_at_{};
  int32_t prev_replicas_ = 0;
  std::vector<bool> prev_above_;
  double replica_seconds_ = 0;
  double seconds_ = 0;
  double seconds_at_min_ = 0;
  double seconds_at_max_ = 0;
  int32_t min_ = 0, max_ = 0;
  int32_t ups_ = 0, downs_ = 0;
  int32_t zero_while_busy_ = 0;
  std::vector<int64_t> failed_;
  std::vector<QueueAcc> queues_;
  FlappingDetector flapping_;
  // Replicas after each tick, kept with the history the ideal needs (its distance).
  std::vector<int32_t> replicas_per_tick_;
  bool ideal_given_ = false;
  std::optional<IdealResult> given_ideal_;
};

// Sum of |replicas - ideal| over the run's intervals, in replica-hours: the replicas after tick k
// hold until tick k + 1, the ideal's block k covers the same interval (both step at the polling
// interval from the run's start).
double IdealDistance(const std::vector<int32_t>& replicas_per_tick, const IdealResult& ideal,
                     double tick_seconds);

std::string FormatSummaryText(const Summary& s);
// " (incl. N tasks still queued at the end, ...)" after a wait line; empty when none were.
std::string CensoredNote(const QueueSummary& q);
nlohmann::json SummaryToJson(const Summary& s);

}  // namespace ebb::sim

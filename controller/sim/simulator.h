// The driver: a simulated clock ticking at the Autoscaler's polling interval from the first
// recorded timestamp to the end of the interval the last sample covers (see Workload), feeding the
// recording into the workload models and calling the same runtime::Reconciler the controller runs.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "controller/decision/types.h"
#include "controller/sim/sample_source.h"
#include "controller/sim/simulation_config.h"
#include "controller/sim/workload.h"

namespace ebb::sim {

class Workload;

struct SimulationInput {
  std::string autoscaler;
  decision::Spec spec;
  decision::Settings settings;
  std::vector<ModelConfig> models;  // per spec metric
  int32_t initial_replicas = 1;
  Duration startup_delay = Seconds(30);
  Duration staleness = Seconds(300);
  double cost_per_replica_hour = 0;
  // A recording longer than either bound is refused (a typo in a timestamp, not a workload).
  int64_t max_span_days = 400;
  int64_t max_ticks = 10'000'000;
  // A metric without samples for longer than this is reported as a warning, with its position.
  Duration gap_warning = Seconds(6 * 3600);
  uint64_t seed = 1;          // the pool models' random arrivals and service times
  std::optional<Slo> slo;     // judged in the summary; the ideal schedule is built to meet it
  bool keep_history = false;  // keep queue arrival rates for the ideal schedule (RunInfo)
  // Pool queues count the tasks started after waiting longer than this (0: not counted), as
  // PoolQueue::exceeded() (Workload::pool(i)), for an observer that stops a hopeless run.
  double count_waits_over_seconds = 0;
};

struct MetricTick {
  double load = 0;         // the model's input (see Workload::load)
  double value = 0;        // what the core was given; NaN when the reading failed
  double compared = 0;     // the number the core compared with the target (NaN: none)
  int32_t proposal = -1;   // -1 when the metric failed
  double backlog = 0;      // queue models: tasks waiting
  double in_flight = 0;    // pool models: tasks being worked on
  double oldest_wait = 0;  // queue models: seconds the oldest queued task has waited
};

struct TickRecord {
  Timestamp at{};
  std::span<const MetricTick> metrics;
  int32_t replicas_before = 0;  // spec replicas the core saw
  int32_t ready = 0;            // ready replicas the core saw
  int32_t desired = 0;
  int32_t replicas_after = 0;  // spec replicas after this tick's patch
  bool patched = false;
  decision::Reason reason = decision::Reason::kDesiredWithinRange;
  const decision::Decision* decision = nullptr;
  const Workload* workload = nullptr;
};

class TickObserver {
 public:
  virtual ~TickObserver() = default;
  virtual void OnTick(const TickRecord& tick) = 0;
  // True once the run may end here (a search that has seen enough of a candidate): the run
  // stops after this tick and RunInfo::stopped says so.
  virtual bool Stop() const { return false; }
};

struct RunInfo {
  bool stopped = false;  // an observer stopped the run before the recording's end
  Timestamp first{};
  Timestamp last{};
  int64_t ticks = 0;
  int64_t samples = 0;
  int64_t unknown_samples = 0;             // rows whose metric the spec does not have
  std::vector<std::string> unknown_names;  // the first few of them
  std::vector<std::string> warnings;
  int64_t long_gaps = 0;  // gaps longer than SimulationInput::gap_warning, over all metrics
  // Per spec metric: the queue at the end of the run (queue models only; empty otherwise).
  std::vector<QueueTotals> final_queues;
  std::vector<bool> is_queue;
  // Per spec metric: its arrival rate over the run (queue models, with keep_history).
  std::vector<std::vector<RateSegment>> arrival_history;
};

// Runs the whole recording; observers see every tick. Errors: the recording is malformed, empty
// or spans more than the limits allow (kParse / kInvalidConfig).
Result<RunInfo> RunSimulation(const SimulationInput& input, SampleSource& source,
                              std::span<TickObserver* const> observers);

}  // namespace ebb::sim

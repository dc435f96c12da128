// The simulated world behind the metrics: each spec metric's workload model turns the recording
// into what the core would read, given how many replicas are ready. This is the feedback a plain
// replay lacks (CPU replayed open-loop makes any policy run to max).
//   replay: the value as recorded (per pod for per-pod metrics);
//   demand: the recording is total demand; each ready pod sees demand / ready (+ a baseline);
//   queue:  the recording is arrivals; ready replicas drain serviceRate tasks/s each (fluid), or
//           work through tasks with drawn service times in `concurrency` slots each (pool); the
//           metric is the backlog (or backlog + in-flight);
//   arrivalRate: a queue metric's arrivals per second over a window, as Prometheus' rate().
// Each sample covers one interval from its timestamp: the metric's step (the smallest gap between
// its samples so far; the polling interval before there is one), or a queue's intervalSeconds.
// A replay or demand reading fails, as a broken source would, when the latest sample is older than
// the staleness limit; the core then applies its own rules (never scale down on missing data). A
// queue's reading never goes stale: a missing row means no arrivals, and the simulator knows the
// backlog exactly.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string_view>
#include <vector>

#include "controller/runtime/reconciler.h"
#include "controller/sim/fluid_queue.h"
#include "controller/sim/histogram.h"
#include "controller/sim/pool_queue.h"
#include "controller/sim/simulated_target.h"
#include "controller/sim/simulation_config.h"

namespace ebb::sim {

// One stretch of a queue metric's arrival rate, in seconds since the run's start.
struct RateSegment {
  double start = 0;
  double end = 0;
  double rate = 0;  // tasks per second
};

// A queue at the end of a run: what the summary needs, whichever model ran it.
struct QueueTotals {
  double arrived = 0;
  double served = 0;  // left the queue (started, for a pool)
  double backlog = 0;
  double in_flight = 0;
  double work_seconds = 0;  // pool: service seconds of every task that arrived
  Histogram waits;          // incl. the tasks still queued, with their wait so far
};

class Workload final : public runtime::MetricReader {
 public:
  // `seed` drives the pool models (each metric its own stream).
  Workload(const decision::Spec& spec, std::vector<ModelConfig> models, SimulatedTarget& target,
           Timestamp start, Duration staleness, uint64_t seed = 1);
  Workload(const Workload&) = delete;
  Workload& operator=(const Workload&) = delete;

  // Index of the spec metric a recording's name feeds; -1 when the spec has no such metric.
  int32_t IndexOf(std::string_view name) const;
  // A sample of spec metric `metric`, in time order, before AdvanceTo passes its time. Returns
  // the end of the interval it covers.
  Timestamp OnSample(int32_t metric, Timestamp at, double value);
  // Runs the queues from the previous call to `now`, following the target's ready count.
  void AdvanceTo(Timestamp now);

  void Read(Timestamp now, const runtime::ScaleInfo& scale, decision::Observation& obs) override;

  size_t size() const { return metrics_.size(); }
  const ModelConfig& model(size_t i) const { return metrics_[i].model; }
  // The model's input at the last tick: the recorded value (x scale); for a queue, the arrival
  // rate per second since the previous tick.
  double load(size_t i) const;
  // The value the core was given at the last Read (per-pod metrics: the per-pod value).
  double value(size_t i) const { return metrics_[i].last_read; }
  // The fluid queue of a fluid queue model; null otherwise.
  const FluidQueue* queue(size_t i) const {
    return IsFluid(metrics_[i]) ? &metrics_[i].queue : nullptr;
  }
  const PoolQueue* pool(size_t i) const { return metrics_[i].pool.get(); }
  bool is_queue(size_t i) const { return metrics_[i].model.type == ModelType::kQueue; }
  double backlog(size_t i) const;
  double in_flight(size_t i) const;
  double oldest_wait(size_t i, double now_seconds) const;
  QueueTotals Totals(size_t i, double now_seconds) const;
  // The arrival rate the queue metric has seen so far (recorded only when `keep_history`).
  const std::vector<RateSegment>& arrival_history(size_t i) const { return metrics_[i].history; }
  void set_keep_history(bool keep) { keep_history_ = keep; }
  // Pool queues count the tasks started after waiting longer than `seconds` (PoolQueue::exceeded).
  void set_wait_limit(double seconds) {
    for (auto& m : metrics_) {
      if (m.pool) m.pool->set_wait_limit(seconds);
    }
  }
  int64_t samples(size_t i) const { return metrics_[i].samples; }
  int64_t dropped_arrivals(size_t i) const { return metrics_[i].dropped; }

 private:
  struct Segment {
    int64_t start_ms;
    int64_t end_ms;
    double rate;  // tasks per second
  };
  struct MetricState {
    ModelConfig model;
    decision::SourceType type = decision::SourceType::kExternal;
    bool per_pod = false;
    bool has_sample = false;
    Timestamp last_at{};
    double last_value = 0;  // scaled
    int64_t samples = 0;
    int64_t dropped = 0;
    int64_t step_ms = 0;  // smallest gap between samples so far; 0 before the second one
    double last_read = 0;
    // queue
    std::vector<Segment> segments;
    FluidQueue queue;
    std::unique_ptr<PoolQueue> pool;
    std::unique_ptr<Histogram> pool_waits;
    double tick_arrivals = 0;
    double tick_seconds = 0;
    std::vector<RateSegment> history;
    // Cumulative arrivals at the end of each tick, for arrivalRate readers (ms, tasks).
    std::deque<std::pair<int64_t, double>> counter;
    double window_ms = 0;  // the longest window a reader needs
    // arrivalRate: the queue metric it reads
    int32_t of = -1;
  };

  static bool IsFluid(const MetricState& m) {
    return m.model.type == ModelType::kQueue && m.model.queue_kind == QueueKind::kFluid;
  }
  void AdvanceQueue(MetricState& m, int64_t from_ms, int64_t to_ms);
  double Arrived(const MetricState& m) const;
  double RateOf(const MetricState& source, double window_ms) const;

  const decision::Spec& spec_;
  std::vector<std::string> names_;
  std::vector<MetricState> metrics_;
  SimulatedTarget& target_;
  Timestamp start_;
  Duration staleness_;
  bool needs_pods_ = false;
  std::vector<decision::ResourceRequest> pod_requests_;
  int64_t advanced_ms_;
  bool keep_history_ = false;
  std::vector<int64_t> cuts_;  // reused
};

}  // namespace ebb::sim

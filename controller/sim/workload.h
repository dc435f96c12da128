// The simulated world behind the metrics: each spec metric's workload model turns the recording
// into what the core would read, given how many replicas are ready. This is the feedback a plain
// replay lacks (CPU replayed open-loop makes any policy run to max).
//   replay: the value as recorded (per pod for per-pod metrics);
//   demand: the recording is total demand; each ready pod sees demand / ready (+ a baseline);
//   queue:  the recording is arrivals; ready replicas drain serviceRate tasks/s each; the metric
//           is the backlog.
// Each sample covers one interval from its timestamp: the metric's step (the smallest gap between
// its samples so far; the polling interval before there is one), or a queue's intervalSeconds.
// A replay or demand reading fails, as a broken source would, when the latest sample is older than
// the staleness limit; the core then applies its own rules (never scale down on missing data). A
// queue's reading never goes stale: a missing row means no arrivals, and the simulator knows the
// backlog exactly.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "controller/runtime/reconciler.h"
#include "controller/sim/fluid_queue.h"
#include "controller/sim/simulated_target.h"
#include "controller/sim/simulation_config.h"

namespace ebb::sim {

class Workload final : public runtime::MetricReader {
 public:
  Workload(const decision::Spec& spec, std::vector<ModelConfig> models, SimulatedTarget& target,
           Timestamp start, Duration staleness);

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
  const FluidQueue* queue(size_t i) const {
    return metrics_[i].model.type == ModelType::kQueue ? &metrics_[i].queue : nullptr;
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
    double tick_arrivals = 0;
    double tick_seconds = 0;
  };

  void AdvanceQueue(MetricState& m, int64_t from_ms, int64_t to_ms);

  const decision::Spec& spec_;
  std::vector<std::string> names_;
  std::vector<MetricState> metrics_;
  SimulatedTarget& target_;
  Timestamp start_;
  Duration staleness_;
  bool needs_pods_ = false;
  std::vector<decision::ResourceRequest> pod_requests_;
  int64_t advanced_ms_;
  std::vector<int64_t> cuts_;  // reused
};

}  // namespace ebb::sim

// The settings of one simulation: a `kind: Simulation` document (ebb.dev/v1alpha1) that sits
// next to the Autoscaler or in its own file, overridden by command-line flags.
//
//   apiVersion: ebb.dev/v1alpha1
//   kind: Simulation
//   metadata: {name: celery-day}
//   spec:
//     autoscaler: celery-worker      # optional when the file holds one Autoscaler
//     initialReplicas: 1             # default: max(minReplicas, 1)
//     startupDelaySeconds: 30        # default 30
//     costPerReplicaHour: 0.05       # default 0
//     stalenessSeconds: 300          # default 300, as Prometheus' lookback
//     settings: {tolerance: 0.1}     # controller-level settings, as `ebb run`'s flags
//     models:
//       backlog: {type: queue, serviceRate: 0.5, intervalSeconds: 60, scale: 10}
//       cpu: {type: demand, request: 500m, perPodBaseline: 20m}
//     seed: 1                        # the pool model's random arrivals and service times
//     slo: {waitSeconds: 120, percentile: 99}   # the objective the ideal schedule meets
//
// A queue model is a fluid by default; `queueModel: pool` simulates tasks in a worker pool:
//       backlog: {type: queue, queueModel: pool, concurrency: 4, reading: backlogAndInFlight,
//                 serviceTime: {distribution: lognormal, meanSeconds: 8, cv: 1.5}}
//       arrivals: {type: arrivalRate, of: backlog, windowSeconds: 120}
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "controller/base/result.h"
#include "controller/decision/types.h"
#include "controller/sim/service_time.h"

namespace ebb::sim {

inline constexpr const char* kSimulationKind = "Simulation";

enum class ModelType : uint8_t { kReplay, kDemand, kQueue, kArrivalRate };
enum class QueueKind : uint8_t { kFluid, kPool };
// What a queue metric reads: the tasks waiting, or those plus the tasks being worked on (what
// KEDA recommends for queues, and what keeps a pool with minReplicas 0 active while busy).
enum class QueueReading : uint8_t { kBacklog, kBacklogAndInFlight };

const char* ToString(ModelType t);

struct PoolTasks;  // pool_queue.h

struct ModelConfig {
  ModelType type = ModelType::kReplay;
  // Every recorded value is multiplied by this first (derive a bigger load from a small trace).
  double scale = 1.0;
  // queue: tasks one ready replica finishes per second.
  double service_rate = 0;
  // queue: the span each recorded arrivals count covers, starting at its timestamp. Unset: the
  // metric's step, the smallest gap between its samples so far (first: the polling interval).
  std::optional<double> interval_seconds;
  // Resource metrics: each pod's request for the metric's resource, in milli-units.
  std::optional<int64_t> request_milli;
  // demand on per-pod metrics: usage every ready pod has regardless of load (memory footprint).
  int64_t per_pod_baseline_milli = 0;
  // queue: the fluid (rates) or the pool (tasks, random arrivals, service times, slots).
  QueueKind queue_kind = QueueKind::kFluid;
  QueueReading reading = QueueReading::kBacklog;
  int32_t concurrency = 1;  // pool: tasks one ready replica runs at once
  // pool: unset means exponential with mean concurrency / serviceRate.
  std::optional<ServiceTime> service_time;
  // arrivalRate: the queue metric whose arrivals it reads, as Prometheus' rate() over the window.
  std::string of;
  double window_seconds = 60;
  // pool: its tasks drawn ahead for this span and seed (ebb tune replays one span hundreds of
  // times); unset: drawn as the run goes. Not part of the Simulation document.
  std::shared_ptr<const PoolTasks> drawn;
};

// The service-level objective a run is judged by, and the ideal schedule is built to meet: the
// given percentile of every task's wait at most waitSeconds.
struct Slo {
  double wait_seconds = 0;
  double percentile = 99;
};

struct SimulationConfig {
  std::string name;
  std::string autoscaler;
  std::optional<int32_t> initial_replicas;
  int64_t startup_delay_seconds = 30;
  double cost_per_replica_hour = 0;
  int64_t staleness_seconds = 300;
  decision::Settings settings;  // upstream's kube-controller-manager flags (api::ParseSettings)
  std::map<std::string, ModelConfig> models;
  uint64_t seed = 1;
  std::optional<Slo> slo;
  // Where it came from, for errors and the report: "file.yaml: Simulation celery-day".
  std::string origin;
};

// Parses and validates a Simulation document; every problem is listed with its field path.
Result<SimulationConfig> ParseSimulation(const nlohmann::json& doc, const std::string& source);

// One model per spec metric (replay where none is configured), checked against the metric
// types: a queue needs a value metric (External, Object, Prometheus, Redis); Utilization needs a
// request. Errors name the Simulation's field paths.
Result<std::vector<ModelConfig>> ResolveModels(const SimulationConfig& config,
                                               const decision::Spec& spec,
                                               const std::string& autoscaler_name);

// Mean service seconds of a pool model (its serviceTime, else concurrency / serviceRate).
double MeanServiceSeconds(const ModelConfig& m);
// The service time a pool draws from (the configured one, else exponential at the mean).
ServiceTime EffectiveServiceTime(const ModelConfig& m);

// Reads the durations of every pool model whose serviceTime is `recorded` (paths as given).
Result<void> LoadServiceTimes(std::vector<ModelConfig>& models);

// True for metrics the core reads per pod (Resource, ContainerResource, Pods).
bool IsPerPodMetric(decision::SourceType type);

}  // namespace ebb::sim

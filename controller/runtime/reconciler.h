// One reconcile of one Autoscaler, shared by the live controller and the simulator: read scale ->
// read metrics -> decide -> patch only when it changes -> record the scale event on success.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "controller/base/result.h"
#include "controller/base/time.h"
#include "controller/decision/types.h"

namespace ebb::runtime {

struct ScaleInfo {
  int32_t spec_replicas = 0;
  int32_t status_replicas = 0;
  int32_t ready_replicas = 0;
};

// The target's scale subresource (live: Kubernetes; simulation: an in-memory target).
class ScaleTarget {
 public:
  virtual ~ScaleTarget() = default;
  virtual Result<ScaleInfo> GetScale(Timestamp now) = 0;
  virtual Result<void> SetReplicas(int32_t replicas, Timestamp now) = 0;
};

// Fills the observation's readings (one per spec metric, in order) and, where the adapter can
// see pods, the pod list. Live: scalers + metrics.k8s.io; simulation: workload models.
class MetricReader {
 public:
  virtual ~MetricReader() = default;
  virtual void Read(Timestamp now, const ScaleInfo& scale, decision::Observation& obs) = 0;
};

struct ReconcileOutcome {
  bool scale_read = false;  // false: the scale could not be read (AbleToScale=False)
  bool patched = false;     // a new replica count was written
  std::string error;        // scale get/patch error, if any
};

class Reconciler {
 public:
  Reconciler(std::string name, decision::Spec spec, decision::Settings settings,
             ScaleTarget& target, MetricReader& reader);

  ReconcileOutcome Reconcile(Timestamp now);

  const decision::Decision& last_decision() const { return decision_; }
  const decision::Observation& last_observation() const { return obs_; }
  const decision::DecisionState& state() const { return state_; }
  void set_state(decision::DecisionState state) { state_ = std::move(state); }
  const decision::Spec& spec() const { return spec_; }
  const std::string& name() const { return name_; }
  // When set (shadow mode), decide and report but never patch.
  void set_dry_run(bool dry_run) { dry_run_ = dry_run; }
  // The Autoscaler's creation time, for initialCooldownPeriod.
  void set_created_at(std::optional<Timestamp> t) { created_at_ = t; }

 private:
  std::string name_;
  decision::Spec spec_;
  decision::Settings settings_;
  ScaleTarget& target_;
  MetricReader& reader_;
  decision::DecisionState state_;
  decision::Observation obs_;
  decision::Decision decision_;
  bool dry_run_ = false;
  std::optional<Timestamp> created_at_;
};

}  // namespace ebb::runtime

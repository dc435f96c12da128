// One reconcile of one Autoscaler, shared by the live controller, `run --once` and the simulator:
// read scale -> take the readings handed in (plus any the MetricReader derives from the scale)
// -> decide -> patch only when it changes -> record the scale event on success. No transport
// is linked here: the readings come from the caller (controller/sources polls the scalers).
#pragma once

#include <memory>
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

// Readings that depend on the scale just read: the observation arrives with the readings handed
// to Reconcile (one per spec metric, in order); the reader may replace entries and, where it can
// see pods, fill the pod list. Live: metrics.k8s.io for the scale's selector; simulation: the
// workload models.
class MetricReader {
 public:
  virtual ~MetricReader() = default;
  virtual void Read(Timestamp now, const ScaleInfo& scale, decision::Observation& obs) = 0;
};

struct ReconcileOutcome {
  bool scale_read = false;   // false: the scale could not be read (AbleToScale=False)
  bool patched = false;      // a new replica count was written
  bool would_patch = false;  // dry run: the decision was a rescale, left unapplied
  // The scale read or patch failure, with its code (kConflict: someone else changed the scale).
  std::optional<Error> error;
};

class Reconciler {
 public:
  // Without a reader, the readings handed to Reconcile are all there is.
  Reconciler(std::string name, decision::Spec spec, decision::Settings settings,
             ScaleTarget& target, MetricReader* reader = nullptr);
  Reconciler(std::string name, decision::Spec spec, decision::Settings settings,
             ScaleTarget& target, MetricReader& reader)
      : Reconciler(std::move(name), std::move(spec), settings, target, &reader) {}
  // The spec shared with its owner (the live engine keeps the parsed Autoscaler, whose spec this
  // is, instead of a second copy per Autoscaler).
  Reconciler(std::string name, std::shared_ptr<const decision::Spec> spec,
             decision::Settings settings, ScaleTarget& target, MetricReader* reader = nullptr);

  // `readings`: one per spec metric from the caller's poll (missing entries read as failed).
  ReconcileOutcome Reconcile(Timestamp now, std::vector<decision::MetricReading> readings = {});

  const decision::Decision& last_decision() const { return decision_; }
  const decision::Observation& last_observation() const { return obs_; }
  const decision::DecisionState& state() const { return state_; }
  void set_state(decision::DecisionState state) { state_ = std::move(state); }
  const decision::Spec& spec() const { return *spec_; }
  const std::string& name() const { return name_; }
  // When set (shadow mode), decide and report but never patch.
  void set_dry_run(bool dry_run) { dry_run_ = dry_run; }
  // The Autoscaler's creation time, for initialCooldownPeriod.
  void set_created_at(std::optional<Timestamp> t) { created_at_ = t; }

 private:
  std::string name_;
  std::shared_ptr<const decision::Spec> spec_;  // never null
  decision::Settings settings_;
  ScaleTarget& target_;
  MetricReader* reader_;
  decision::DecisionState state_;
  decision::Observation obs_;
  decision::Decision decision_;
  bool dry_run_ = false;
  std::optional<Timestamp> created_at_;
};

}  // namespace ebb::runtime

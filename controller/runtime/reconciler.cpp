#include "controller/runtime/reconciler.h"

#include <utility>

#include "controller/decision/decider.h"

namespace ebb::runtime {

Reconciler::Reconciler(std::string name, decision::Spec spec, decision::Settings settings,
                       ScaleTarget& target, MetricReader* reader)
    : Reconciler(std::move(name), std::make_shared<const decision::Spec>(std::move(spec)), settings,
                 target, reader) {}

Reconciler::Reconciler(std::string name, std::shared_ptr<const decision::Spec> spec,
                       decision::Settings settings, ScaleTarget& target, MetricReader* reader)
    : name_(std::move(name)),
      spec_(std::move(spec)),
      settings_(settings),
      target_(target),
      reader_(reader) {}

ReconcileOutcome Reconciler::Reconcile(Timestamp now,
                                       std::vector<decision::MetricReading> readings) {
  ReconcileOutcome outcome;
  auto scale = target_.GetScale(now);
  if (!scale) {
    outcome.error =
        MakeError(scale.error().code, "failed to get the target's scale: " + scale.error().message);
    decision_.able_to_scale = false;
    return outcome;
  }
  outcome.scale_read = true;
  obs_.spec_replicas = scale->spec_replicas;
  obs_.status_replicas = scale->status_replicas;
  obs_.ready_replicas = scale->ready_replicas;
  obs_.created_at = created_at_;
  obs_.pods_known = false;
  obs_.pods.clear();
  obs_.readings = std::move(readings);
  obs_.readings.resize(spec_->metrics.size());
  for (auto& r : obs_.readings)
    if (!r.ok && r.error.empty()) r.error = "no reading was taken";
  if (reader_) reader_->Read(now, *scale, obs_);

  decision::Decide(*spec_, settings_, obs_, state_, now, decision_);
  if (!decision_.scale) return outcome;
  if (dry_run_) {
    outcome.would_patch = true;
    return outcome;
  }

  const int32_t from = obs_.spec_replicas;
  const int32_t to = decision_.desired_replicas;
  auto patched = target_.SetReplicas(to, now);
  if (!patched) {
    // upstream: AbleToScale=False/FailedUpdateScale, and no scale event is recorded.
    decision_.able_to_scale = false;
    outcome.error = MakeError(patched.error().code, "failed to rescale to " + std::to_string(to) +
                                                        ": " + patched.error().message);
    return outcome;
  }
  decision::RecordScale(*spec_, state_, from, to, now);
  outcome.patched = true;
  return outcome;
}

}  // namespace ebb::runtime

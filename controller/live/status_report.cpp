#include "controller/live/status_report.h"

#include "controller/api/decide_case.h"
#include "controller/api/timestamps.h"
#include "controller/decision/explain.h"
#include "controller/live/status.h"

namespace ebb::live {
namespace {

using decision::Condition;

std::string Str(const nlohmann::json& o, const char* key) {
  if (!o.is_object()) return "";
  const auto it = o.find(key);
  return it != o.end() && it->is_string() ? it->get<std::string>() : "";
}

const nlohmann::json& PreviousConditions(const nlohmann::json& status) {
  static const nlohmann::json kNone = nlohmann::json::array();
  if (!status.is_object()) return kNone;
  const auto it = status.find("conditions");
  return it != status.end() && it->is_array() ? *it : kNone;
}

// `conditions` as metav1.Conditions, followed by the stored conditions of the types in `keep`
// this reconcile did not set, exactly as stored: upstream leaves a condition it has nothing new
// to say about as it was (ScalingLimited while a metric fails, everything but AbleToScale while
// the scale cannot be read).
nlohmann::json Conditions(const std::vector<Condition>& conditions, const StatusInput& in,
                          const std::set<std::string>& keep) {
  const nlohmann::json& previous = PreviousConditions(in.previous);
  nlohmann::json out = ConditionsJson(conditions, previous, in.generation, in.now);
  for (const auto& p : previous) {
    const std::string type = Str(p, "type");
    if (!keep.count(type)) continue;
    bool set = false;
    for (const auto& c : conditions) set = set || c.type == type;
    if (!set) out.push_back(p);
  }
  return out;
}

nlohmann::json Base(const StatusInput& in) {
  return in.previous.is_object() ? in.previous : nlohmann::json::object();
}

// One failing reason: its Warning Event at the onset only.
void Failing(StatusReport& r, const StatusInput& in, const std::string& reason,
             const std::string& message) {
  if (r.failing.insert(reason).second && !in.failing.count(reason))
    r.events.push_back({"Warning", reason, message});
}

StatusReport Refused(const StatusInput& in, const std::string& reason) {
  StatusReport r;
  std::vector<Condition> conds;
  if (in.kind == StatusInput::Kind::kConflict)
    conds.push_back({"AbleToScale", false, reason, in.message});
  conds.push_back({"Ready", false, reason, in.message});
  if (in.kind == StatusInput::Kind::kInvalidSpec) {
    // Nothing of a spec that cannot be read is current any more.
    r.status = {{"observedGeneration", in.generation}, {"conditions", Conditions(conds, in, {})}};
  } else {
    r.status = Base(in);
    r.status["observedGeneration"] = in.generation;
    r.status["conditions"] = Conditions(conds, in, {});
  }
  Failing(r, in, reason, in.message);
  return r;
}

StatusReport Contained(const StatusInput& in) {
  StatusReport r;
  const std::string msg = "reconcile failed: " + in.message;
  r.status = Base(in);
  // Ready says why; the other conditions stay as they were last written.
  nlohmann::json conditions =
      ConditionsJson({{"Ready", false, "ReconcileError", msg}}, PreviousConditions(in.previous),
                     in.generation, in.now);
  for (const auto& c : PreviousConditions(in.previous))
    if (Str(c, "type") != "Ready") conditions.push_back(c);
  r.status["conditions"] = std::move(conditions);
  Failing(r, in, "ReconcileError", msg);
  return r;
}

StatusReport Decided(const StatusInput& in) {
  StatusReport r;
  const api::Autoscaler& a = *in.autoscaler;
  const decision::Decision& d = *in.decision;
  const runtime::ReconcileOutcome& o = in.outcome;
  r.status = Base(in);
  r.status["observedGeneration"] = in.generation;
  const std::string error = o.error ? o.error->message : "";
  if (!o.scale_read) {
    Failing(r, in, "FailedGetScale", error);
    r.status["conditions"] =
        Conditions({{"AbleToScale", false, "FailedGetScale", error},
                    {"Ready", false, "FailedGetScale", error}},
                   in, {"ScalingActive", "ScalingLimited", "Active", "Fallback", "Paused"});
    return r;
  }
  std::vector<Condition> conds = decision::Conditions(a.spec, d);
  for (auto& c : conds) {
    if (c.type != "AbleToScale") continue;
    if (o.error) {
      c = {"AbleToScale", false, "FailedUpdateScale", error};
    } else if (o.patched) {
      c = {"AbleToScale", true, "SucceededRescale",
           "the controller was able to update the target scale to " +
               std::to_string(d.desired_replicas)};
    }
  }
  if (o.error) {
    // Every failed patch is an Event (upstream records each FailedRescale).
    r.failing.insert("FailedRescale");
    r.events.push_back({"Warning", "FailedRescale", error});
  }
  for (std::size_t i = 0; i < d.metrics.size() && i < a.spec.metrics.size(); ++i) {
    if (d.metrics[i].status == decision::MetricStatus::kOk) continue;
    Failing(r, in, decision::FailedMetricReason(a.spec.metrics[i]),
            "spec.metrics[" + std::to_string(i) + "] " + a.spec.metrics[i].name + ": " +
                d.metrics[i].error +
                (d.reason == decision::Reason::kFailedGetMetrics
                     ? "; holding at " + std::to_string(d.desired_replicas) + " replicas"
                     : ""));
  }
  if (o.patched || o.would_patch) r.events.push_back(RescaleEvent(a, d, in.dry_run));
  if (r.failing.empty()) {
    conds.push_back({"Ready", true, in.dry_run ? "DryRun" : "Reconciled",
                     in.dry_run ? "shadow mode: decisions are reported, never applied"
                                : "the target is being autoscaled"});
  } else {
    conds.push_back({"Ready", false, *r.failing.begin(), "see the other conditions and Events"});
  }
  r.status["conditions"] = Conditions(conds, in, {"ScalingLimited"});

  r.status["reference"] = ReferenceText(a.target);
  r.status["targets"] = TargetsText(a.spec, d);
  // As upstream: the count observed by this reconcile, not the one it just asked for.
  r.status["currentReplicas"] = d.current_replicas;
  r.status["desiredReplicas"] = d.desired_replicas;
  const decision::DecisionState& state = *in.state;
  if (state.last_scale_time) r.status["lastScaleTime"] = api::FormatRfc3339(*state.last_scale_time);
  // Only while inactive: then it is fixed and says when the cooldown started; while active it
  // would be "now" at every poll, a status write each time for nothing.
  if (!d.active && state.last_active_time)
    r.status["lastActiveTime"] = api::FormatRfc3339(*state.last_active_time);
  if (d.paused && a.spec.paused_replicas) r.status["pausedReplicas"] = *a.spec.paused_replicas;
  r.status["currentMetrics"] = api::MetricsToJson(a.spec, d);
  r.status["decisionState"] = in.persisted_state;
  return r;
}

}  // namespace

EventNote RescaleEvent(const api::Autoscaler& a, const decision::Decision& d, bool dry_run) {
  const std::string reason = decision::RescaleReason(a.spec, d);
  if (dry_run) {
    return {"Normal", "WouldRescale",
            "Dry run: would rescale from " + std::to_string(d.current_replicas) + " to " +
                std::to_string(d.desired_replicas) + "; reason: " + reason};
  }
  return {"Normal", "SuccessfulRescale",
          "New size: " + std::to_string(d.desired_replicas) + "; reason: " + reason};
}

StatusReport BuildStatus(const StatusInput& in) {
  switch (in.kind) {
    case StatusInput::Kind::kInvalidSpec:
      return Refused(in, "InvalidSpec");
    case StatusInput::Kind::kConflict:
      return Refused(in, "AmbiguousScaleTarget");
    case StatusInput::Kind::kContained:
      return Contained(in);
    case StatusInput::Kind::kDecided:
      break;
  }
  return Decided(in);
}

}  // namespace ebb::live

#include "controller/live/status_report.h"

#include <string_view>

#include "controller/api/decide_case.h"
#include "controller/api/timestamps.h"
#include "controller/base/hash.h"
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

// What a decided reconcile says, before it is merged into the stored status: the conditions it
// sets (their times come from the stored ones), the stored conditions it leaves as they were,
// the reasons failing, the Events, and every other field it writes except decisionState.
// Decided and StatusDigest both build on it, so the digest cannot miss a field the status has.
struct DecidedParts {
  std::vector<Condition> conds;
  std::set<std::string> keep;
  std::set<std::string> failing;
  std::vector<EventNote> events;
  nlohmann::json fields = nlohmann::json::object();
};

DecidedParts Parts(const StatusInput& in) {
  DecidedParts p;
  StatusReport r;  // Failing() records into a report
  const api::Autoscaler& a = *in.autoscaler;
  const decision::Decision& d = *in.decision;
  const runtime::ReconcileOutcome& o = in.outcome;
  const std::string error = o.error ? o.error->message : "";
  if (!o.scale_read) {
    Failing(r, in, "FailedGetScale", error);
    p.conds = {{"AbleToScale", false, "FailedGetScale", error},
               {"Ready", false, "FailedGetScale", error}};
    p.keep = {"ScalingActive", "ScalingLimited", "Active", "Fallback", "Paused"};
    p.failing = std::move(r.failing);
    p.events = std::move(r.events);
    return p;
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
  p.conds = std::move(conds);
  p.keep = {"ScalingLimited"};
  p.failing = std::move(r.failing);
  p.events = std::move(r.events);

  nlohmann::json& f = p.fields;
  f["reference"] = ReferenceText(a.target);
  f["targets"] = TargetsText(a.spec, d);
  // As upstream: the count observed by this reconcile, not the one it just asked for.
  f["currentReplicas"] = d.current_replicas;
  f["desiredReplicas"] = d.desired_replicas;
  const decision::DecisionState& state = *in.state;
  if (state.last_scale_time) f["lastScaleTime"] = api::FormatRfc3339(*state.last_scale_time);
  // Only while inactive: then it is fixed and says when the cooldown started; while active it
  // would be "now" at every poll, a status write each time for nothing.
  if (!d.active && state.last_active_time)
    f["lastActiveTime"] = api::FormatRfc3339(*state.last_active_time);
  if (d.paused && a.spec.paused_replicas) f["pausedReplicas"] = *a.spec.paused_replicas;
  f["currentMetrics"] = api::MetricsToJson(a.spec, d);
  return p;
}

StatusReport Decided(const StatusInput& in) {
  DecidedParts p = Parts(in);
  StatusReport r;
  r.status = Base(in);
  r.status["observedGeneration"] = in.generation;
  r.status["conditions"] = Conditions(p.conds, in, p.keep);
  r.failing = std::move(p.failing);
  r.events = std::move(p.events);
  if (!in.outcome.scale_read) return r;
  for (auto& [k, v] : p.fields.items()) r.status[k] = std::move(v);
  // Text the engine dumped itself; anything else is written as null rather than thrown.
  nlohmann::json state = nlohmann::json::parse(in.persisted_state, nullptr, false);
  r.status["decisionState"] = state.is_discarded() ? nlohmann::json() : std::move(state);
  return r;
}

// One piece of the digest, ended by a separator so that "ab"+"c" and "a"+"bc" differ.
void Mix(uint64_t& h, std::string_view text) {
  h = Fnv1a64("\x1f", Fnv1a64(text, h));
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

std::optional<uint64_t> StatusDigest(const StatusInput& in) {
  if (in.kind != StatusInput::Kind::kDecided) return std::nullopt;
  DecidedParts p = Parts(in);
  // Events are recorded whenever they arise, and a changed failing set is kept: built in full.
  if (!p.events.empty() || p.failing != in.failing) return std::nullopt;
  uint64_t h = kFnv1a64Offset;
  Mix(h, std::to_string(in.generation));
  Mix(h, in.dry_run ? "dry" : "live");
  Mix(h, in.outcome.scale_read ? "read" : "unread");
  for (const auto& c : p.conds) {
    Mix(h, c.type);
    Mix(h, c.status ? "True" : "False");
    Mix(h, c.reason);
    Mix(h, c.message);
  }
  for (const auto& k : p.keep) Mix(h, k);
  for (const auto& f : p.failing) Mix(h, f);
  Mix(h, p.fields.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  Mix(h, in.persisted_state);
  return h;
}

}  // namespace ebb::live

#include "controller/live/engine.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <random>
#include <stdexcept>
#include <utility>

#include "controller/api/state_json.h"
#include "controller/base/hash.h"
#include "controller/base/text.h"
#include "controller/decision/explain.h"
#include "controller/live/packed_text.h"
#include "controller/live/status.h"
#include "controller/runtime/reconciler.h"
#include "metrics/decision_snapshot.h"

namespace ebb::live {
namespace {

constexpr const char* kGroupVersion = "ebb.dev/v1alpha1";
constexpr std::size_t kMaxBatch = 4096;

// Wall and monotonic clocks drift apart by well under a millisecond per second (NTP slews);
// more than this between two decisions is a step.
constexpr Duration kClockStepTolerance{1000};

// The latency histogram's `type` label and the batch key: every source type of the Autoscaler
// ("Prometheus+Redis"), a small fixed set; a slow source holds up only the batches it is in.
std::string SourceTypesLabel(const api::Autoscaler& a) {
  std::set<std::string> types;
  for (const auto& s : a.sources) types.insert(s.type);
  std::string label;
  for (const auto& t : types) label += (label.empty() ? "" : "+") + t;
  return label.empty() ? "none" : label;
}

double SecondsSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// A string member of an object from the API server, "" when absent or of another type (json's
// value() throws on a type mismatch, and const operator[] on a missing key is undefined).
std::string Str(const nlohmann::json& o, const char* key) {
  if (!o.is_object()) return "";
  const auto it = o.find(key);
  return it != o.end() && it->is_string() ? it->get<std::string>() : "";
}

const nlohmann::json& Member(const nlohmann::json& o, const char* key) {
  static const nlohmann::json kNull;
  if (!o.is_object()) return kNull;
  const auto it = o.find(key);
  return it != o.end() ? *it : kNull;
}

std::string Dump(const nlohmann::json& j) {
  std::string text = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  // Kept per Autoscaler for as long as it lives: without the slack of growing while dumped
  // (up to half again, ~1 KB per Autoscaler at 10,000; heaptrack, bench/controller).
  text.shrink_to_fit();
  return text;
}

// Text this engine dumped itself.
nlohmann::json Parse(const std::string& text) {
  return nlohmann::json::parse(text);
}

// The packed form of no status yet ("{}").
const std::string& NoStatus() {
  static const std::string packed = Pack("{}");
  return packed;
}

// "type=status;" for each condition of a status (as stored: a kept condition may come from
// anyone, so a type that would break the encoding is left out, as one without a type is).
std::string ConditionStates(const nlohmann::json& status) {
  std::string out;
  for (const auto& c : Member(status, "conditions")) {
    const std::string type = Str(c, "type");
    if (type.empty() || type.find_first_of(";=") != std::string::npos) continue;
    std::string state = Str(c, "status");
    if (state.empty() || state.find(';') != std::string::npos) state = "Unknown";
    out += type + "=" + state + ";";
  }
  return out;
}

// The annotation's value: true, false, or an error naming the field.
Result<bool> DryRunAnnotation(const nlohmann::json& obj) {
  const auto& v = Member(Member(Member(obj, "metadata"), "annotations"), kDryRunAnnotation);
  if (v.is_null()) return false;
  const std::string s = v.is_string() ? v.get<std::string>() : Dump(v);
  if (s == "true") return true;
  if (s == "false") return false;
  return MakeError(ErrorCode::kInvalidConfig,
                   std::string("metadata.annotations[") + kDryRunAnnotation +
                       "]: must be \"true\" or \"false\", got " + SafeText(s, 64));
}

// A failpoint for the containment tests: EBB_FAILPOINT_RECONCILE_THROW=ns/name makes the first
// reconcile of that Autoscaler as leader throw (once it is built), standing in for a bug or data
// nothing anticipated (every known path is contained by typed errors, so there is no honest input
// left that throws).
void MaybeFail(const std::string& key) {
  static const std::string target = [] {
    const char* v = std::getenv("EBB_FAILPOINT_RECONCILE_THROW");
    return std::string(v != nullptr ? v : "");
  }();
  static std::atomic<bool> fired{false};
  if (!target.empty() && key == target && !fired.exchange(true)) {
    throw std::runtime_error("failpoint EBB_FAILPOINT_RECONCILE_THROW");
  }
}

// What names a scale target for the one-writer rule: "ns/Kind/name" of an Autoscaler's or an
// HPA's object ("" when it names none).
std::string TargetTextOf(const nlohmann::json& obj) {
  const auto& ref = Member(Member(obj, "spec"), "scaleTargetRef");
  if (!ref.is_object()) return "";
  return Str(Member(obj, "metadata"), "namespace") + "/" + Str(ref, "kind") + "/" +
         Str(ref, "name");
}

// The target index is by hash (every replica indexes every Autoscaler); Conflict confirms a match
// on the text, so a collision, chosen or not, refuses nothing.
uint64_t TargetHash(const std::string& text) {
  return text.empty() ? 0 : Fnv1a64(text);
}

std::string PackedTargetText(const std::string& packed) {
  return TargetTextOf(nlohmann::json::parse(Unpack(packed), nullptr, false));
}

}  // namespace

// What only a reconcile needs, kept for the Autoscalers this replica owns: a sharded replica
// watches every Autoscaler and owns a third of them, so the watched ones cost only Entry's few
// fields (~0.5 KB less each with this split out).
struct Engine::Built {
  // Owned by the worker holding the key: the queue never hands one key to two workers.
  std::string ns, name, uid;
  int64_t generation = 0;
  bool dry_run = false;  // this Autoscaler is in shadow mode (flag or annotation)
  // Shared with the reconciler (its spec), so the spec is held once.
  std::shared_ptr<const api::Autoscaler> autoscaler;
  std::string invalid;
  std::unique_ptr<SourceAccess::Binding> binding;
  std::string source_types;
  std::unique_ptr<TargetAccess> target;
  std::unique_ptr<runtime::Reconciler> rec;
  // The status as stored on the server, and the decisionState to write, as text: as JSON trees
  // they were ~8 KB per Autoscaler (bench/controller/memory_bench.cpp); parsed once a reconcile.
  std::string last_status = NoStatus();  // packed (packed_text.h): ~1.3 KB as text
  std::string persisted_state = "null";
  // Fnv1a64 of the PersistKey persisted_state was last made for (0: none yet); the key's text is
  // ~0.15 KB per Autoscaler and only ever compared.
  uint64_t persisted_key = 0;
  std::set<std::string> failing;          // event reasons currently failing
  std::set<std::size_t> failing_metrics;  // spec.metrics indices whose last read failed
  std::optional<std::pair<Timestamp, Timestamp>> clocks_seen;  // (wall, monotonic) at a decision
  // StatusDigest of the input last_status was built from (and stored with); unset when
  // last_status came from elsewhere (a restore) or the write failed. Equal digests: nothing to do.
  std::optional<uint64_t> status_digest;
  // The conditions of last_status as "type=status;" pairs, for the metrics snapshot of a
  // reconcile that reuses last_status without parsing it.
  std::string condition_states;
};

struct Engine::Entry {
  // Guarded by Engine::mu_.
  // The latest object as packed text (packed_text.h; a JSON tree per Autoscaler costs ~10x the
  // text, the text ~3x the packed form: every replica keeps one per Autoscaler); without its status
  // while this replica leads, owns and has restored it: the status then is the one it wrote itself,
  // kept in last_status (see OnAutoscaler).
  std::string object;
  uint64_t fingerprint = 0;  // of spec and annotations: a change to act on
  bool dirty = true;
  bool restored = false;
  bool shadow = false;  // the dry-run annotation, for the conflict check of other Autoscalers
  bool owned = true;    // this replica's shard (always, without sharding)
  std::atomic<int32_t> interval_s{15};
  uint64_t target = 0;  // TargetHash of its scaleTargetRef (0: none)
  std::string key;      // set once
  // Created by the worker holding the key on first use; dropped with the shard (SetOwnership).
  std::unique_ptr<Built> built;
  Built& b() {
    if (!built) built = std::make_unique<Built>();
    return *built;
  }
  const Built& b() const {
    static const Built kNone;
    return built ? *built : kNone;
  }
};

struct Engine::Work {
  DueItem item;
  std::shared_ptr<Entry> entry;
  Timestamp taken{};  // mono
  std::chrono::steady_clock::time_point started;
  std::vector<ReconcileResult::Note> notes;  // from preparing it
  std::optional<std::string> failed;         // preparing or polling it threw: what
  // The status a restore in Prepare just parsed: its reconcile compares against it rather than
  // unpacking and parsing last_status again (a takeover restores thousands at once).
  std::optional<nlohmann::json> previous_status;
};

Engine::Engine(KubeAccess& kube, SourceAccess& sources, ReconcileObserver& observer,
               ControllerOptions options, const Clock& wall, const Clock& mono)
    : kube_(kube),
      sources_(sources),
      observer_(observer),
      options_(std::move(options)),
      wall_(wall),
      mono_(mono) {}

Engine::~Engine() = default;

std::size_t Engine::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

void Engine::Unindex(const Entry& e) {
  for (auto [t, end] = targets_.equal_range(e.target); t != end; ++t)
    if (t->second == &e) {
      targets_.erase(t);
      return;
    }
}

std::vector<std::string> Engine::Keys(const std::string& prefix) const {
  std::lock_guard lock(mu_);
  std::vector<std::string> keys;
  for (auto it = entries_.lower_bound(prefix);
       it != entries_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it)
    keys.emplace_back(it->first);
  return keys;
}

// ---- the reconcile -------------------------------------------------------------------------

ReconcileResult Engine::Reconcile(Work& w, std::vector<decision::MetricReading> readings) {
  Entry& e = *w.entry;
  ReconcileResult r = Begin(w);
  StatusInput in = Input(e);
  if (!e.b().invalid.empty()) {
    in.kind = StatusInput::Kind::kInvalidSpec;
    in.message = e.b().invalid;
    return Conclude(w, std::move(r), ReconcileResult::Kind::kInvalid, in, /*reschedule=*/false);
  }
  MaybeFail(e.key);
  if (const std::string others = Conflict(e); !others.empty()) {
    in.kind = StatusInput::Kind::kConflict;
    in.message = e.b().autoscaler->target.kind + " " + e.b().autoscaler->target.name +
                 " is also scaled by " + others +
                 "; ebb will not act on a target with more than one autoscaler";
    return Conclude(w, std::move(r), ReconcileResult::Kind::kConflict, in, true);
  }
  FollowWallClock(e, r);
  in.outcome = e.b().rec->Reconcile(wall_.Now(), std::move(readings));
  Describe(e, in.outcome, r);
  in.autoscaler = &*e.b().autoscaler;
  in.decision = &e.b().rec->last_decision();
  in.state = &e.b().rec->state();
  in.persisted_state = e.b().persisted_state;
  const auto kind = in.outcome.error ? ReconcileResult::Kind::kError : ReconcileResult::Kind::kOk;
  return Conclude(w, std::move(r), kind, in, true);
}

ReconcileResult Engine::Begin(const Work& w) const {
  const Entry& e = *w.entry;
  ReconcileResult r;
  r.key = e.key;
  r.ns = e.b().ns;
  r.name = e.b().name;
  r.object = {kGroupVersion, "Autoscaler", e.b().ns, e.b().name, e.b().uid};
  r.drift_s = std::max(0.0, static_cast<double>((w.taken - w.item.due).count()) / 1000.0);
  r.dry_run = e.b().dry_run;
  r.notes = w.notes;
  return r;
}

StatusInput Engine::Input(const Entry& e) const {
  // Without `previous`: parsed only when the status is built (Conclude, Contain).
  StatusInput in;
  in.failing = e.b().failing;
  in.generation = e.b().generation;
  in.now = wall_.Now();
  in.dry_run = e.b().dry_run;
  return in;
}

ReconcileResult Engine::Conclude(Work& w, ReconcileResult r, ReconcileResult::Kind kind,
                                 StatusInput& in, bool reschedule) {
  Entry& e = *w.entry;
  const std::optional<uint64_t> digest = StatusDigest(in);
  // Equal digests: last_status is what BuildStatus would build again, with no Event.
  if (!digest || digest != e.b().status_digest) UpdateStatus(w, in, digest, r);
  r.snapshot = Snapshot(e, in);
  r.kind = kind;
  r.seconds = SecondsSince(w.started);
  if (reschedule) Reschedule(w, e.interval_s);
  return r;
}

// ---- its parts -------------------------------------------------------------------------------

std::optional<metrics::AutoscalerSnapshot> Engine::Snapshot(const Entry& e,
                                                            const StatusInput& in) const {
  if (!e.b().autoscaler) return std::nullopt;
  const api::Autoscaler& a = *e.b().autoscaler;
  metrics::AutoscalerSnapshot s = metrics::SnapshotOf(e.b().ns, e.b().name, a.spec);
  s.target_kind = a.target.kind;
  s.target_name = a.target.name;
  s.dry_run = e.b().dry_run;
  if (in.kind == StatusInput::Kind::kDecided && in.outcome.scale_read && in.decision)
    metrics::AddDecision(s, a.spec, e.b().rec->last_observation(), *in.decision);
  // The conditions as written to status, so the gauges and `kubectl describe` agree.
  std::string_view states = e.b().condition_states;
  while (!states.empty()) {
    const auto end = states.find(';');
    const std::string_view pair = states.substr(0, end);
    const auto eq = pair.find('=');
    s.conditions.push_back({std::string(pair.substr(0, eq)), std::string(pair.substr(eq + 1))});
    states = end == std::string_view::npos ? std::string_view() : states.substr(end + 1);
  }
  return s;
}

void Engine::Describe(Entry& e, const runtime::ReconcileOutcome& o, ReconcileResult& r) {
  const api::Autoscaler& a = *e.b().autoscaler;
  const decision::Decision& d = e.b().rec->last_decision();
  r.error = o.error;
  r.scale_read = o.scale_read;
  r.patched = o.patched;
  r.would_patch = o.would_patch;
  r.target = e.b().target->Describe();
  if (!o.scale_read) return;
  r.current = d.current_replicas;
  r.desired = d.desired_replicas;
  r.reason = decision::ToString(d.reason);
  // The text of the rescale line, and of the debug line per decision when that level is on:
  // not built for every reconcile of every Autoscaler just to be dropped.
  if (o.patched || o.would_patch || observer_.LogsDecisions())
    r.summary = decision::Summary(a.spec, d);
  for (std::size_t i = 0; i < d.metrics.size() && i < a.spec.metrics.size(); ++i) {
    const auto& m = a.spec.metrics[i];
    const bool failed = d.metrics[i].status != decision::MetricStatus::kOk;
    if (failed == static_cast<bool>(e.b().failing_metrics.count(i))) continue;
    if (failed)
      e.b().failing_metrics.insert(i);
    else
      e.b().failing_metrics.erase(i);
    r.transitions.push_back({i, m.name, failed, d.metrics[i].error});
  }
  const uint64_t key = Fnv1a64(PersistKey(e.b().rec->state(), wall_.Now(),
                                          LongestWindowSeconds(a.spec, options_.settings),
                                          FailuresThatMatter(a.spec)));
  if (key != e.b().persisted_key) {
    e.b().persisted_key = key;
    e.b().persisted_state = Dump(api::StateToJson(e.b().rec->state()));
  }
}

void Engine::FollowWallClock(Entry& e, ReconcileResult& r) {
  const Timestamp wall = wall_.Now();
  const Timestamp mono = mono_.Now();
  if (e.b().clocks_seen) {
    // A wall-clock step since the last decision would cut (forward) or stretch (back) every
    // window, rate-limit period and cooldown by its length: the state moves with the clock.
    const Duration step = (wall - e.b().clocks_seen->first) - (mono - e.b().clocks_seen->second);
    if (step > kClockStepTolerance || step < -kClockStepTolerance) {
      decision::DecisionState shifted = e.b().rec->state();
      ShiftStateTimes(shifted, step);
      e.b().rec->set_state(std::move(shifted));
      r.notes.push_back({true, "the wall clock stepped by " + std::to_string(step.count()) +
                                   " ms; decision times moved with it"});
    }
  }
  e.b().clocks_seen = std::make_pair(wall, mono);
}

void Engine::UpdateStatus(Work& w, StatusInput& in, std::optional<uint64_t> digest,
                          ReconcileResult& r) {
  Entry& e = *w.entry;
  if (w.previous_status) {
    in.previous = std::move(*w.previous_status);
    w.previous_status.reset();
  } else {
    in.previous = Parse(Unpack(e.b().last_status));
  }
  StatusReport report = BuildStatus(in);
  e.b().failing = std::move(report.failing);
  r.events = std::move(report.events);
  e.b().condition_states = ConditionStates(report.status);
  e.b().status_digest.reset();
  if (WriteStatus(e, in.previous, report.status, r)) e.b().status_digest = digest;
}

bool Engine::WriteStatus(Entry& e, const nlohmann::json& previous, const nlohmann::json& status,
                         ReconcileResult& r) {
  if (status == previous) return true;  // nothing changed: no write
  r.status_written = true;
  auto written = kube_.PatchStatus(e.b().ns, e.b().name, StatusPatch(previous, status));
  if (!written) {
    r.status_error = written.error();
    return false;  // retried by the next reconcile, as last_status is unchanged
  }
  e.b().last_status = Pack(Dump(status));
  return true;
}

std::string Engine::Conflict(const Entry& e) const {
  // A shadow decides and never writes: it neither refuses nor is a reason to refuse.
  if (e.b().dry_run) return "";
  std::lock_guard lock(mu_);
  std::string others;
  if (e.target == 0) return "";
  // Read from the objects only when the hash matches another's: almost never.
  std::optional<std::string> mine;
  auto same = [&](const std::string& theirs) {
    if (!mine) mine = PackedTargetText(e.object);
    return theirs == *mine;
  };
  for (auto [t, end] = targets_.equal_range(e.target); t != end; ++t) {
    const Entry& o = *t->second;
    if (&o == &e || o.shadow || !same(PackedTargetText(o.object))) continue;
    others += (others.empty() ? "" : ", ") + ("Autoscaler " + o.key);
  }
  if (auto h = hpa_targets_.find(e.target); h != hpa_targets_.end()) {
    for (const auto& k : h->second)
      if (auto hp = hpa_target_.find(k); hp != hpa_target_.end() && same(hp->second))
        others += (others.empty() ? "" : ", ") + ("HorizontalPodAutoscaler " + k);
  }
  return others;
}

void Engine::Reschedule(const Work& w, int32_t interval_s) {
  // Fixed rate from the due time, without catch-up bursts after a stall: a reconcile taken more
  // than an interval late goes on at the next slot after it was taken. (It used to be due again
  // at once, so an overloaded replica reconciled everything twice in a row and fell further
  // behind: 145,094 reconciles for 84,668 due at 10,000 after a start-up burst.)
  const Duration interval = ebb::Seconds(std::max(1, interval_s));
  Timestamp next = w.item.due + interval;
  if (next <= w.taken) next = w.item.due + interval * ((w.taken - w.item.due) / interval + 1);
  queue_.Schedule(w.item.key, next);
}

ReconcileResult Engine::Contain(Work& w, const std::string& what_raw) {
  // The boundary of one Autoscaler: whatever a reconcile throws ends here, as a condition, an
  // Event, a log line and reconciles_total{result="error"}; it is polled again at its interval.
  Entry& e = *w.entry;
  ReconcileResult r = Begin(w);
  r.kind = ReconcileResult::Kind::kError;
  r.contained = true;
  r.error = MakeError(ErrorCode::kInternal, SafeText(what_raw, 512));
  try {
    if (!e.b().name.empty()) {
      StatusInput in = Input(e);
      in.kind = StatusInput::Kind::kContained;
      in.message = r.error->message;
      UpdateStatus(w, in, std::nullopt, r);
    }
  } catch (const std::exception& ex) {
    r.notes.push_back({true, "cannot report the failure: " + SafeText(ex.what())});
  }
  // Due times are on the queue's (monotonic) clock, not the wall clock of the status.
  queue_.Schedule(w.item.key, mono_.Now() + ebb::Seconds(std::max(1, e.interval_s.load())));
  return r;
}

// ---- preparing, polling and finishing a tick's items
// ---------------------------------------------

std::vector<Engine::Batch> Engine::Prepare(const std::vector<DueItem>& due) {
  std::map<std::string, Batch> batches;
  for (const DueItem& item : due) {
    auto w = std::make_shared<Work>();
    w->item = item;
    w->taken = mono_.Now();
    w->started = std::chrono::steady_clock::now();
    std::string obj_packed;
    bool dirty = false, restored = true;
    {
      std::lock_guard lock(mu_);
      auto it = entries_.find(item.key);
      if (it == entries_.end()) {  // deleted meanwhile
        queue_.Done(item.key);
        continue;
      }
      w->entry = it->second;
      Entry& e = *w->entry;
      if (!leading_.load()) {
        // Not acted on: restore and rebuild when leading.
        Reschedule(*w, e.interval_s);
        ReconcileResult r = Begin(*w);
        observer_.Report(r, wall_.Now());
        queue_.Done(item.key);
        continue;
      }
      if (!e.owned) {
        // Another replica's shard: off the queue until this replica gains it (SetOwnership).
        queue_.Done(item.key);
        continue;
      }
      dirty = e.dirty;
      e.dirty = false;
      restored = e.restored;
      e.restored = true;
      // The object's text is needed only to rebuild or restore (rec/invalid are the worker's).
      if (dirty || !restored || (!e.b().rec && e.b().invalid.empty())) obj_packed = e.object;
    }
    Entry& e = *w->entry;
    try {
      if (!obj_packed.empty()) {
        nlohmann::json obj = nlohmann::json::parse(Unpack(obj_packed), nullptr, false);
        if (dirty || (!e.b().rec && e.b().invalid.empty())) Rebuild(e, obj);
        if (!restored) {
          // Taken out of the object, not copied: thousands are restored at once on a takeover.
          const bool stored = obj.is_object() && obj.contains("status");
          nlohmann::json status;
          if (stored) {
            status = std::move(obj["status"]);
            obj.erase("status");
          }
          ReconcileResult notes;
          w->previous_status = Restore(e, stored ? &status : nullptr, notes);
          w->notes = std::move(notes.notes);
          // From here on last_status holds the status: the object is kept without it (as in
          // OnAutoscaler), unless a newer one arrived meanwhile. A restart with nothing to
          // write gets no watch event that would drop it there.
          if (stored) {
            std::string packed = Pack(Dump(obj));
            std::lock_guard lock(mu_);
            if (leading_.load() && e.owned && e.object == obj_packed) e.object = std::move(packed);
          }
        }
      }
    } catch (const std::exception& ex) {
      w->failed = ex.what();
    }
    Batch& b = batches[e.b().invalid.empty() && e.b().rec && !w->failed ? e.b().source_types : ""];
    b.items.push_back(std::move(w));
  }
  std::vector<Batch> out;
  for (auto& [types, b] : batches) {
    b.types = types;
    out.push_back(std::move(b));
  }
  return out;
}

std::vector<std::vector<decision::MetricReading>> Engine::Poll(const Batch& batch) {
  std::vector<std::vector<decision::MetricReading>> out(batch.items.size());
  if (batch.types.empty()) return out;  // nothing to poll: invalid or failed to build
  std::vector<const api::Autoscaler*> as;
  std::vector<SourceAccess::Binding*> bs;
  std::vector<std::size_t> at;  // index in the batch of each polled item
  int32_t interval = 86400;
  for (std::size_t i = 0; i < batch.items.size(); ++i) {
    const Work& w = *batch.items[i];
    // A shard lost since Prepare: not polled (Finish drops it), so a hand-over waiting for the
    // batch does not wait for its sources too.
    if (!Owned(w.item.key)) continue;
    as.push_back(&*w.entry->b().autoscaler);
    bs.push_back(w.entry->b().binding.get());
    at.push_back(i);
    interval = std::min(interval, w.entry->interval_s.load());
  }
  if (as.empty()) return out;
  const Timestamp now = wall_.Now();
  const Timestamp deadline =
      now + std::min<Duration>(options_.metrics_timeout, ebb::Seconds(std::max(1, interval)));
  const auto started = std::chrono::steady_clock::now();
  std::vector<std::vector<decision::MetricReading>> polled(as.size());
  try {
    polled = sources_.Poll(as, bs, now, deadline);
  } catch (const std::exception&) {
    // Batched, one bad answer would sink every Autoscaler: poll each on its own instead.
    for (std::size_t i = 0; i < as.size(); ++i) {
      try {
        polled[i] = std::move(sources_.Poll({as[i]}, {bs[i]}, now, deadline).at(0));
      } catch (const std::exception& ex) {
        batch.items[at[i]]->failed = std::string("reading metrics: ") + ex.what();
      }
    }
  }
  observer_.Polled(batch.types, SecondsSince(started));
  for (std::size_t i = 0; i < at.size() && i < polled.size(); ++i)
    out[at[i]] = std::move(polled[i]);
  return out;
}

void Engine::Finish(Work& w, std::vector<decision::MetricReading> readings) {
  // The shard may have been lost while this item waited in the pool's backlog or polled: its
  // next owner may be acting already, so nothing is written from here (never two writers for
  // one target). SetOwnership forgets the key and waits for this Done.
  if (!Owned(w.item.key)) {
    queue_.Done(w.item.key);
    return;
  }
  ReconcileResult r;
  try {
    r = w.failed ? Contain(w, *w.failed) : Reconcile(w, std::move(readings));
  } catch (const std::exception& ex) {
    r = Contain(w, ex.what());
  } catch (...) {
    r = Contain(w, "unknown exception");
  }
  observer_.Report(r, wall_.Now());
  queue_.Done(w.item.key);
}

void Engine::RunDue(Timestamp now) {
  for (Batch& b : Prepare(queue_.PopDue(now + options_.batch_window, kMaxBatch))) {
    auto readings = Poll(b);
    for (std::size_t i = 0; i < b.items.size(); ++i) Finish(*b.items[i], std::move(readings[i]));
  }
}

// ---- building an Autoscaler's reconcile --------------------------------------------------------

void Engine::Rebuild(Entry& e, const nlohmann::json& obj) {
  e.b().status_digest.reset();  // a new spec: the next status is built in full
  const auto& md = Member(obj, "metadata");
  e.b().ns = Str(md, "namespace");
  if (e.b().ns.empty()) e.b().ns = "default";
  e.b().name = Str(md, "name");
  e.b().uid = Str(md, "uid");
  const auto& generation = Member(md, "generation");
  e.b().generation = generation.is_number_integer() ? generation.get<int64_t>() : 0;
  auto fail = [&](const std::string& why) {
    e.b().invalid = why;
    e.b().autoscaler.reset();
    e.b().rec.reset();
  };
  auto parsed = api::ParseAutoscaler(obj);
  if (!parsed) return fail(parsed.error().message);
  auto dry_run = DryRunAnnotation(obj);
  if (!dry_run) return fail("Autoscaler " + e.key + ": " + dry_run.error().message);
  api::Autoscaler a = std::move(*parsed);
  if (!Member(obj, "spec").contains("pollingInterval"))
    a.spec.polling_interval_seconds = options_.default_polling_interval_s;
  auto binding = sources_.Bind(a);
  if (!binding) return fail(binding.error().message);
  e.b().invalid.clear();
  e.b().dry_run = options_.dry_run || *dry_run;
  e.b().binding = std::move(*binding);
  // Each scaler bound keeps its own copy of its parsed block; the Autoscaler's copy is read by
  // nothing after Bind (~1.8 KB per Redis source, with its unused TLS, Sentinel and Cluster
  // fields).
  // The block as written is read only for the metrics the cluster serves (kube::
  // CustomMetricsReader): a scaler's is dropped with its config (a JSON tree, ~0.3 KB each).
  for (auto& source : a.sources) {
    if (source.config) source.block = nullptr;
    source.config.reset();
  }
  e.b().source_types = SourceTypesLabel(a);
  e.interval_s = a.spec.polling_interval_seconds;
  std::optional<decision::DecisionState> keep;
  if (e.b().rec) keep = e.b().rec->state();
  e.b().rec.reset();  // holds references to the target replaced below
  e.b().autoscaler = std::make_shared<const api::Autoscaler>(std::move(a));
  const api::Autoscaler& as = *e.b().autoscaler;
  e.b().target = kube_.Target(as);
  e.b().rec = std::make_unique<runtime::Reconciler>(
      as.namespace_name + "/" + as.name,
      std::shared_ptr<const decision::Spec>(e.b().autoscaler, &as.spec), options_.settings,
      *e.b().target, &e.b().target->ClusterMetrics());
  e.b().rec->set_dry_run(e.b().dry_run);
  e.b().rec->set_created_at(as.created_at);
  // A spec edit keeps the windows: the state belongs to the Autoscaler, not to its spec.
  if (keep) e.b().rec->set_state(std::move(*keep));
}

nlohmann::json Engine::Restore(Entry& e, nlohmann::json* stored, ReconcileResult& r) {
  // First sight (or leadership just gained): continue from the stored status, which another
  // process's clock wrote; the step check starts afresh from it.
  e.b().clocks_seen.reset();
  nlohmann::json status;
  if (stored) {
    status = std::move(*stored);
  } else if (e.b().last_status != NoStatus()) {
    // Kept without its status (OnAutoscaler): the status is the one last written from here.
    status = Parse(Unpack(e.b().last_status));
  }
  if (!status.is_object()) status = nlohmann::json::object();
  e.b().last_status = Pack(Dump(status));
  e.b().status_digest.reset();
  e.b().condition_states = ConditionStates(status);
  e.b().persisted_key = 0;
  e.b().persisted_state = Dump(status.value("decisionState", nlohmann::json()));
  if (!e.b().rec || !status.contains("decisionState")) return status;
  auto st = api::StateFromJson(status["decisionState"], "status.decisionState");
  if (!st) {
    r.notes.push_back({true, "stored decision state ignored: " + st.error().message});
    return status;
  }
  bool was_active = false;
  for (const auto& c : Member(status, "conditions"))
    if (Str(c, "type") == "Active" && Str(c, "status") == "True") was_active = true;
  const Timestamp now = wall_.Now();
  RefreshRestoredState(*st, was_active, now);
  // What was stored is what a restore needs: re-dating it (RefreshRestoredState) is no reason
  // to write it again. Without this key every gained Autoscaler wrote its status once, and a
  // replica taking over thousands of them waited on as many writes (docs/sharding.md).
  e.b().persisted_key =
      Fnv1a64(PersistKey(*st, now, LongestWindowSeconds(e.b().autoscaler->spec, options_.settings),
                         FailuresThatMatter(e.b().autoscaler->spec)));
  e.b().rec->set_state(std::move(*st));
  r.notes.push_back({false, "decision state restored from status"});
  return status;
}

// ---- watch events ------------------------------------------------------------------------------

Timestamp Engine::SpreadDue(int32_t interval_s, std::size_t count, int64_t us_each) {
  // Many Autoscalers due at once (a start with thousands: ~100 per second; gained ones, kept
  // current by their previous owner: ~8,000 per second) are spread over at most one interval
  // rather than one instant; a single one starts within a millisecond.
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  const int64_t spread_ms =
      std::min<int64_t>(interval_s * 1000LL, static_cast<int64_t>(count) * us_each / 1000);
  return mono_.Now() +
         Duration(spread_ms > 0 ? std::uniform_int_distribution<int64_t>(0, spread_ms)(rng) : 0);
}

void Engine::SetLeading(bool leading) {
  leading_ = leading;
  if (leading) {
    std::lock_guard lock(mu_);
    // The previous leader kept status current: restore from it, not from what we saw earlier;
    // and act now rather than at the interval a follower was idling at -- spread at 1,000 per
    // second, so that 10,000 at once (a start after the first list) are not one burst.
    std::size_t owned = 0;
    for (const auto& [k, e] : entries_) owned += e->owned ? 1U : 0U;
    for (auto& [k, e] : entries_) {
      e->restored = false;
      if (e->owned) queue_.Schedule(e->key, SpreadDue(e->interval_s, owned, kGainedUsEach));
    }
  }
  observer_.Leading(leading);
}

bool Engine::Owned(const std::string& key) const {
  std::lock_guard lock(own_mu_);
  return !owns_ || owns_(key);
}

void Engine::SetOwnership(Ownership owns) {
  {
    std::lock_guard lock(own_mu_);
    owns_ = std::move(owns);
  }
  std::vector<std::string> dropped;
  {
    std::lock_guard lock(mu_);
    std::size_t gained = 0;
    for (const auto& [k, e] : entries_) gained += Owned(e->key) && !e->owned ? 1U : 0U;
    for (auto& [k, e] : entries_) {
      const bool owned = Owned(e->key);
      if (owned && !e->owned) {
        // Gained: its previous owner kept status current; restore from it and act now, not
        // spread over an interval as after a start (a gain writes nothing unless something
        // changed, see Restore).
        e->restored = false;
        queue_.Schedule(e->key, SpreadDue(e->interval_s, gained, kGainedUsEach));
      } else if (!owned && e->owned) {
        dropped.push_back(e->key);
      }
      e->owned = owned;
    }
  }
  for (const auto& k : dropped) {
    queue_.Remove(k);
    observer_.Disowned(k);
  }
  queue_.WaitIdle(dropped);
  // Every replica watches every Autoscaler: what only a reconcile needs (the parsed spec, its
  // sources, the decision state and stored status, ~9 KB) is kept for the owned ones alone. No
  // worker holds these keys now, and Prepare builds only owned entries.
  std::lock_guard lock(mu_);
  for (const auto& k : dropped) {
    auto it = entries_.find(k);
    if (it == entries_.end() || it->second->owned) continue;
    Entry& e = *it->second;
    if (e.built && e.built->last_status != NoStatus()) {
      // Until its next owner writes, the status for a later gain is the one written from here.
      nlohmann::json obj = nlohmann::json::parse(Unpack(e.object), nullptr, false);
      if (obj.is_object() && !obj.contains("status")) {
        obj["status"] = Parse(Unpack(e.b().last_status));
        e.object = Pack(Dump(obj));
      }
    }
    e.dirty = true;
    e.restored = false;
    e.built.reset();
  }
}

std::size_t Engine::built() const {
  std::lock_guard lock(mu_);
  std::size_t n = 0;
  for (const auto& [k, e] : entries_)
    if (e->built && e->built->rec) ++n;
  return n;
}

void Engine::OnAutoscaler(const std::string& key, const nlohmann::json* obj) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (!obj) {
    // Deleted: forget it and leave the target exactly as it is.
    if (it != entries_.end()) {
      Unindex(*it->second);
      entries_.erase(it);
    }
    queue_.Remove(key);
    observer_.Deleted(key);
    observer_.Autoscalers(entries_.size());
    return;
  }
  const auto& spec = Member(*obj, "spec");
  const auto& md = Member(*obj, "metadata");
  // Status writes come back as MODIFIED events: only spec and annotations are a change.
  // A 64-bit hash rather than the text (~0.5 KB per Autoscaler): a missed change needs a collision.
  const uint64_t fingerprint = Fnv1a64(Dump(Member(md, "annotations")), Fnv1a64(Dump(spec)));
  const uint64_t target = TargetHash(TargetTextOf(*obj));
  const bool is_new = it == entries_.end();
  if (is_new) {
    auto e = std::make_shared<Entry>();
    e->key = key;
    e->owned = Owned(key);
    const std::string_view k = e->key;  // the map's key: the Entry's own, held once
    it = entries_.emplace(k, std::move(e)).first;
  }
  Entry& e = *it->second;
  if (leading_.load() && e.owned && e.restored && obj->contains("status")) {
    // The status of an Autoscaler this replica writes comes back here as what it wrote: kept
    // once, in last_status (~1.3 KB each). Restore falls back to that, and a lost shard puts it
    // back into the object (SetOwnership).
    nlohmann::json rest = *obj;
    rest.erase("status");
    e.object = Pack(Dump(rest));
  } else {
    e.object = Pack(Dump(*obj));
  }
  const auto shadow = DryRunAnnotation(*obj);
  e.shadow = shadow && *shadow;
  if (is_new || e.target != target) {
    Unindex(e);
    e.target = target;
    if (target != 0) targets_.emplace(target, &e);
  }
  if (is_new || e.fingerprint != fingerprint) {
    e.fingerprint = fingerprint;
    e.dirty = true;
    int32_t interval = options_.default_polling_interval_s;
    if (const auto& pi = Member(spec, "pollingInterval"); pi.is_number_integer())
      interval = static_cast<int32_t>(std::clamp<int64_t>(pi.get<int64_t>(), 1, 86400));
    e.interval_s = interval;
    // A spec change is acted on now; a new Autoscaler within its spread. Another replica's
    // shard waits until this one gains it.
    if (e.owned)
      queue_.Schedule(key,
                      is_new ? SpreadDue(interval, entries_.size(), kFirstUsEach) : mono_.Now());
  }
  observer_.Autoscalers(entries_.size());
}

void Engine::OnHpa(const std::string& key, const nlohmann::json* obj) {
  std::lock_guard lock(mu_);
  auto it = hpa_target_.find(key);
  if (it != hpa_target_.end()) {
    auto h = hpa_targets_.find(TargetHash(it->second));
    if (h != hpa_targets_.end() && h->second.erase(key) && h->second.empty()) hpa_targets_.erase(h);
    hpa_target_.erase(it);
  }
  if (!obj) return;
  std::string t = TargetTextOf(*obj);
  if (t.empty()) return;
  hpa_targets_[TargetHash(t)].insert(key);
  hpa_target_[key] = std::move(t);
}

}  // namespace ebb::live

#include "controller/live/controller.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>

#include "controller/base/text.h"
#include "controller/decision/explain.h"
#include "controller/kube/resource_metrics.h"
#include "controller/kube/scale_target.h"
#include "controller/live/status.h"
#include "controller/runtime/reconciler.h"
#include "controller/runtime/scaler_metrics.h"
#include "controller/spec/decide_case.h"
#include "controller/spec/state_json.h"
#include "controller/spec/timestamps.h"

namespace ebb::live {
namespace {

constexpr const char* kGroupVersion = "ebb.dev/v1alpha1";

// The latency histogram's `type` label: the poll reads all of an Autoscaler's sources at once, so
// it is labelled with every source type involved ("Prometheus+Redis"), a small fixed set.
std::string SourceTypesLabel(const spec::Autoscaler& a) {
  std::set<std::string> types;
  for (const auto& s : a.sources) types.insert(s.type);
  std::string label;
  for (const auto& t : types) label += (label.empty() ? "" : "+") + t;
  return label.empty() ? "none" : label;
}

// Wall and monotonic clocks drift apart by well under a millisecond per second (NTP slews);
// more than this between two decisions is a step.
constexpr Duration kClockStepTolerance{1000};

double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
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
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

struct Controller::Entry {
  // Guarded by Controller::mu_.
  std::string object;  // the latest object as text: a JSON tree per Autoscaler costs ~10x
  std::string fingerprint;
  bool dirty = true;
  bool restored = false;
  std::string target_key;
  // Owned by the worker holding the key: the queue never hands one key to two workers.
  std::string key, ns, name, uid, status_path;
  int64_t generation = 0;
  std::optional<spec::Autoscaler> autoscaler;
  std::string invalid;
  runtime::ScalerBinding binding;
  std::string source_types;  // the latency histogram's label, fixed per spec
  std::unique_ptr<kube::KubeScaleTarget> target;
  std::unique_ptr<kube::ResourceMetricsReader> reader;
  std::unique_ptr<runtime::Reconciler> rec;
  nlohmann::json last_status = nlohmann::json::object();  // as stored on the server
  nlohmann::json persisted_state;
  std::string persisted_key;
  std::set<std::string> failing;  // event reasons currently failing (an Event on each onset)
  std::set<std::size_t> failing_metrics;  // spec.metrics indices whose last read failed
  std::optional<std::pair<Timestamp, Timestamp>> clocks_seen;  // (wall, monotonic) at a decision
  std::atomic<int32_t> interval_s{15};
};

Controller::Controller(kube::KubeClient& client, ControllerOptions options,
                       metrics::ControllerMetrics& metrics, std::shared_ptr<spdlog::logger> log)
    : client_(client),
      options_(std::move(options)),
      metrics_(metrics),
      log_(std::move(log)),
      discovery_(client),
      events_(client, "ebb", options_.identity) {}

Controller::~Controller() {
  Stop();
}

std::size_t Controller::autoscaler_count() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

void Controller::Start() {
  auto add = [&](const std::string& collection, bool hpa) {
    std::vector<std::string> paths;
    if (options_.namespaces.empty()) {
      paths.push_back(collection);
    } else {
      const auto slash = collection.rfind('/');
      for (const auto& ns : options_.namespaces)
        paths.push_back(collection.substr(0, slash) + "/namespaces/" + ns +
                        collection.substr(slash));
    }
    for (const auto& p : paths) {
      kube::InformerOptions io;
      io.keep_objects = false;  // the entries (or the HPA index) hold what is needed
      auto inf = std::make_unique<kube::Informer>(
          client_, p,
          [this, hpa](const std::string& k, const nlohmann::json* o) { OnChange(hpa, k, o); }, io);
      if (!hpa) autoscaler_informers_.push_back(inf.get());
      inf->Start();
      informers_.push_back(std::move(inf));
    }
  };
  add(std::string("/apis/") + kGroupVersion + "/autoscalers", false);
  if (options_.watch_hpas) add("/apis/autoscaling/v1/horizontalpodautoscalers", true);
  for (std::size_t i = 0; i < std::max<std::size_t>(options_.workers, 1); ++i)
    workers_.emplace_back([this] { Worker(); });
}

bool Controller::WaitForSync(Duration timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (auto& inf : informers_) {
    const auto left =
        std::chrono::duration_cast<Duration>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !inf->WaitForSync(left)) return false;
  }
  return true;
}

bool Controller::Ready(std::string* why) const {
  for (const kube::Informer* inf : autoscaler_informers_) {
    if (inf->healthy()) continue;
    if (why) *why = inf->last_error();
    return false;
  }
  return !autoscaler_informers_.empty();
}

void Controller::OnChange(bool hpa, const std::string& key, const nlohmann::json* obj) {
  try {
    hpa ? OnHpa(key, obj) : OnAutoscaler(key, obj);
  } catch (const std::exception& ex) {
    // Only an object shaped against the schema gets here; the rest of the cache goes on.
    metrics_.Reconciled("error");
    if (log_) {
      log_->error("{} {}: watch event not applied: {}",
                  hpa ? "HorizontalPodAutoscaler" : "autoscaler", SafeText(key),
                  SafeText(ex.what()));
    }
  }
}

void Controller::SetLeading(bool leading) {
  leading_ = leading;
  if (leading) {
    std::lock_guard lock(mu_);
    // The previous leader kept status current: restore from it, not from what we saw earlier;
    // and act now rather than at the interval a follower was idling at.
    for (auto& [k, e] : entries_) {
      e->restored = false;
      queue_.Schedule(k, FirstDue(e->interval_s));
    }
  }
  metrics_.SetLeader(leading);
}

void Controller::Stop() {
  if (stopping_.exchange(true)) return;
  queue_.Shutdown();
  for (auto& w : workers_)
    if (w.joinable()) w.join();
  for (auto& inf : informers_) inf->Stop();
}

Timestamp Controller::FirstDue(int32_t interval_s) {
  // Spread first reconciles (a restart with thousands of Autoscalers) at ~100 per second over
  // at most one interval; a single new Autoscaler starts within a few milliseconds.
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  const int64_t n = static_cast<int64_t>(entries_.size());
  const int64_t spread_ms = std::min<int64_t>(interval_s * 1000LL, n * 10);
  return queue_clock_.Now() +
         Duration(spread_ms > 0 ? std::uniform_int_distribution<int64_t>(0, spread_ms)(rng) : 0);
}

void Controller::OnAutoscaler(const std::string& key, const nlohmann::json* obj) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (!obj) {
    // Deleted: forget it and leave the target exactly as it is.
    if (it != entries_.end()) {
      targets_[it->second->target_key].erase(key);
      entries_.erase(it);
    }
    queue_.Remove(key);
    const auto slash = key.find('/');
    metrics_.Forget(key.substr(0, slash), key.substr(slash + 1));
    metrics_.SetAutoscalers(entries_.size());
    if (log_) log_->info("autoscaler {} deleted; its target is left as it is", key);
    return;
  }
  const auto& spec = Member(*obj, "spec");
  const auto& md = Member(*obj, "metadata");
  // Status writes come back as MODIFIED events: only spec and annotations are a change.
  const std::string fingerprint = Dump(spec) + Dump(Member(md, "annotations"));
  std::string target_key;
  if (const auto& ref = Member(spec, "scaleTargetRef"); ref.is_object())
    target_key = Str(md, "namespace") + "/" + Str(ref, "kind") + "/" + Str(ref, "name");
  const bool is_new = it == entries_.end();
  if (is_new) {
    auto e = std::make_shared<Entry>();
    e->key = key;
    it = entries_.emplace(key, std::move(e)).first;
  }
  Entry& e = *it->second;
  e.object = Dump(*obj);
  if (e.target_key != target_key) {
    targets_[e.target_key].erase(key);
    targets_[target_key].insert(key);
    e.target_key = target_key;
  }
  if (is_new || e.fingerprint != fingerprint) {
    e.fingerprint = fingerprint;
    e.dirty = true;
    int32_t interval = options_.default_polling_interval_s;
    if (const auto& pi = Member(spec, "pollingInterval"); pi.is_number_integer())
      interval = static_cast<int32_t>(std::clamp<int64_t>(pi.get<int64_t>(), 1, 86400));
    e.interval_s = interval;
    // A spec change is acted on now; a new Autoscaler within its spread.
    queue_.Schedule(key, is_new ? FirstDue(interval) : queue_clock_.Now());
  }
  metrics_.SetAutoscalers(entries_.size());
}

void Controller::OnHpa(const std::string& key, const nlohmann::json* obj) {
  std::lock_guard lock(mu_);
  auto it = hpa_target_.find(key);
  if (it != hpa_target_.end()) {
    hpa_targets_[it->second].erase(key);
    hpa_target_.erase(it);
  }
  if (!obj || !Member(*obj, "spec").is_object()) return;
  const auto& ref = Member(Member(*obj, "spec"), "scaleTargetRef");
  const std::string t =
      Str(Member(*obj, "metadata"), "namespace") + "/" + Str(ref, "kind") + "/" + Str(ref, "name");
  hpa_target_[key] = t;
  hpa_targets_[t].insert(key);
}

std::string Controller::Conflict(const std::string& key, const std::string& target_key) const {
  std::lock_guard lock(mu_);
  std::string others;
  if (auto t = targets_.find(target_key); t != targets_.end()) {
    for (const auto& k : t->second)
      if (k != key) others += (others.empty() ? "" : ", ") + ("Autoscaler " + k);
  }
  if (auto h = hpa_targets_.find(target_key); h != hpa_targets_.end()) {
    for (const auto& k : h->second)
      others += (others.empty() ? "" : ", ") + ("HorizontalPodAutoscaler " + k);
  }
  return others;
}

void Controller::Worker() {
  for (;;) {
    auto item = queue_.Take(queue_clock_);
    if (!item) return;
    try {
      Reconcile(*item);
    } catch (const std::exception& ex) {
      Contain(*item, ex.what());
    } catch (...) {
      Contain(*item, "unknown exception");
    }
    queue_.Done(item->key);
  }
}

void Controller::Rebuild(Entry& e, const nlohmann::json& obj) {
  const auto& md = Member(obj, "metadata");
  e.ns = Str(md, "namespace");
  if (e.ns.empty()) e.ns = "default";
  e.name = Str(md, "name");
  e.uid = Str(md, "uid");
  const auto& generation = Member(md, "generation");
  e.generation = generation.is_number_integer() ? generation.get<int64_t>() : 0;
  e.status_path = std::string("/apis/") + kGroupVersion + "/namespaces/" + e.ns + "/autoscalers/" +
                  e.name + "/status";
  auto parsed = spec::ParseAutoscaler(obj);
  if (!parsed) {
    e.invalid = parsed.error().message;
    e.autoscaler.reset();
    e.rec.reset();
    return;
  }
  spec::Autoscaler a = std::move(*parsed);
  if (!Member(obj, "spec").contains("pollingInterval"))
    a.spec.polling_interval_seconds = options_.default_polling_interval_s;
  scalers::ScalerDeps deps{&http_, &redis_, false};
  auto binding = runtime::BindScalers(a, deps);
  if (!binding) {
    e.invalid = binding.error().message;
    e.autoscaler.reset();
    e.rec.reset();
    return;
  }
  e.invalid.clear();
  e.binding = std::move(*binding);
  e.source_types = SourceTypesLabel(a);
  e.interval_s = a.spec.polling_interval_seconds;
  std::optional<decision::DecisionState> keep;
  if (e.rec) keep = e.rec->state();
  e.rec.reset();  // holds references to the reader and target replaced below
  e.autoscaler = std::move(a);
  const spec::Autoscaler& as = *e.autoscaler;
  e.target =
      std::make_unique<kube::KubeScaleTarget>(client_, discovery_, as.namespace_name, as.target);
  kube::KubeScaleTarget* target = e.target.get();
  e.reader = std::make_unique<kube::ResourceMetricsReader>(client_, as.namespace_name, as.spec,
                                                           [target] { return target->selector(); });
  e.rec = std::make_unique<runtime::Reconciler>(as.namespace_name + "/" + as.name, as.spec,
                                                options_.settings, *e.target, *e.reader);
  e.rec->set_dry_run(options_.dry_run);
  e.rec->set_created_at(as.created_at);
  // A spec edit keeps the windows: the state belongs to the Autoscaler, not to its spec.
  if (keep) e.rec->set_state(std::move(*keep));
}

void Controller::Event(Entry& e, const std::string& type, const std::string& reason,
                       const std::string& message, Timestamp now) {
  if (options_.dry_run && reason == "SuccessfulRescale") return;
  kube::ObjectRef ref{kGroupVersion, "Autoscaler", e.ns, e.name, e.uid};
  auto r = events_.Record(ref, type, reason, message, now);
  stats_.events.fetch_add(1);
  metrics_.ApiWrite("event");
  if (!r && log_)
    log_->warn("autoscaler {}: cannot record Event {}: {}", e.key, reason, r.error().message);
}

void Controller::WriteStatus(Entry& e, nlohmann::json status) {
  if (status == e.last_status) return;  // nothing changed: no write
  auto r = client_.MergePatch(e.status_path, {{"status", StatusPatch(e.last_status, status)}});
  stats_.status_writes.fetch_add(1);
  metrics_.ApiWrite("status");
  if (!r) {
    if (log_ && r.error().code != ErrorCode::kNotFound)
      log_->warn("autoscaler {}: status write failed: {}", e.key, r.error().message);
    return;  // retried by the next reconcile, as last_status is unchanged
  }
  e.last_status = std::move(status);
}

void Controller::LogMetricTransitions(Entry& e, const spec::Autoscaler& a,
                                      const decision::Decision& d) {
  for (std::size_t i = 0; i < d.metrics.size() && i < a.spec.metrics.size(); ++i) {
    const bool failed = d.metrics[i].status != decision::MetricStatus::kOk;
    if (failed == static_cast<bool>(e.failing_metrics.count(i))) continue;
    if (failed) {
      e.failing_metrics.insert(i);
      if (log_) {
        log_->warn("autoscaler {}: spec.metrics[{}] {}: read failed: {}", e.key, i,
                   a.spec.metrics[i].name, SafeText(d.metrics[i].error, 1024));
      }
    } else {
      e.failing_metrics.erase(i);
      if (log_) {
        log_->info("autoscaler {}: spec.metrics[{}] {}: read again", e.key, i,
                   a.spec.metrics[i].name);
      }
    }
  }
}

void Controller::Contain(const DueItem& item, const std::string& what_raw) {
  const std::string what = SafeText(what_raw, 512);
  metrics_.Reconciled("error");
  if (log_) log_->error("autoscaler {}: reconcile failed: {}", SafeText(item.key), what);
  std::shared_ptr<Entry> ep;
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(item.key);
    if (it == entries_.end()) return;
    ep = it->second;
  }
  Entry& e = *ep;
  const Timestamp now = clock_.Now();
  try {
    if (!e.status_path.empty()) {
      const std::string msg = "reconcile failed: " + what;
      // Ready says why; the other conditions stay as they were last written.
      nlohmann::json conditions =
          ConditionsJson({{"Ready", false, "ReconcileError", msg}},
                         Member(e.last_status, "conditions"), e.generation, now);
      for (const auto& c : Member(e.last_status, "conditions"))
        if (Str(c, "type") != "Ready") conditions.push_back(c);
      nlohmann::json status = e.last_status.is_object() ? e.last_status : nlohmann::json::object();
      status["conditions"] = std::move(conditions);
      WriteStatus(e, std::move(status));
      if (!e.failing.count("ReconcileError")) Event(e, "Warning", "ReconcileError", msg, now);
      e.failing = {"ReconcileError"};
    }
  } catch (const std::exception& ex) {
    if (log_) {
      log_->error("autoscaler {}: cannot report the failure: {}", SafeText(item.key),
                  SafeText(ex.what()));
    }
  }
  // Due times are on the queue's (monotonic) clock, not the wall clock of the status.
  queue_.Schedule(item.key, queue_clock_.Now() + ebb::Seconds(std::max(1, e.interval_s.load())));
}

namespace {

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

}  // namespace

void Controller::Reconcile(const DueItem& item) {
  std::shared_ptr<Entry> ep;
  std::string obj_text;
  bool dirty = false, restored = true;
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(item.key);
    if (it == entries_.end()) return;  // deleted meanwhile
    ep = it->second;
    dirty = ep->dirty;
    ep->dirty = false;
    restored = ep->restored;
    ep->restored = true;
    // The object's text is needed only to rebuild or restore (rec/invalid are the worker's own).
    if (dirty || !restored || (!ep->rec && ep->invalid.empty())) obj_text = ep->object;
  }
  Entry& e = *ep;
  const Timestamp now = clock_.Now();
  const Timestamp queue_now = queue_clock_.Now();
  metrics_.Drift(std::max(0.0, static_cast<double>((queue_now - item.due).count()) / 1000.0));
  const auto started = std::chrono::steady_clock::now();
  auto reschedule = [&](int32_t interval_s) {
    // Fixed rate from the due time, without catch-up bursts after a stall.
    Timestamp next = item.due + ebb::Seconds(interval_s);
    if (next < queue_now) next = queue_now;
    queue_.Schedule(item.key, next);
  };
  if (!leading_.load()) {
    std::lock_guard lock(mu_);
    ep->restored = restored;  // not acted on: restore when leading
    if (dirty) ep->dirty = true;
    reschedule(std::max(1, e.interval_s.load()));
    return;
  }
  nlohmann::json obj;  // parsed only when a rebuild or a restore needs it
  if (dirty || !restored || (!e.rec && e.invalid.empty()))
    obj = nlohmann::json::parse(obj_text, nullptr, false);
  if (dirty || (!e.rec && e.invalid.empty())) Rebuild(e, obj);
  MaybeFail(item.key);
  const int64_t generation = e.generation;
  if (!restored) {
    // First sight (or leadership just gained): continue from the stored status, which another
    // process's clock wrote; the step check starts afresh from it.
    e.clocks_seen.reset();
    e.last_status = Member(obj, "status");
    if (!e.last_status.is_object()) e.last_status = nlohmann::json::object();
    e.persisted_key.clear();
    e.persisted_state = e.last_status.value("decisionState", nlohmann::json());
    if (e.rec && e.last_status.contains("decisionState")) {
      auto st = spec::StateFromJson(e.last_status["decisionState"], "status.decisionState");
      if (st) {
        bool was_active = false;
        for (const auto& c : Member(e.last_status, "conditions"))
          if (Str(c, "type") == "Active" && Str(c, "status") == "True") was_active = true;
        RefreshRestoredState(*st, was_active, now);
        e.rec->set_state(std::move(*st));
        if (log_) log_->info("autoscaler {}: decision state restored from status", e.key);
      } else if (log_) {
        log_->warn("autoscaler {}: stored decision state ignored: {}", e.key, st.error().message);
      }
    }
  }

  nlohmann::json status = e.last_status;
  auto ready = [&](bool ok, const std::string& reason, const std::string& message) {
    return decision::Condition{"Ready", ok, reason, message};
  };

  if (!e.invalid.empty()) {
    status = {{"observedGeneration", generation},
              {"conditions", ConditionsJson({ready(false, "InvalidSpec", e.invalid)},
                                            e.last_status.value("conditions", nlohmann::json()),
                                            generation, now)}};
    if (!e.failing.count("InvalidSpec")) Event(e, "Warning", "InvalidSpec", e.invalid, now);
    e.failing = {"InvalidSpec"};
    WriteStatus(e, std::move(status));
    metrics_.Reconciled("invalid", Seconds(std::chrono::steady_clock::now() - started));
    return;  // an edit re-queues it
  }
  const spec::Autoscaler& a = *e.autoscaler;
  std::string target_key;
  {
    std::lock_guard lock(mu_);
    target_key = ep->target_key;
  }
  if (const std::string others = Conflict(e.key, target_key); !others.empty()) {
    const std::string msg = a.target.kind + " " + a.target.name + " is also scaled by " + others +
                            "; ebb will not act on a target with more than one autoscaler";
    std::vector<decision::Condition> conds = {{"AbleToScale", false, "AmbiguousScaleTarget", msg},
                                              ready(false, "AmbiguousScaleTarget", msg)};
    status["observedGeneration"] = generation;
    status["conditions"] =
        ConditionsJson(conds, e.last_status.value("conditions", nlohmann::json()), generation, now);
    if (!e.failing.count("AmbiguousScaleTarget"))
      Event(e, "Warning", "AmbiguousScaleTarget", msg, now);
    e.failing = {"AmbiguousScaleTarget"};
    WriteStatus(e, std::move(status));
    metrics_.Reconciled("conflict", Seconds(std::chrono::steady_clock::now() - started));
    reschedule(e.interval_s);
    return;
  }

  // Metrics first (bounded by the timeout), then scale -> decide -> patch in the Reconciler.
  const auto poll_start = std::chrono::steady_clock::now();
  const Duration timeout =
      std::min<Duration>(options_.metrics_timeout, ebb::Seconds(std::max(1, e.interval_s.load())));
  auto polled = runtime::PollAll({&a}, {&e.binding}, {now, now + timeout});
  metrics_.ScalerLatency(e.source_types, Seconds(std::chrono::steady_clock::now() - poll_start));
  e.reader->set_scaler_readings(std::move(polled[0]));
  const Timestamp decided_at = clock_.Now();
  const Timestamp decided_mono = queue_clock_.Now();
  if (e.clocks_seen) {
    // A wall-clock step since the last decision would cut (forward) or stretch (back) every
    // window, rate-limit period and cooldown by its length: the state moves with the clock.
    const Duration step =
        (decided_at - e.clocks_seen->first) - (decided_mono - e.clocks_seen->second);
    if (step > kClockStepTolerance || step < -kClockStepTolerance) {
      decision::DecisionState shifted = e.rec->state();
      ShiftStateTimes(shifted, step);
      e.rec->set_state(std::move(shifted));
      if (log_)
        log_->warn("autoscaler {}: the wall clock stepped by {} ms; decision times moved with it",
                   e.key, step.count());
    }
  }
  e.clocks_seen = std::make_pair(decided_at, decided_mono);
  const runtime::ReconcileOutcome outcome = e.rec->Reconcile(decided_at);
  stats_.reconciles.fetch_add(1);
  const decision::Decision& d = e.rec->last_decision();
  const decision::DecisionState& state = e.rec->state();

  std::vector<decision::Condition> conds;
  std::set<std::string> failing;
  if (!outcome.scale_read) {
    conds.push_back({"AbleToScale", false, "FailedGetScale", outcome.error});
    conds.push_back(ready(false, "FailedGetScale", outcome.error));
    failing.insert("FailedGetScale");
    if (!e.failing.count("FailedGetScale"))
      Event(e, "Warning", "FailedGetScale", outcome.error, now);
  } else {
    conds = decision::Conditions(a.spec, d);
    if (!outcome.error.empty()) {
      for (auto& c : conds)
        if (c.type == "AbleToScale") c = {"AbleToScale", false, "FailedUpdateScale", outcome.error};
      failing.insert("FailedRescale");
      Event(e, "Warning", "FailedRescale", outcome.error, now);
    }
    for (std::size_t i = 0; i < d.metrics.size() && i < a.spec.metrics.size(); ++i) {
      if (d.metrics[i].status == decision::MetricStatus::kOk) {
        const auto& t = a.spec.metrics[i].target;
        const bool util = t.type == decision::TargetType::kUtilization;
        metrics_.SetMetric(a.namespace_name, a.name, a.spec.metrics[i].name,
                           util ? d.metrics[i].utilization
                                : static_cast<double>(d.metrics[i].value_milli) / 1000.0,
                           util ? t.average_utilization
                           : t.type == decision::TargetType::kValue
                               ? static_cast<double>(t.value_milli) / 1000.0
                               : static_cast<double>(t.average_value_milli) / 1000.0);
        continue;
      }
      const std::string reason = decision::FailedMetricReason(a.spec.metrics[i]);
      metrics_.ScalerError(a.namespace_name, a.name, a.spec.metrics[i].name);
      if (failing.insert(reason).second && !e.failing.count(reason)) {
        const std::string msg =
            "spec.metrics[" + std::to_string(i) + "] " + a.spec.metrics[i].name + ": " +
            d.metrics[i].error +
            (d.reason == decision::Reason::kFailedGetMetrics
                 ? "; holding at " + std::to_string(d.desired_replicas) + " replicas"
                 : "");
        Event(e, "Warning", reason, msg, now);
      }
    }
    if (failing.empty())
      conds.push_back(ready(true, options_.dry_run ? "DryRun" : "Reconciled",
                            options_.dry_run ? "shadow mode: decisions are reported, never applied"
                                             : "the target is being autoscaled"));
    else
      conds.push_back(ready(false, *failing.begin(), "see the other conditions and Events"));
  }
  e.failing = std::move(failing);
  // Failure and recovery of each metric source are logged once, at the transition.
  if (outcome.scale_read) LogMetricTransitions(e, a, d);

  if (outcome.patched) {
    stats_.scale_patches.fetch_add(1);
    metrics_.ApiWrite("scale");
    const std::string reason = decision::RescaleReason(a.spec, d);
    metrics_.ScaleEvent(d.desired_replicas > d.current_replicas ? "up" : "down",
                        decision::ToString(d.reason));
    Event(e, "Normal", "SuccessfulRescale",
          "New size: " + std::to_string(d.desired_replicas) + "; reason: " + reason, now);
    if (log_)
      log_->info("autoscaler {}: rescaled {} from {} to {}: {}", e.key, e.target->Describe(),
                 d.current_replicas, d.desired_replicas, decision::Summary(a.spec, d));
  } else if (log_ && outcome.scale_read && d.scale && options_.dry_run) {
    log_->info("autoscaler {}: dry run: would rescale {} from {} to {}: {}", e.key,
               e.target->Describe(), d.current_replicas, d.desired_replicas,
               decision::Summary(a.spec, d));
  } else if (log_ && !outcome.error.empty()) {
    log_->warn("autoscaler {}: {}", e.key, outcome.error);
  }

  if (outcome.scale_read) {
    metrics_.SetReplicas(a.namespace_name, a.name, d.current_replicas, d.desired_replicas);
    const std::string key =
        PersistKey(state, clock_.Now(), LongestWindowSeconds(a.spec, options_.settings));
    if (key != e.persisted_key) {
      e.persisted_key = key;
      e.persisted_state = spec::StateToJson(state);
    }
    status["observedGeneration"] = generation;
    status["reference"] = ReferenceText(a.target);
    status["targets"] = TargetsText(a.spec, d);
    status["currentReplicas"] = outcome.patched ? d.desired_replicas : d.current_replicas;
    status["desiredReplicas"] = d.desired_replicas;
    if (state.last_scale_time)
      status["lastScaleTime"] = spec::FormatRfc3339(*state.last_scale_time);
    // Only while inactive: then it is fixed and says when the cooldown started; while active it
    // would be "now" at every poll, a status write each time for nothing.
    if (!d.active && state.last_active_time)
      status["lastActiveTime"] = spec::FormatRfc3339(*state.last_active_time);
    if (d.paused && a.spec.paused_replicas) status["pausedReplicas"] = *a.spec.paused_replicas;
    status["currentMetrics"] = spec::MetricsToJson(a.spec, d);
    status["decisionState"] = e.persisted_state;
  }
  status["conditions"] =
      ConditionsJson(conds, e.last_status.value("conditions", nlohmann::json()), generation, now);
  WriteStatus(e, std::move(status));
  metrics_.Reconciled(outcome.error.empty() ? "ok" : "error",
                      Seconds(std::chrono::steady_clock::now() - started));
  reschedule(e.interval_s);
}

}  // namespace ebb::live

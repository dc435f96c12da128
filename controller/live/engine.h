// The controller's work without its threads and transports: the Autoscalers seen by the watches,
// their due times, and the reconcile of each (read the scale, decide, patch, write status) over
// the ports of kube_access.h. Every Autoscaler due in one tick is polled in one batched round per
// kind of source. The live Controller drives it from a dispatcher thread and a WorkPool;
// tests/live drives it inline (RunDue) against in-memory fakes.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "controller/decision/types.h"
#include "controller/live/due_queue.h"
#include "controller/live/kube_access.h"
#include "controller/live/observer.h"
#include "controller/live/reconcile_result.h"
#include "controller/live/status_report.h"

namespace ebb::live {

// Per Autoscaler, `metadata.annotations["ebb.dev/dry-run"]: "true"` is shadow mode for it alone.
inline constexpr const char* kDryRunAnnotation = "ebb.dev/dry-run";

struct ControllerOptions {
  std::vector<std::string> namespaces;  // empty: every namespace
  std::size_t workers = 8;              // reconciles in flight at most
  // Shadow mode for every Autoscaler: decide and report (status, WouldRescale Events, metrics),
  // never patch; a target another autoscaler scales is not refused.
  bool dry_run = false;
  decision::Settings settings;
  int32_t default_polling_interval_s = 15;  // for specs that do not set pollingInterval
  Duration metrics_timeout = Seconds(5);    // a metric read gives up after min(this, interval)
  // Autoscalers due within this much of the first due one are polled with it, in one batch
  // (up to this much early: intervals keep their cadence, decisions use the wall clock).
  Duration batch_window = Duration(100);
  std::string identity = "ebb";  // Event reportingInstance
  bool watch_hpas = true;        // refuse targets a native HPA also scales
  // Targets and pods from shared informers (kube::TargetCache, kube::PodCache); off: a GET of
  // /scale per reconcile and a pod LIST per Resource reconcile, as before issue 13.
  bool watch_caches = true;
};

class Engine {
 public:
  // `wall` dates decisions, status and Events; `mono` dates the queue (never shown or stored).
  Engine(KubeAccess& kube, SourceAccess& sources, ReconcileObserver& observer,
         ControllerOptions options, const Clock& wall, const Clock& mono);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Watch events (obj null: deleted).
  void OnAutoscaler(const std::string& key, const nlohmann::json* obj);
  void OnHpa(const std::string& key, const nlohmann::json* obj);
  // Gaining leadership re-restores every decision state from the stored status (the previous
  // leader kept it current) and acts at once.
  void SetLeading(bool leading);
  // Sharding (controller/shard): the Autoscalers this replica acts on, by key; unset, all of
  // them. Returns once the reconciles in flight for Autoscalers it no longer owns have finished,
  // so the caller may then hand their shard over.
  using Ownership = std::function<bool(const std::string& key)>;
  void SetOwnership(Ownership owns);
  std::size_t size() const;
  // The keys of the Autoscalers held that start with `prefix` ("ns/" for one namespace): what an
  // informer re-listing them needs to find the deleted ones (InformerOptions::keys).
  std::vector<std::string> Keys(const std::string& prefix) const;
  // Autoscalers with a reconciler built (owned ones that were due at least once).
  std::size_t built() const;
  DueQueue& queue() { return queue_; }

  // One Autoscaler taken from the queue, ready to be polled and reconciled.
  struct Work;
  // Autoscalers whose sources are of the same kinds, polled in one round.
  struct Batch {
    std::string types;  // "Prometheus+Redis", "none"
    std::vector<std::shared_ptr<Work>> items;
  };
  // Takes the due items: rebuilds changed specs and restores state on first sight; reports and
  // finishes what has nothing to poll (not leading, deleted, failed to build); groups the rest.
  std::vector<Batch> Prepare(const std::vector<DueItem>& due);
  // The batch's sources in one round: readings per item.
  std::vector<std::vector<decision::MetricReading>> Poll(const Batch& batch);
  // Reconciles one item with its readings, reports the result and hands the key back.
  void Finish(Work& work, std::vector<decision::MetricReading> readings);
  // Everything due by `now` (mono clock, plus the batch window), inline. For tests and tools.
  void RunDue(Timestamp now);

 private:
  struct Entry;
  struct Built;
  ReconcileResult Reconcile(Work& w, std::vector<decision::MetricReading> readings);
  ReconcileResult Contain(Work& w, const std::string& what);
  ReconcileResult Begin(const Work& w) const;
  ReconcileResult Conclude(Work& w, ReconcileResult r, ReconcileResult::Kind kind, StatusInput& in,
                           bool reschedule);
  StatusInput Input(const Entry& e) const;
  void Rebuild(Entry& e, const nlohmann::json& obj);
  void Unindex(const Entry& e);  // from targets_ (under mu_)
  // `stored`: the status the object carried (moved from), or nullptr when it was kept without.
  // Returns the status restored from (an object), for the reconcile that follows.
  nlohmann::json Restore(Entry& e, nlohmann::json* stored, ReconcileResult& r);
  void FollowWallClock(Entry& e, ReconcileResult& r);
  void Describe(Entry& e, const runtime::ReconcileOutcome& o, ReconcileResult& r);
  std::optional<metrics::AutoscalerSnapshot> Snapshot(const Entry& e, const StatusInput& in) const;
  // Builds the status from the stored one (parsed here) and writes it when it changed; keeps
  // `digest` (StatusDigest of `in`) when last_status then holds what was built.
  void UpdateStatus(Work& w, StatusInput& in, std::optional<uint64_t> digest, ReconcileResult& r);
  // `previous`: the status as stored (parsed from Entry::last_status for this reconcile).
  // True when last_status now holds `status` (unchanged or written).
  bool WriteStatus(Entry& e, const nlohmann::json& previous, const nlohmann::json& status,
                   ReconcileResult& r);
  std::string Conflict(const Entry& e) const;
  void Reschedule(const Work& w, int32_t interval_s);
  // Due within min(interval, count * us_each) from now, at random. mu_ held.
  static constexpr int64_t kFirstUsEach = 10'000;  // a start: ~100 per second
  // Leadership or shards gained: ~8,000 per second, about what the dispatcher prepares on a
  // quiet core (~0.2 ms of CPU each, half of it in Prepare; the dispatcher's bound on keys taken
  // keeps a burst from piling up; 1,000 per second made a 5,000-Autoscaler takeover take 5 s
  // more, 4,000 per second ~0.6 s more).
  static constexpr int64_t kGainedUsEach = 125;
  Timestamp SpreadDue(int32_t interval_s, std::size_t count, int64_t us_each);

  KubeAccess& kube_;
  SourceAccess& sources_;
  ReconcileObserver& observer_;
  ControllerOptions options_;
  const Clock& wall_;
  const Clock& mono_;
  DueQueue queue_;
  std::atomic<bool> leading_{false};
  bool Owned(const std::string& key) const;
  mutable std::mutex own_mu_;  // guards owns_ (taken after mu_, never before it)
  Ownership owns_;

  mutable std::mutex mu_;  // guards the maps below and Entry::object/fingerprint/dirty/shadow
  // Keyed by a view of Entry::key (30,000 keys held once rather than twice per replica).
  std::map<std::string_view, std::shared_ptr<Entry>, std::less<>> entries_;
  // Hash of "ns/Kind/name" -> the Autoscalers scaling it (held in entries_): by hash rather
  // than text, since every replica indexes every Autoscaler (~0.13 KB each as text keys in maps
  // of sets); Conflict confirms a match on the text.
  std::unordered_multimap<uint64_t, const Entry*> targets_;
  std::map<std::string, std::string> hpa_target_;  // hpa key -> "ns/Kind/name" (HPAs are few)
  std::map<uint64_t, std::set<std::string>> hpa_targets_;
};

}  // namespace ebb::live

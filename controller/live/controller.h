// The live controller: Autoscalers from list+watch, each reconciled at its pollingInterval by a
// fixed pool of workers taking keys from a due-time queue (no thread per Autoscaler; a slow
// metric source holds one worker for at most its timeout). A reconcile reads the scale, reads
// the metrics, decides through runtime::Reconciler, patches only on change, and writes status,
// conditions and Events only when they change. Only the leader acts.
#pragma once

#include <spdlog/logger.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "controller/decision/types.h"
#include "controller/kube/discovery.h"
#include "controller/kube/event_recorder.h"
#include "controller/kube/informer.h"
#include "controller/kube/kube_client.h"
#include "controller/live/due_queue.h"
#include "controller/net/curl_http_client.h"
#include "metrics/controller_metrics.h"
#include "scalers/redis_pool.h"

namespace ebb::spec {
struct Autoscaler;
}  // namespace ebb::spec

namespace ebb::live {

struct ControllerOptions {
  std::vector<std::string> namespaces;  // empty: every namespace
  std::size_t workers = 8;              // reconciles in flight at most
  bool dry_run = false;                 // shadow mode: decide and report, never patch
  decision::Settings settings;
  int32_t default_polling_interval_s = 15;  // for specs that do not set pollingInterval
  Duration metrics_timeout = Seconds(5);    // a metric read gives up after min(this, interval)
  std::string identity = "ebb";             // Event reportingInstance
  bool watch_hpas = true;                   // refuse targets a native HPA also scales
};

// The monotonic clock in the Timestamp type, for due times only (never shown, never stored): a
// wall-clock step (NTP stepping, a VM resumed) neither stalls the queue for the step's length nor
// makes every key due at once.
class MonotonicClock final : public Clock {
 public:
  Timestamp Now() const override {
    return Timestamp(
        std::chrono::duration_cast<Duration>(std::chrono::steady_clock::now().time_since_epoch()));
  }
};

struct ControllerStats {
  std::atomic<uint64_t> reconciles{0};
  std::atomic<uint64_t> scale_patches{0};
  std::atomic<uint64_t> status_writes{0};
  std::atomic<uint64_t> events{0};
};

class Controller {
 public:
  Controller(kube::KubeClient& client, ControllerOptions options,
             metrics::ControllerMetrics& metrics, std::shared_ptr<spdlog::logger> log);
  ~Controller();
  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;

  void Start();
  bool WaitForSync(Duration timeout);
  // From leader election. Gaining leadership re-restores every decision state from the stored
  // status (the previous leader kept it current).
  void SetLeading(bool leading);
  // Stops taking work and waits for the reconciles in flight, patches included.
  void Stop();
  const ControllerStats& stats() const { return stats_; }
  std::size_t autoscaler_count() const;
  // Autoscalers listed and their watches established (see kube::Informer::healthy); when not,
  // `why` is the last list or watch error (empty while the first list is simply in flight).
  bool Ready(std::string* why = nullptr) const;

 private:
  struct Entry;
  void OnAutoscaler(const std::string& key, const nlohmann::json* obj);
  void OnHpa(const std::string& key, const nlohmann::json* obj);
  void Worker();
  void Reconcile(const DueItem& item);
  // The boundary of one Autoscaler: whatever a reconcile throws ends here, as a condition, an
  // Event, a log line and reconciles_total{result="error"}, and the Autoscaler is polled again
  // at its interval. Other Autoscalers and the process go on.
  void Contain(const DueItem& item, const std::string& what);
  void OnChange(bool hpa, const std::string& key, const nlohmann::json* obj);
  // A metric whose read starts failing is logged once with the reason, and once when it reads
  // again: not at every poll.
  void LogMetricTransitions(Entry& e, const spec::Autoscaler& a, const decision::Decision& d);
  void Rebuild(Entry& e, const nlohmann::json& obj);
  std::string Conflict(const std::string& key, const std::string& target_key) const;
  void Event(Entry& e, const std::string& type, const std::string& reason,
             const std::string& message, Timestamp now);
  void WriteStatus(Entry& e, nlohmann::json status);
  Timestamp FirstDue(int32_t interval_s);

  kube::KubeClient& client_;
  ControllerOptions options_;
  metrics::ControllerMetrics& metrics_;
  std::shared_ptr<spdlog::logger> log_;
  SystemClock clock_;           // decisions, status and Events
  MonotonicClock queue_clock_;  // due times
  kube::Discovery discovery_;
  kube::EventRecorder events_;
  net::CurlHttpClient http_;
  scalers::RedisPool redis_;
  DueQueue queue_;
  ControllerStats stats_;
  std::atomic<bool> leading_{false};
  std::atomic<bool> stopping_{false};

  mutable std::mutex mu_;  // guards the maps below and Entry::object/fingerprint/dirty
  std::map<std::string, std::shared_ptr<Entry>> entries_;
  std::map<std::string, std::set<std::string>> targets_;  // "ns/Kind/name" -> autoscaler keys
  std::map<std::string, std::string> hpa_target_;         // hpa key -> target key
  std::map<std::string, std::set<std::string>> hpa_targets_;

  std::vector<std::unique_ptr<kube::Informer>> informers_;
  std::vector<const kube::Informer*> autoscaler_informers_;
  std::vector<std::thread> workers_;
};

}  // namespace ebb::live

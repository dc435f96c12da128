// The live controller: Autoscalers from list+watch, each reconciled at its pollingInterval. A
// dispatcher thread takes what is due from a due-time queue (no thread per Autoscaler), and hands
// each batch -- the Autoscalers due in one tick whose sources are of the same kinds -- to a fixed
// pool of workers: one batched poll of their sources, then one reconcile each (Engine). A slow
// metric source holds one worker and its own batch for at most its timeout. Only the leader acts.
#pragma once

#include <spdlog/logger.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "controller/kube/informer.h"
#include "controller/kube/kube_client.h"
#include "controller/kube/secret_cache.h"
#include "controller/live/api_server_access.h"
#include "controller/live/engine.h"
#include "controller/live/observer.h"
#include "controller/live/work_pool.h"
#include "metrics/controller_metrics.h"

namespace ebb::live {

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
  // Sharding: see Engine::SetOwnership.
  void SetOwnership(Engine::Ownership owns) { engine_.SetOwnership(std::move(owns)); }
  // Stops taking work and waits for the reconciles in flight, patches included.
  void Stop();
  const ControllerStats& stats() const { return observer_.stats(); }
  std::size_t autoscaler_count() const { return engine_.size(); }
  // Autoscalers listed and their watches established (see kube::Informer::healthy); when not,
  // `why` is the last list or watch error (empty while the first list is simply in flight).
  bool Ready(std::string* why = nullptr) const;

 private:
  void OnChange(bool hpa, const std::string& key, const nlohmann::json* obj);
  void Dispatch();

  kube::KubeClient& client_;
  ControllerOptions options_;
  SystemClock clock_;           // decisions, status and Events
  MonotonicClock queue_clock_;  // due times
  ApiServerAccess kube_;
  kube::SecretCache secrets_;  // the Secrets Autoscalers name, read in their own namespaces
  ScalerSources sources_;
  ReconcileObserver observer_;
  Engine engine_;
  std::atomic<bool> stopping_{false};
  std::vector<std::unique_ptr<kube::Informer>> informers_;
  std::vector<const kube::Informer*> autoscaler_informers_;
  std::unique_ptr<WorkPool> pool_;
  std::thread dispatcher_;
};

}  // namespace ebb::live

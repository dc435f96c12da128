// What one reconcile needs from outside the process, as two narrow ports: KubeAccess (the target's
// scale, the metrics the cluster serves for its pods, the Autoscaler's status, Events) and
// SourceAccess (the scalers' metric sources, bound once per spec and polled in batches). The live
// controller plugs in the API server and the scalers; tests/live plugs in in-memory fakes.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "controller/api/autoscaler.h"
#include "controller/base/result.h"
#include "controller/base/time.h"
#include "controller/decision/types.h"
#include "controller/runtime/reconciler.h"

namespace ebb::live {

// The object an Event is about.
struct ObjectRef {
  std::string api_version, kind, ns, name, uid;
};

// One Autoscaler's target: its scale subresource, and the readings the cluster serves for its
// pods (they need the selector the scale read returns, so they are read after it).
class TargetAccess : public runtime::ScaleTarget {
 public:
  // "Deployment jobs/worker", for messages.
  virtual std::string Describe() const = 0;
  // Replaces the readings of the metrics the cluster serves; the scalers' pass through.
  virtual runtime::MetricReader& ClusterMetrics() = 0;
};

class KubeAccess {
 public:
  virtual ~KubeAccess() = default;
  virtual std::unique_ptr<TargetAccess> Target(const api::Autoscaler& autoscaler) = 0;
  // A merge patch of the Autoscaler's status subresource.
  virtual Result<void> PatchStatus(const std::string& ns, const std::string& name,
                                   const nlohmann::json& status_patch) = 0;
  // type: "Normal" or "Warning"; best effort (the failure is logged by the caller).
  virtual Result<void> RecordEvent(const ObjectRef& object, const std::string& type,
                                   const std::string& reason, const std::string& message,
                                   Timestamp now) = 0;
};

class SourceAccess {
 public:
  // An Autoscaler's metric sources, bound to their clients once per spec.
  class Binding {
   public:
    virtual ~Binding() = default;
  };
  virtual ~SourceAccess() = default;
  // kInvalidConfig naming every misconfigured source.
  virtual Result<std::unique_ptr<Binding>> Bind(const api::Autoscaler& autoscaler) = 0;
  // One batched round over every Autoscaler given: readings per Autoscaler, per spec metric (a
  // metric no scaler serves reads as failed; the cluster's readings replace it later).
  virtual std::vector<std::vector<decision::MetricReading>> Poll(
      const std::vector<const api::Autoscaler*>& autoscalers, const std::vector<Binding*>& bindings,
      Timestamp now, Timestamp deadline) = 0;
};

}  // namespace ebb::live

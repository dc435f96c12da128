// What one reconcile did, as a value: the reconcile returns it and ReconcileObserver reports it
// (metrics, logs, Events) in one place.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "controller/base/result.h"
#include "controller/live/kube_access.h"
#include "controller/live/status_report.h"
#include "metrics/autoscaler_snapshot.h"

namespace ebb::live {

struct ReconcileResult {
  enum class Kind {
    kSkipped,   // not the leader: nothing done, the key comes back at its interval
    kOk,        // decided (and patched, if the decision was a rescale)
    kError,     // decided, but the scale could not be read or written; or the reconcile threw
    kInvalid,   // the spec cannot be acted on
    kConflict,  // another autoscaler scales the target
  };
  Kind kind = Kind::kSkipped;
  std::string key;  // "namespace/name"
  std::string ns, name;
  ObjectRef object;    // for Events
  double drift_s = 0;  // how late the reconcile started
  // Seconds the reconcile took; absent for one cut short (a throw), which is counted only.
  std::optional<double> seconds;

  // The decision, when the scale was read.
  bool scale_read = false;
  bool patched = false;
  bool would_patch = false;  // shadow mode: the rescale left unapplied
  bool dry_run = false;
  int32_t current = 0, desired = 0;
  std::string reason;   // decision::ToString(reason), the scale-event label
  std::string target;   // "Deployment ns/name"
  std::string summary;  // decision::Summary
  std::optional<Error> error;
  bool contained = false;  // the reconcile threw: `error` is what

  // spec.metrics entries whose read started failing (with why) or read again.
  struct Transition {
    std::size_t index = 0;
    std::string name;
    bool failed = false;
    std::string error;
  };
  std::vector<Transition> transitions;

  std::vector<EventNote> events;
  bool status_written = false;  // a status write was attempted
  std::optional<Error> status_error;
  // Anything else worth a log line ("decision state restored", a clock step).
  struct Note {
    bool warn = false;
    std::string text;
  };
  std::vector<Note> notes;
  // The series this reconcile exports (metrics::ControllerMetrics::Observe); absent when there
  // is no parsed spec to describe (an invalid Autoscaler).
  std::optional<metrics::AutoscalerSnapshot> snapshot;
};

const char* ToString(ReconcileResult::Kind kind);

}  // namespace ebb::live

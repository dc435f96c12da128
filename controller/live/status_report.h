// What a reconcile says about an Autoscaler: its status (conditions included) and the Events to
// record, built by one pure function from the previous status, what was decided and how the
// scale write went. No clock, no I/O: tests/live tables every case.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "controller/api/autoscaler.h"
#include "controller/base/time.h"
#include "controller/decision/types.h"
#include "controller/runtime/reconciler.h"

namespace ebb::live {

struct EventNote {
  std::string type;  // Normal, Warning
  std::string reason;
  std::string message;
  bool operator==(const EventNote&) const = default;
};

struct StatusInput {
  enum class Kind {
    kDecided,      // a reconcile ran: decision and outcome below
    kInvalidSpec,  // the spec cannot be acted on: `message` says why
    kConflict,     // another autoscaler scales the target: `message` names it
    kContained,    // the reconcile threw: `message` is what it threw
  };
  Kind kind = Kind::kDecided;
  nlohmann::json previous = nlohmann::json::object();  // the status as stored
  std::set<std::string> failing;                       // reasons failing at the previous reconcile
  int64_t generation = 0;
  Timestamp now{};
  bool dry_run = false;
  std::string message;
  // kDecided only.
  const api::Autoscaler* autoscaler = nullptr;
  const decision::Decision* decision = nullptr;
  const decision::DecisionState* state = nullptr;
  runtime::ReconcileOutcome outcome;
  std::string persisted_state = "null";  // status.decisionState to write, as JSON text
};

struct StatusReport {
  nlohmann::json status;
  std::vector<EventNote> events;  // to record, in order
  // Reasons failing now: a Warning Event is recorded at a failure's onset, not at every poll.
  std::set<std::string> failing;
};

StatusReport BuildStatus(const StatusInput& in);

// A digest of everything BuildStatus reads from a kDecided input except `previous` and `now`.
// BuildStatus is idempotent for one input: a condition keeps the time stored for it unless its
// status flips, and a flip changes the digest. So when the stored status was built from an input
// with this digest, BuildStatus would return it unchanged with no Event, and the caller may skip
// parsing, building and comparing it (most of the CPU of a steady reconcile). nullopt: not
// reusable (another kind, an Event to record, a failing set that changed).
std::optional<uint64_t> StatusDigest(const StatusInput& in);

// The Event reason and message of a rescale ("New size: 5; reason: ..."), and of a rescale a dry
// run leaves unapplied ("WouldRescale").
EventNote RescaleEvent(const api::Autoscaler& a, const decision::Decision& d, bool dry_run);

}  // namespace ebb::live

// One point of the search: the Autoscaler settings `ebb tune` varies, and how they are written
// into the user's Autoscaler document (everything else in it is kept as written).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ebb::tune {

// One spec.schedules window the search writes (UTC, as the simulated clock reads a recording):
// from each `start` (cron) for `duration_seconds`, at least `min_replicas`.
struct ScheduleWindow {
  std::string name;
  std::string start;
  int32_t duration_seconds = 3600;
  int32_t min_replicas = 1;
};

// Scale-up and scale-down policy sets the search chooses from (index in Candidate).
inline constexpr int kUpPolicies = 2;    // HPA's default (100 % or 4 pods / 15 s), twice that
inline constexpr int kDownPolicies = 4;  // 10 %, 25 %, 50 % per minute, HPA's 100 % / 15 s

// Policies the search starts from and keeps as candidates beside its own: the Autoscaler as
// given, and the same target with the behavior HPA and KEDA users get by default.
enum class Preset : uint8_t {
  kNone,        // the fields below, written into the given Autoscaler
  kAsGiven,     // the Autoscaler exactly as given
  kHpaDefault,  // as given without spec.behavior (HPA's defaults)
  kKedaDefault  // as given without spec.behavior, polling every 30 s (KEDA's defaults)
};

struct Candidate {
  Preset preset = Preset::kNone;
  double target = 5;  // the queue metric's averageValue (tasks per replica)
  int32_t up_window = 0;
  int32_t down_window = 300;
  int up_policy = 0;
  int down_policy = 0;
  int32_t floor = 1;  // minReplicas
  // A second metric: the queue's arrivals per second per replica (AverageValue); 0: none.
  double rate_target = 0;
  int32_t rate_window = 120;
  // The rate metric's `predictive:` block (decision core, forecast from its own daily and
  // weekly history): its lookaheadSeconds; 0: none. Only with the rate metric.
  int32_t predictive_lookahead = 0;
  // spec.cooldownPeriod (seconds an idle pool waits before going to 0), written only with a
  // floor of 0; 0: as given.
  int32_t cooldown = 0;
  // Scheduled floors derived from the training part's load (schedule_candidates.h), replacing
  // spec.schedules; none above `floor`: spec.schedules as given. `schedule_label` says how they
  // were derived.
  std::vector<ScheduleWindow> schedules;
  std::string schedule_label;

  std::string Key() const;
  // "target 2.5, up 0 s 100%|4/15s, down 300 s 10%/60s, min 1, rate 0.35/s per replica"
  std::string Describe() const;
};

// An averageValue as Kubernetes writes a quantity: "3", "2500m".
std::string QuantityText(double value);

// The Autoscaler document with the candidate's settings: minReplicas, the target of
// spec.metrics[queue_index], spec.behavior, and (rate_target > 0) one more metric named
// `rate_name`, a Prometheus query over the queue's arrivals counter, predictive when
// predictive_lookahead > 0; spec.cooldownPeriod when floor is 0 and cooldown > 0;
// spec.schedules replaced by the candidate's windows above its floor, when it has any.
nlohmann::json ApplyCandidate(const nlohmann::json& autoscaler, size_t queue_index,
                              const Candidate& c, const std::string& rate_name);

}  // namespace ebb::tune

#include "controller/live/status.h"

#include <algorithm>
#include <set>

#include "controller/api/state_json.h"
#include "controller/api/timestamps.h"
#include "controller/base/quantity.h"
#include "controller/base/text.h"
#include "controller/decision/forecast.h"

namespace ebb::live {
namespace {
// metav1.Condition allows 32 KiB; a message a person reads needs far less.
constexpr std::size_t kConditionMessageBytes = 2048;
}  // namespace

nlohmann::json ConditionsJson(const std::vector<decision::Condition>& conditions,
                              const nlohmann::json& previous, int64_t generation, Timestamp now) {
  nlohmann::json out = nlohmann::json::array();
  const std::string now_text = api::FormatRfc3339(std::chrono::floor<std::chrono::seconds>(now));
  for (const auto& c : conditions) {
    const std::string status = c.status ? "True" : "False";
    std::string since = now_text;
    if (previous.is_array()) {
      // The stored status is read back from the API server: only well-formed entries count.
      auto text = [](const nlohmann::json& p, const char* key) {
        const auto it = p.is_object() ? p.find(key) : p.end();
        return it != p.end() && it->is_string() ? it->get<std::string>() : std::string();
      };
      for (const auto& p : previous) {
        if (text(p, "type") == c.type && text(p, "status") == status) {
          const std::string t = text(p, "lastTransitionTime");
          if (api::ParseRfc3339(t)) since = t;
          break;
        }
      }
    }
    out.push_back({{"type", c.type},
                   {"status", status},
                   {"observedGeneration", generation},
                   {"lastTransitionTime", since},
                   {"reason", c.reason.empty() ? std::string("Unknown") : c.reason},
                   // Messages quote sources' errors and server replies: valid UTF-8, bounded.
                   {"message", SafeText(c.message, kConditionMessageBytes)}});
  }
  return out;
}

int32_t FailuresThatMatter(const decision::Spec& spec) {
  if (!spec.fallback) return 1;
  return spec.fallback->failure_threshold < INT32_MAX ? spec.fallback->failure_threshold + 1
                                                      : INT32_MAX;
}

std::string PersistKey(const decision::DecisionState& state, Timestamp now, int64_t window_s,
                       int32_t failures_that_matter) {
  std::vector<int32_t> failures;
  failures.reserve(state.consecutive_failures.size());
  for (const int32_t f : state.consecutive_failures)
    failures.push_back(std::min(f, std::max<int32_t>(failures_that_matter, 1)));
  std::set<int32_t> values;
  const decision::Recommendation* newest = nullptr;
  for (const auto& r : state.recommendations) {
    if (r.at > now - Seconds(window_s)) values.insert(r.replicas);
    if (!newest || r.at > newest->at) newest = &r;
  }
  nlohmann::json key = {
      {"seeded", state.has_recommendations},
      {"values", values},
      {"newest", newest ? newest->replicas : -1},
      {"failures", failures},
      {"activeNow", state.last_active_time && *state.last_active_time == now},
      {"lastScale", state.last_scale_time ? ToUnixMillis(*state.last_scale_time) : 0},
      {"history", decision::HistoryKey(state)},  // predictive: a bucket closed
  };
  auto events = [](const std::vector<decision::ScaleEvent>& ev) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& e : ev) a.push_back({ToUnixMillis(e.at), e.change, e.outdated});
    return a;
  };
  key["up"] = events(state.scale_up_events);
  key["down"] = events(state.scale_down_events);
  return key.dump();
}

namespace {

template <typename F>
void ForEachTime(decision::DecisionState& state, F f) {
  for (auto& r : state.recommendations) f(r.at);
  for (auto& e : state.scale_up_events) f(e.at);
  for (auto& e : state.scale_down_events) f(e.at);
  if (state.last_active_time) f(*state.last_active_time);
  if (state.last_scale_time) f(*state.last_scale_time);
}

}  // namespace

void ShiftStateTimes(decision::DecisionState& state, Duration by) {
  ForEachTime(state, [by](Timestamp& t) { t += by; });
}

void RefreshRestoredState(decision::DecisionState& state, bool was_active, Timestamp now) {
  ForEachTime(state, [now](Timestamp& t) { t = std::min(t, now); });
  decision::Recommendation* newest = nullptr;
  for (auto& r : state.recommendations)
    if (!newest || r.at > newest->at) newest = &r;
  if (newest && newest->at < now) newest->at = now;
  if (was_active && state.last_active_time && *state.last_active_time < now)
    state.last_active_time = now;
}

int64_t LongestWindowSeconds(const decision::Spec& spec, const decision::Settings& settings) {
  int64_t w = settings.downscale_stabilization_seconds;
  if (spec.behavior) {
    w = std::max<int64_t>(spec.behavior->scale_up.stabilization_window_seconds.value_or(0),
                          spec.behavior->scale_down.stabilization_window_seconds.value_or(
                              static_cast<int32_t>(settings.downscale_stabilization_seconds)));
  }
  return std::max<int64_t>(w, 1);
}

std::string ReferenceText(const api::ScaleTargetRef& target) {
  return target.kind + "/" + target.name;
}

std::string TargetsText(const decision::Spec& spec, const decision::Decision& d) {
  std::string out;
  for (std::size_t i = 0; i < d.metrics.size() && i < spec.metrics.size(); ++i) {
    const decision::MetricSpec& m = spec.metrics[i];
    const decision::MetricResult& r = d.metrics[i];
    const bool known = r.status == decision::MetricStatus::kOk;
    std::string current = "<unknown>";
    std::string target;
    switch (m.target.type) {
      case decision::TargetType::kUtilization:
        if (known && r.utilization >= 0) current = std::to_string(r.utilization) + "%";
        target = std::to_string(m.target.average_utilization) + "%";
        break;
      case decision::TargetType::kValue:
        if (known) current = FormatMilli(r.value_milli);
        target = FormatMilli(m.target.value_milli);
        break;
      case decision::TargetType::kAverageValue: {
        if (known) current = FormatMilli(r.value_milli);
        target = FormatMilli(m.target.average_value_milli);
        // Pods and Resource values are per-pod by nature; the others are averaged by ebb.
        const bool averaged = m.type != decision::SourceType::kPods &&
                              m.type != decision::SourceType::kResource &&
                              m.type != decision::SourceType::kContainerResource;
        if (averaged) target += " (avg)";
        break;
      }
    }
    if (!out.empty()) out += ", ";
    out += m.name + ": " + current + "/" + target;
  }
  return out;
}

nlohmann::json StatusPatch(const nlohmann::json& old_status, const nlohmann::json& new_status) {
  // RFC 7386 merges objects key by key, so a key we dropped must be sent as null, at any depth.
  if (!old_status.is_object() || !new_status.is_object()) return new_status;
  nlohmann::json patch = nlohmann::json::object();
  for (auto it = new_status.begin(); it != new_status.end(); ++it) {
    auto old = old_status.find(it.key());
    patch[it.key()] = old == old_status.end() ? *it : StatusPatch(*old, *it);
  }
  for (auto it = old_status.begin(); it != old_status.end(); ++it)
    if (!new_status.contains(it.key())) patch[it.key()] = nullptr;
  return patch;
}

}  // namespace ebb::live

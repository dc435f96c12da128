#include "controller/tune/candidate.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace ebb::tune {
namespace {

nlohmann::json Policy(const char* type, int value, int period) {
  return {{"type", type}, {"value", value}, {"periodSeconds", period}};
}

nlohmann::json UpPolicies(int i) {
  if (i == 1) return {Policy("Percent", 200, 15), Policy("Pods", 8, 15)};
  return {Policy("Percent", 100, 15), Policy("Pods", 4, 15)};
}

nlohmann::json DownPolicies(int i) {
  switch (i) {
    case 1:
      return {Policy("Percent", 25, 60)};
    case 2:
      return {Policy("Percent", 50, 60)};
    case 3:
      return {Policy("Percent", 100, 15)};
    default:
      return {Policy("Percent", 10, 60)};
  }
}

const char* UpText(int i) {
  return i == 1 ? "200%|8/15s" : "100%|4/15s";
}

const char* DownText(int i) {
  switch (i) {
    case 1:
      return "25%/60s";
    case 2:
      return "50%/60s";
    case 3:
      return "100%/15s";
    default:
      return "10%/60s";
  }
}

}  // namespace

std::string QuantityText(double value) {
  const auto milli = static_cast<int64_t>(std::llround(value * 1000.0));
  if (milli % 1000 == 0) return std::to_string(milli / 1000);
  return std::to_string(milli) + "m";
}

std::string Candidate::Key() const {
  if (preset != Preset::kNone) return "preset|" + std::to_string(static_cast<int>(preset));
  char buf[160];
  std::snprintf(buf, sizeof buf, "%.4f|%d|%d|%d|%d|%d|%.4f|%d|%d|%d", target, up_window,
                down_window, up_policy, down_policy, floor, rate_target,
                rate_target > 0 ? rate_window : 0, rate_target > 0 ? predictive_lookahead : 0,
                floor == 0 ? cooldown : 0);
  std::string key = buf;
  for (const auto& w : schedules) {
    if (w.min_replicas <= floor) continue;  // written only above the floor
    key += "|" + w.start + "/" + std::to_string(w.duration_seconds) + "/" +
           std::to_string(w.min_replicas);
  }
  return key;
}

std::string Candidate::Describe() const {
  switch (preset) {
    case Preset::kAsGiven:
      return "the policy as given";
    case Preset::kHpaDefault:
      return "the given target with HPA's default behavior";
    case Preset::kKedaDefault:
      return "the given target with KEDA's defaults (30 s polling)";
    case Preset::kNone:
      break;
  }
  std::string s = "target " + QuantityText(target) + ", up " + std::to_string(up_window) + " s " +
                  UpText(up_policy) + ", down " + std::to_string(down_window) + " s " +
                  DownText(down_policy) + ", min " + std::to_string(floor);
  if (floor == 0 && cooldown > 0) s += ", cooldown " + std::to_string(cooldown) + " s";
  if (std::any_of(schedules.begin(), schedules.end(),
                  [&](const ScheduleWindow& w) { return w.min_replicas > floor; })) {
    s += ", schedules " + schedule_label;
  }
  if (rate_target > 0) {
    s += ", rate " + QuantityText(rate_target) + "/s per replica over " +
         std::to_string(rate_window) + " s";
    if (predictive_lookahead > 0) {
      s += ", predictive " + std::to_string(predictive_lookahead) + " s ahead";
    }
  }
  return s;
}

nlohmann::json ApplyCandidate(const nlohmann::json& autoscaler, size_t queue_index,
                              const Candidate& c, const std::string& rate_name) {
  nlohmann::json doc = autoscaler;
  switch (c.preset) {
    case Preset::kAsGiven:
      return doc;
    case Preset::kKedaDefault:
      doc["spec"]["pollingInterval"] = 30;
      [[fallthrough]];
    case Preset::kHpaDefault:
      doc["spec"].erase("behavior");
      return doc;
    case Preset::kNone:
      break;
  }
  nlohmann::json& spec = doc["spec"];
  spec["minReplicas"] = c.floor;
  if (c.floor == 0 && c.cooldown > 0) spec["cooldownPeriod"] = c.cooldown;
  if (!c.schedules.empty()) {
    nlohmann::json windows = nlohmann::json::array();
    for (const auto& w : c.schedules) {
      if (w.min_replicas <= c.floor) continue;
      windows.push_back({{"name", w.name},
                         {"start", w.start},
                         {"durationSeconds", w.duration_seconds},
                         {"minReplicas", w.min_replicas}});
    }
    if (!windows.empty()) spec["schedules"] = std::move(windows);
  }
  nlohmann::json& metrics = spec["metrics"];
  nlohmann::json& entry = metrics[queue_index];
  for (auto& [key, block] : entry.items()) {
    if (block.is_object() && block.contains("target")) {
      block["target"] = {{"type", "AverageValue"}, {"averageValue", QuantityText(c.target)}};
    }
  }
  spec["behavior"] = {{"scaleUp",
                       {{"stabilizationWindowSeconds", c.up_window},
                        {"selectPolicy", "Max"},
                        {"policies", UpPolicies(c.up_policy)}}},
                      {"scaleDown",
                       {{"stabilizationWindowSeconds", c.down_window},
                        {"selectPolicy", "Max"},
                        {"policies", DownPolicies(c.down_policy)}}}};
  if (c.rate_target > 0) {
    nlohmann::json rate = {
        {"type", "Prometheus"},
        {"name", rate_name},
        {"prometheus",
         {{"serverAddress", "http://prometheus:9090"},
          {"query", "sum(rate(TASKS_RECEIVED_TOTAL[" + std::to_string(c.rate_window) + "s]))"},
          {"target", {{"type", "AverageValue"}, {"averageValue", QuantityText(c.rate_target)}}}}}};
    if (c.predictive_lookahead > 0) {
      rate["predictive"] = {{"lookaheadSeconds", c.predictive_lookahead}};
    }
    metrics.push_back(std::move(rate));
  }
  return doc;
}

}  // namespace ebb::tune

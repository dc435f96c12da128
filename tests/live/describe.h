// The status as `kubectl describe` shows an autoscaler's: the replica counts, then one line per
// condition (type, status, reason, message), in the order stored.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace ebb::testing {

inline std::string DescribeStatus(const nlohmann::json& status) {
  std::string out = "Current replicas: " + std::to_string(status.value("currentReplicas", -1)) +
                    "\nDesired replicas: " + std::to_string(status.value("desiredReplicas", -1)) +
                    "\nConditions:\n";
  for (const auto& c : status.value("conditions", nlohmann::json::array())) {
    out += "  " + c.value("type", "") + " " + c.value("status", "") + " " + c.value("reason", "") +
           " " + c.value("message", "") + "\n";
  }
  return out;
}

// One condition's line, "" when absent.
inline std::string ConditionLine(const nlohmann::json& status, const std::string& type) {
  for (const auto& c : status.value("conditions", nlohmann::json::array()))
    if (c.value("type", "") == type)
      return c.value("type", "") + " " + c.value("status", "") + " " + c.value("reason", "");
  return "";
}

}  // namespace ebb::testing

// Controller-level settings: what upstream exposes as kube-controller-manager flags
// (--horizontal-pod-autoscaler-tolerance and friends). The same values come from a `settings:`
// object (ebb decide cases, Simulation documents) or from flags and environment (ebb run,
// ebb simulate), so a simulation can use exactly the settings the controller runs with.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controller/api/autoscaler.h"
#include "controller/base/result.h"
#include "controller/decision/types.h"

namespace ebb::api {

// {tolerance, cpuInitializationPeriodSeconds, initialReadinessDelaySeconds,
//  downscaleStabilizationSeconds, legacyScaleUpLimitFactor, legacyScaleUpLimitMinimum} over
// `base`; every problem names its field under `path`.
Result<decision::Settings> ParseSettings(const nlohmann::json& j, const std::string& path,
                                         decision::Settings base = {});
// The same, adding its problems to the caller's list (a document that reports all at once).
decision::Settings ParseSettings(const nlohmann::json& j, const std::string& path,
                                 decision::Settings base, std::vector<Problem>& problems);

// The same object back, in ParseSettings' field names (the four upstream flags; the legacy
// scale-up constants are not flags upstream and stay out of reports).
nlohmann::json SettingsToJson(const decision::Settings& s);

struct SettingFlag {
  const char* flag;      // ebb's flag: "--tolerance"
  const char* upstream;  // kube-controller-manager's: "--horizontal-pod-autoscaler-tolerance"
  const char* env;       // "EBB_TOLERANCE"
  const char* help;
};
const std::vector<SettingFlag>& SettingFlags();

// True for ebb's and upstream's names of the setting flags.
bool IsSettingFlag(std::string_view flag);

// If `flag` is a setting flag (ebb's or upstream's name), parses `value` into `settings` and
// returns true; returns false for any other flag. Durations take seconds ("300") or Go
// durations as upstream's flags do ("5m0s", "30s"); errors name the flag.
Result<bool> ApplySettingFlag(std::string_view flag, const std::string& value,
                              decision::Settings& settings);

// The EBB_* variables of SettingFlags(), where set and non-empty; every bad one is listed.
Result<void> ApplySettingsFromEnv(decision::Settings& settings);

// Whole seconds from "300", "300s", "5m", "1h30m", "5m0s"; nullopt when malformed or fractional.
std::optional<int64_t> ParseDurationSeconds(std::string_view text);

// The flags' usage lines, for --help texts; `with_env` for commands that also read EBB_* variables.
std::string SettingFlagsUsage(bool with_env);

}  // namespace ebb::api

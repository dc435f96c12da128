#include "controller/api/settings.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>

#include "controller/api/field_reader.h"

namespace ebb::api {
namespace {

using json = nlohmann::json;

Error Invalid(const std::string& msg) {
  return MakeError(ErrorCode::kInvalidConfig, msg);
}

// Upstream flags are durations in seconds at most a day or so; a cap keeps int64 arithmetic safe.
constexpr int64_t kMaxSeconds = int64_t{1} << 31;

}  // namespace

decision::Settings ParseSettings(const json& j, const std::string& path, decision::Settings base,
                                 std::vector<Problem>& problems) {
  decision::Settings s = base;
  if (j.is_null()) return s;
  FieldReader r(problems);
  if (!j.is_object()) {
    r.Add(path, "must be an object");
    return s;
  }
  r.Known(
      j, path,
      {"tolerance", "cpuInitializationPeriodSeconds", "initialReadinessDelaySeconds",
       "downscaleStabilizationSeconds", "legacyScaleUpLimitFactor", "legacyScaleUpLimitMinimum"});
  auto num = [&](const char* key, double& out) {
    if (auto it = j.find(key); it != j.end()) {
      if (!it->is_number() || !std::isfinite(it->get<double>()) || it->get<double>() < 0)
        r.Add(path + "." + key, "must be a number >= 0");
      else
        out = it->get<double>();
    }
  };
  num("tolerance", s.tolerance);
  num("legacyScaleUpLimitFactor", s.legacy_scale_up_factor);
  num("legacyScaleUpLimitMinimum", s.legacy_scale_up_minimum);
  if (auto v = r.Int(j, "cpuInitializationPeriodSeconds", path, 0, INT32_MAX)) {
    s.cpu_initialization_period_seconds = *v;
  }
  if (auto v = r.Int(j, "initialReadinessDelaySeconds", path, 0, INT32_MAX)) {
    s.initial_readiness_delay_seconds = *v;
  }
  if (auto v = r.Int(j, "downscaleStabilizationSeconds", path, 0, INT32_MAX)) {
    s.downscale_stabilization_seconds = *v;
  }
  return s;
}

Result<decision::Settings> ParseSettings(const json& j, const std::string& path,
                                         decision::Settings base) {
  std::vector<Problem> problems;
  decision::Settings s = ParseSettings(j, path, base, problems);
  if (!problems.empty()) {
    std::string msg;
    for (const auto& p : problems) msg += (msg.empty() ? "" : "\n") + p.path + ": " + p.message;
    return Invalid(msg);
  }
  return s;
}

nlohmann::json SettingsToJson(const decision::Settings& s) {
  return {{"tolerance", s.tolerance},
          {"cpuInitializationPeriodSeconds", s.cpu_initialization_period_seconds},
          {"initialReadinessDelaySeconds", s.initial_readiness_delay_seconds},
          {"downscaleStabilizationSeconds", s.downscale_stabilization_seconds}};
}

const std::vector<SettingFlag>& SettingFlags() {
  static const std::vector<SettingFlag> flags = {
      {"--tolerance", "--horizontal-pod-autoscaler-tolerance", "EBB_TOLERANCE",
       "usage ratios within 1 +- this do not scale (0.1)"},
      {"--cpu-initialization-period", "--horizontal-pod-autoscaler-cpu-initialization-period",
       "EBB_CPU_INITIALIZATION_PERIOD", "cpu samples of pods younger than this are unready (5m)"},
      {"--initial-readiness-delay", "--horizontal-pod-autoscaler-initial-readiness-delay",
       "EBB_INITIAL_READINESS_DELAY", "a pod's readiness flips in this window are start-up (30s)"},
      {"--downscale-stabilization", "--horizontal-pod-autoscaler-downscale-stabilization",
       "EBB_DOWNSCALE_STABILIZATION", "scale-down window of specs without behavior (5m)"},
  };
  return flags;
}

std::optional<int64_t> ParseDurationSeconds(std::string_view text) {
  if (text.empty()) return std::nullopt;
  int64_t plain = 0;
  if (auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), plain);
      ec == std::errc() && p == text.data() + text.size()) {
    return plain >= 0 && plain <= kMaxSeconds ? std::optional<int64_t>(plain) : std::nullopt;
  }
  // Go's time.ParseDuration subset with whole-second results: h, m, s, ms components.
  int64_t total_ms = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    int64_t n = 0;
    auto [p, ec] = std::from_chars(text.data() + i, text.data() + text.size(), n);
    if (ec != std::errc() || n < 0 || n > kMaxSeconds * 1000) return std::nullopt;
    i = static_cast<std::size_t>(p - text.data());
    std::size_t j = i;
    while (j < text.size() && std::isalpha(static_cast<unsigned char>(text[j]))) ++j;
    const std::string_view unit = text.substr(i, j - i);
    i = j;
    int64_t ms_per = 0;
    if (unit == "h") {
      ms_per = 3'600'000;
    } else if (unit == "m") {
      ms_per = 60'000;
    } else if (unit == "s") {
      ms_per = 1'000;
    } else if (unit == "ms") {
      ms_per = 1;
    } else {
      return std::nullopt;
    }
    total_ms += n * ms_per;
    if (total_ms > kMaxSeconds * 1000) return std::nullopt;
  }
  if (total_ms % 1000 != 0) return std::nullopt;
  return total_ms / 1000;
}

bool IsSettingFlag(std::string_view flag) {
  for (const auto& f : SettingFlags())
    if (flag == f.flag || flag == f.upstream) return true;
  return false;
}

Result<bool> ApplySettingFlag(std::string_view flag, const std::string& value,
                              decision::Settings& settings) {
  const SettingFlag* match = nullptr;
  for (const auto& f : SettingFlags())
    if (flag == f.flag || flag == f.upstream || flag == f.env) match = &f;
  if (!match) return false;
  const std::string name(flag);
  if (std::string_view(match->flag) == "--tolerance") {
    double v = 0;
    auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (ec != std::errc() || p != value.data() + value.size() || !std::isfinite(v) || v < 0)
      return Invalid(name + ": must be a number >= 0, got \"" + value + "\"");
    settings.tolerance = v;
    return true;
  }
  const auto secs = ParseDurationSeconds(value);
  if (!secs)
    return Invalid(name + ": must be whole seconds (\"300\") or a duration (\"5m0s\"), got \"" +
                   value + "\"");
  if (std::string_view(match->flag) == "--cpu-initialization-period")
    settings.cpu_initialization_period_seconds = *secs;
  else if (std::string_view(match->flag) == "--initial-readiness-delay")
    settings.initial_readiness_delay_seconds = *secs;
  else
    settings.downscale_stabilization_seconds = *secs;
  return true;
}

Result<void> ApplySettingsFromEnv(decision::Settings& settings) {
  std::string problems;
  for (const auto& f : SettingFlags()) {
    const char* v = std::getenv(f.env);
    if (v == nullptr || *v == '\0') continue;
    if (auto ok = ApplySettingFlag(f.env, v, settings); !ok)
      problems += (problems.empty() ? "" : "\n") + ok.error().message;
  }
  if (!problems.empty()) return MakeError(ErrorCode::kInvalidConfig, problems);
  return {};
}

std::string SettingFlagsUsage(bool with_env) {
  std::string out;
  for (const auto& f : SettingFlags()) {
    std::string line = std::string("  ") + f.flag + " V";
    line.resize(std::max<std::size_t>(line.size() + 1, 32), ' ');
    out += line + (with_env ? std::string(f.env) + "; " : std::string()) + f.help + "\n";
  }
  out += "  (upstream's --horizontal-pod-autoscaler-* names are accepted too)\n";
  return out;
}

}  // namespace ebb::api

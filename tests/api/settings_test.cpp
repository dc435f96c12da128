#include "controller/api/settings.h"

#include <catch2/catch.hpp>

namespace ebb::api {
namespace {

TEST_CASE("setting durations: seconds or Go durations, whole seconds only", "[spec][settings]") {
  const std::vector<std::pair<std::string, std::optional<int64_t>>> table = {
      {"300", 300},    {"0", 0},
      {"5m", 300},     {"5m0s", 300},
      {"1h30m", 5400}, {"30s", 30},
      {"1500ms", {}},  {"2000ms", 2},
      {"", {}},        {"-1", {}},
      {"5x", {}},      {"m", {}},
      {"1.5m", {}},    {"99999999999h", {}}};
  for (const auto& [text, want] : table) {
    INFO("\"" << text << "\"");
    CHECK(ParseDurationSeconds(text) == want);
  }
}

TEST_CASE("setting flags: ebb's, upstream's and env names, errors name the flag",
          "[spec][settings]") {
  decision::Settings s;
  CHECK(ApplySettingFlag("--tolerance", "0.25", s).value());
  CHECK(s.tolerance == 0.25);
  CHECK(ApplySettingFlag("--horizontal-pod-autoscaler-downscale-stabilization", "10m", s).value());
  CHECK(s.downscale_stabilization_seconds == 600);
  CHECK(ApplySettingFlag("EBB_CPU_INITIALIZATION_PERIOD", "60", s).value());
  CHECK(s.cpu_initialization_period_seconds == 60);
  CHECK(ApplySettingFlag("--initial-readiness-delay", "0s", s).value());
  CHECK(s.initial_readiness_delay_seconds == 0);
  CHECK_FALSE(ApplySettingFlag("--namespace", "x", s).value());
  CHECK(IsSettingFlag("--horizontal-pod-autoscaler-tolerance"));
  CHECK_FALSE(IsSettingFlag("--tolerances"));

  for (const auto& [flag, value] :
       std::vector<std::pair<std::string, std::string>>{{"--tolerance", "-0.1"},
                                                        {"--tolerance", "nan"},
                                                        {"--tolerance", "0.1x"},
                                                        {"--downscale-stabilization", "5 minutes"},
                                                        {"--cpu-initialization-period", "-5"}}) {
    auto r = ApplySettingFlag(flag, value, s);
    REQUIRE_FALSE(r.has_value());
    CHECK_THAT(r.error().message, Catch::StartsWith(flag + ": must be"));
  }
  CHECK(s.tolerance == 0.25);  // a rejected value changes nothing
}

TEST_CASE("settings objects: over a base, every problem with its path", "[spec][settings]") {
  decision::Settings base;
  base.tolerance = 0.3;
  auto s = ParseSettings({{"downscaleStabilizationSeconds", 60}}, "spec.settings", base);
  REQUIRE(s.has_value());
  CHECK(s->tolerance == 0.3);
  CHECK(s->downscale_stabilization_seconds == 60);
  auto bad = ParseSettings({{"tolerance", -1}, {"cpuInitPeriod", 5}}, "spec.settings");
  REQUIRE_FALSE(bad.has_value());
  CHECK_THAT(bad.error().message,
             Catch::Contains("spec.settings.tolerance: must be a number >= 0"));
  CHECK_THAT(bad.error().message, Catch::Contains("spec.settings.cpuInitPeriod"));
  // What reports echo reads back as the same settings.
  decision::Settings t;
  t.tolerance = 0.25;
  t.cpu_initialization_period_seconds = 60;
  t.initial_readiness_delay_seconds = 5;
  t.downscale_stabilization_seconds = 120;
  auto back = ParseSettings(SettingsToJson(t), "settings");
  REQUIRE(back.has_value());
  CHECK(back->tolerance == 0.25);
  CHECK(back->cpu_initialization_period_seconds == 60);
  CHECK(back->initial_readiness_delay_seconds == 5);
  CHECK(back->downscale_stabilization_seconds == 120);
}

}  // namespace
}  // namespace ebb::api

#include "controller/decision/normalize.h"

#include <catch2/catch.hpp>

#include "tests/support/builders.h"

using namespace ebb::decision;
using ebb::Seconds;
using ebb::testing::At;
using ebb::testing::DefaultBehavior;
using ebb::testing::Percent;
using ebb::testing::Pods;
using ebb::testing::Rules;

namespace {

DecisionState WithEvents(std::vector<std::pair<int, int>> ups,
                         std::vector<std::pair<int, int>> downs) {
  DecisionState s;
  s.has_recommendations = true;
  for (auto [ago, change] : ups) s.scale_up_events.push_back({At(-ago), change, false});
  for (auto [ago, change] : downs) s.scale_down_events.push_back({At(-ago), change, false});
  return s;
}

}  // namespace

TEST_CASE("rate limits: upstream's worked default example", "[decision]") {
  const Behavior b = DefaultBehavior();
  // From 3 with a big demand: Pods 4 gives 7, Percent 100 gives 6, Max picks 7.
  CHECK(ScaleUpLimit(3, WithEvents({}, {}), b.scale_up, At(0)) == 7);
  // Within the next 15 s the period started at 7 - 4 = 3, so the limit stays 7.
  CHECK(ScaleUpLimit(7, WithEvents({{5, 4}}, {}), b.scale_up, At(0)) == 7);
  // An event exactly one period old is outside (strict window): limit from 7 is max(11, 14).
  CHECK(ScaleUpLimit(7, WithEvents({{15, 4}}, {}), b.scale_up, At(0)) == 14);
}

TEST_CASE("rate limits: table of policies and histories", "[decision]") {
  struct Row {
    const char* name;
    bool up;
    int32_t current;
    ScalingRules rules;
    std::vector<std::pair<int, int>> ups, downs;  // (seconds ago, change)
    int32_t expected;
  };
  const std::vector<Row> rows = {
      {"Min picks the smaller scale-up",
       true,
       3,
       Rules(0, {Pods(4, 15), Percent(100, 15)}, SelectPolicy::kMin),
       {},
       {},
       6},
      {"Disabled freezes scale-up",
       true,
       3,
       Rules(0, {Pods(4, 15)}, SelectPolicy::kDisabled),
       {},
       {},
       3},
      {"Percent scale-up rounds up", true, 1, Rules(0, {Percent(10, 60)}), {}, {}, 2},
      {"Percent scale-down truncates", false, 20, Rules(300, {Percent(10, 60)}), {}, {}, 18},
      {"scale-down budget used within the period",
       false,
       18,
       Rules(300, {Percent(10, 60)}),
       {},
       {{30, 2}},
       18},
      {"scale-down budget back after the period",
       false,
       18,
       Rules(300, {Percent(10, 60)}),
       {},
       {{61, 2}},
       16},
      {"Max picks the largest scale-down",
       false,
       10,
       Rules(300, {Pods(1, 60), Percent(50, 60)}),
       {},
       {},
       5},
      {"Min picks the smallest scale-down",
       false,
       10,
       Rules(300, {Pods(1, 60), Percent(50, 60)}, SelectPolicy::kMin),
       {},
       {},
       9},
      {"Disabled freezes scale-down",
       false,
       10,
       Rules(300, {Pods(1, 60)}, SelectPolicy::kDisabled),
       {},
       {},
       10},
      {"ups and downs both move the period start",
       true,
       10,
       Rules(0, {Pods(2, 60)}),
       {{10, 4}},
       {{20, 1}},
       9},
      {"events older than a short period only count for the long one",
       true,
       10,
       Rules(0, {Pods(2, 15), Pods(5, 120)}, SelectPolicy::kMin),
       {{60, 4}},
       {},
       11},
  };
  for (const Row& r : rows) {
    INFO(r.name);
    const DecisionState s = WithEvents(r.ups, r.downs);
    const int32_t got = r.up ? ScaleUpLimit(r.current, s, r.rules, At(0))
                             : ScaleDownLimit(r.current, s, r.rules, At(0));
    CHECK(got == r.expected);
  }
}

TEST_CASE("behavior: the stabilization envelope is applied to current", "[decision]") {
  struct Row {
    const char* name;
    int32_t current, proposal;
    int32_t up_window, down_window;
    std::vector<std::pair<int, int>> recs;  // (seconds ago, replicas)
    int32_t stabilized;
    StabilizationReason reason;
  };
  const std::vector<Row> rows = {
      {"scale-up held to the lowest recent proposal",
       2,
       10,
       60,
       300,
       {{30, 3}, {10, 8}},
       3,
       StabilizationReason::kScaleUpStabilized},
      {"scale-up immediate with a zero window",
       2,
       10,
       0,
       300,
       {{30, 3}},
       10,
       StabilizationReason::kReadyForNewScale},
      {"scale-down held by a proposal just inside the window",
       10,
       2,
       0,
       300,
       {{299, 10}},
       10,
       StabilizationReason::kScaleDownStabilized},
      {"an entry exactly a window old is outside (strict)",
       10,
       2,
       0,
       300,
       {{300, 10}},
       2,
       StabilizationReason::kReadyForNewScale},
      {"never moves against the newest proposal",
       5,
       6,
       0,
       300,
       {{10, 2}},
       6,
       StabilizationReason::kReadyForNewScale},
      {"down proposal below current but window max between",
       10,
       2,
       0,
       300,
       {{100, 7}},
       7,
       StabilizationReason::kScaleDownStabilized},
  };
  for (const Row& r : rows) {
    INFO(r.name);
    DecisionState s;
    s.has_recommendations = true;
    for (auto [ago, n] : r.recs) s.recommendations.push_back({At(-ago), n});
    Behavior b = DefaultBehavior();
    b.scale_up.stabilization_window_seconds = r.up_window;
    b.scale_down.stabilization_window_seconds = r.down_window;
    b.scale_up.policies = {Pods(1000, 15)};
    b.scale_down.policies = {Percent(100, 15)};
    const NormalizeResult n =
        NormalizeWithBehavior({r.current, r.proposal, 1, 100}, b, Settings{}, s, At(0));
    CHECK(n.stabilized == r.stabilized);
    CHECK(n.stabilization == r.reason);
    CHECK(n.desired == r.stabilized);
  }
}

TEST_CASE("behavior: nil scale-down window uses the controller setting", "[decision]") {
  DecisionState s;
  s.has_recommendations = true;
  s.recommendations.push_back({At(-100), 10});
  Behavior b = DefaultBehavior();  // scaleDown window unset
  Settings settings;
  settings.downscale_stabilization_seconds = 60;
  CHECK(NormalizeWithBehavior({10, 2, 1, 100}, b, settings, s, At(0)).stabilized == 2);
  settings.downscale_stabilization_seconds = 120;
  s.recommendations = {{At(-100), 10}};
  CHECK(NormalizeWithBehavior({10, 2, 1, 100}, b, settings, s, At(0)).stabilized == 10);
}

TEST_CASE("behavior: limits and the min/max clamp report upstream reasons", "[decision]") {
  struct Row {
    const char* name;
    int32_t current, proposal, min, max;
    int32_t desired;
    Reason reason;
  };
  const std::vector<Row> rows = {
      {"rate policy tighter than max", 3, 50, 1, 100, 7, Reason::kScaleUpLimit},
      {"max tighter than the rate policy", 3, 50, 1, 5, 5, Reason::kTooManyReplicas},
      {"equal: TooManyReplicas", 3, 50, 1, 7, 7, Reason::kTooManyReplicas},
      {"scale-down to min", 10, 0, 2, 20, 2, Reason::kTooFewReplicas},
      {"within range", 3, 5, 1, 10, 5, Reason::kDesiredWithinRange},
  };
  for (const Row& r : rows) {
    INFO(r.name);
    DecisionState s;
    s.has_recommendations = true;
    Behavior b = DefaultBehavior();
    b.scale_down.stabilization_window_seconds = 0;
    const NormalizeResult n =
        NormalizeWithBehavior({r.current, r.proposal, r.min, r.max}, b, Settings{}, s, At(0));
    CHECK(n.desired == r.desired);
    CHECK(n.limit == r.reason);
  }
  SECTION("scale-down policy tighter than min") {
    DecisionState s;
    s.has_recommendations = true;
    Behavior b = DefaultBehavior();
    b.scale_down = Rules(0, {Percent(10, 60)});
    const NormalizeResult n = NormalizeWithBehavior({20, 1, 2, 30}, b, Settings{}, s, At(0));
    CHECK(n.desired == 18);
    CHECK(n.limit == Reason::kScaleDownLimit);
  }
}

TEST_CASE("legacy path: inclusive window, 2x/+4 cap, and a bounded log", "[decision]") {
  Settings settings;  // production: factor 2, minimum 4, window 300 s
  DecisionState s;
  s.has_recommendations = true;
  s.recommendations = {{At(-300), 9}};  // exactly a window old: still inside on this path
  NormalizeResult n = NormalizeLegacy({9, 3, 1, 100}, settings, s, At(0));
  CHECK(n.stabilized == 9);
  CHECK(n.stabilization == StabilizationReason::kScaleDownStabilized);

  s.recommendations = {{At(-301), 9}};
  n = NormalizeLegacy({9, 3, 1, 100}, settings, s, At(0));
  CHECK(n.desired == 3);
  CHECK(s.recommendations.size() == 1);  // the old entry was overwritten, not appended

  s.recommendations.clear();
  n = NormalizeLegacy({1, 50, 1, 100}, settings, s, At(0));
  CHECK(n.desired == 4);  // max(2 * 1, 4)
  CHECK(n.limit == Reason::kScaleUpLimit);
  n = NormalizeLegacy({10, 50, 1, 100}, settings, s, At(1));
  CHECK(n.desired == 20);
  n = NormalizeLegacy({10, 50, 1, 15}, settings, s, At(2));
  CHECK(n.desired == 15);
  CHECK(n.limit == Reason::kTooManyReplicas);

  DecisionState steady;
  steady.has_recommendations = true;
  for (int i = 0; i < 2000; ++i) {
    (void)NormalizeLegacy({5, 5 + i % 3, 1, 100}, settings, steady, At(i * 15));
  }
  CHECK(steady.recommendations.size() <= 22);  // 300 s / 15 s + the boundary entries
}

TEST_CASE("scale events: outdated slots are reused, lists stay bounded", "[decision]") {
  const Behavior b = DefaultBehavior();  // longest period 15 s both ways
  DecisionState s;
  for (int i = 0; i < 500; ++i) StoreScaleEvent(b, s, 3, 4, At(i * 20));
  CHECK(s.scale_up_events.size() <= 2);
  StoreScaleEvent(b, s, 4, 3, At(10'000));
  REQUIRE(s.scale_down_events.size() == 1);
  CHECK(s.scale_down_events[0].change == 1);
}

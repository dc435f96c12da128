// The decision state across wall-clock steps: shifted with a step seen while running, brought
// back to `now` where a stored state is ahead of the clock.
#include <catch2/catch.hpp>

#include "controller/live/status.h"

using namespace ebb;

namespace {

decision::DecisionState StateAt(Timestamp t) {
  decision::DecisionState s;
  s.has_recommendations = true;
  s.recommendations = {{t - Seconds(10), 8}, {t, 1}};
  s.scale_up_events = {{t - Seconds(30), 7, false}};
  s.scale_down_events = {{t - Seconds(5), 2, false}};
  s.last_active_time = t - Seconds(1);
  s.last_scale_time = t - Seconds(5);
  return s;
}

}  // namespace

TEST_CASE("a clock step moves every time of the decision state by the step", "[unit][clock]") {
  const Timestamp t = FromUnixMillis(1'700'000'000'000);
  for (const Duration step : {Seconds(3600), Seconds(-3600)}) {
    decision::DecisionState s = StateAt(t);
    live::ShiftStateTimes(s, step);
    const decision::DecisionState want = StateAt(t + step);
    CHECK(s.recommendations[0].at == want.recommendations[0].at);
    CHECK(s.recommendations[1].at == want.recommendations[1].at);
    CHECK(s.recommendations[1].replicas == 1);
    CHECK(s.scale_up_events[0].at == want.scale_up_events[0].at);
    CHECK(s.scale_down_events[0].at == want.scale_down_events[0].at);
    CHECK(*s.last_active_time == *want.last_active_time);
    CHECK(*s.last_scale_time == *want.last_scale_time);
  }
}

TEST_CASE("a restored state written by a clock that was ahead holds nothing beyond now",
          "[unit][clock]") {
  const Timestamp now = FromUnixMillis(1'700'000'000'000);
  decision::DecisionState s = StateAt(now + Seconds(3600));  // written an hour ahead
  live::RefreshRestoredState(s, /*was_active=*/false, now);
  for (const auto& r : s.recommendations) CHECK(r.at <= now);
  CHECK(s.scale_up_events[0].at == now);
  CHECK(s.scale_down_events[0].at == now);
  CHECK(*s.last_active_time == now);
  CHECK(*s.last_scale_time == now);
  // Times in the past are left as they are.
  decision::DecisionState past = StateAt(now - Seconds(60));
  live::RefreshRestoredState(past, false, now);
  CHECK(past.scale_up_events[0].at == now - Seconds(90));
}

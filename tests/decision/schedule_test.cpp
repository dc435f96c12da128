#include "controller/decision/schedule.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "controller/decision/cron.h"
#include "controller/decision/decider.h"
#include "controller/decision/explain.h"
#include "controller/decision/time_zone.h"
#include "tests/support/builders.h"

using namespace ebb;
using namespace ebb::decision;
using namespace ebb::testing;

namespace {

// The system's tzdata, as the controller reads it (controller/api/time_zones.cpp).
std::shared_ptr<const TimeZone> Zone(const std::string& name) {
  std::ifstream in("/usr/share/zoneinfo/" + name, std::ios::binary);
  REQUIRE(in);
  std::ostringstream b;
  b << in.rdbuf();
  auto z = ParseTzif(b.str(), name);
  REQUIRE(z);
  return std::make_shared<const TimeZone>(std::move(*z));
}

int64_t Utc(int64_t y, int32_t mo, int32_t d, int32_t h, int32_t mi) {
  return DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60;
}

Timestamp UtcAt(int64_t y, int32_t mo, int32_t d, int32_t h, int32_t mi) {
  return FromUnixMillis(Utc(y, mo, d, h, mi) * 1000);
}

Schedule Window(const std::string& cron, int32_t duration, int32_t min,
                std::shared_ptr<const TimeZone> zone = nullptr) {
  Schedule s;
  s.name = "business-hours";
  s.start = cron;
  auto c = ParseCron(cron);
  REQUIRE(c);
  s.cron = *c;
  s.duration_seconds = duration;
  s.min_replicas = min;
  s.zone = std::move(zone);
  return s;
}

}  // namespace

TEST_CASE("cron expressions parse as CronJobs read them", "[decision][schedule]") {
  struct Row {
    const char* text;
    const char* error;  // nullptr: valid
  };
  const Row rows[] = {
      {"0 8 * * 1-5", nullptr},
      {"*/15 * * * *", nullptr},
      {"0 8 * * MON-FRI", nullptr},
      {"0 0 1,15 * *", nullptr},
      {"0 9-17/2 * JAN-mar 7", nullptr},
      {"@daily", nullptr},
      {"61 * * * *", "minute: 61 is out of range 0-59"},
      {"0 25 * * *", "hour: 25 is out of range 0-23"},
      {"0 0 0 * *", "day-of-month: 0 is out of range 1-31"},
      {"0 0 * 13 *", "month: 13 is out of range 1-12"},
      {"0 8 * * FUNDAY", "day-of-week: unknown name"},
      {"0 8 * *", "must have 5 fields"},
      {"5-1 * * * *", "minute: range 5-1 runs backwards"},
      {"*/0 * * * *", "minute: 0 is out of range 1-60"},
      {"0 8 * * 1,", "day-of-week: a value is missing"},
      {"x 8 * * *", "minute: \"x\" is not a number"},
  };
  for (const Row& r : rows) {
    INFO(r.text);
    auto c = ParseCron(r.text);
    if (r.error == nullptr) {
      CHECK(c);
    } else {
      REQUIRE_FALSE(c);
      CHECK_THAT(c.error().message, Catch::Contains(r.error));
    }
  }
  auto names = ParseCron("0 8 * * MON-FRI");
  auto numbers = ParseCron("0 8 * * 1-5");
  REQUIRE(names);
  REQUIRE(numbers);
  CHECK(names->weekdays == numbers->weekdays);
  CHECK(numbers->weekdays == 0b0111110);
  auto sunday = ParseCron("0 0 * * 7");
  REQUIRE(sunday);
  CHECK(sunday->weekdays == 1);
  auto every = ParseCron("*/15 * * * *");
  REQUIRE(every);
  CHECK(every->minutes == ((1ULL << 0) | (1ULL << 15) | (1ULL << 30) | (1ULL << 45)));
  auto daily = ParseCron("@daily");
  REQUIRE(daily);
  CHECK(daily->minutes == 1);
  CHECK(daily->hours == 1);
}

TEST_CASE("a window is open from its cron start for its duration", "[decision][schedule]") {
  // 2026-11-30 is a Monday. UTC: no zone.
  const Schedule s = Window("0 8 * * 1-5", 10 * 3600, 10);
  struct Row {
    const char* when;
    Timestamp at;
    bool open;
  };
  const Row rows[] = {
      {"Monday 07:59:59", UtcAt(2026, 11, 30, 7, 59) + Seconds(59), false},
      {"Monday 08:00", UtcAt(2026, 11, 30, 8, 0), true},
      {"Monday 17:59", UtcAt(2026, 11, 30, 17, 59), true},
      {"Monday 18:00 (end is exclusive)", UtcAt(2026, 11, 30, 18, 0), false},
      {"Saturday 09:00", UtcAt(2026, 12, 5, 9, 0), false},
      {"Friday 09:00", UtcAt(2026, 12, 4, 9, 0), true},
  };
  for (const Row& r : rows) {
    INFO(r.when);
    CHECK(ScheduleOpen(s, r.at) == r.open);
  }
  // Both day fields restricted: either matches (the 1st of the month or a Sunday).
  const Schedule either = Window("0 0 1 * 0", 3600, 2);
  CHECK(ScheduleOpen(either, UtcAt(2026, 12, 1, 0, 30)));  // Tuesday the 1st
  CHECK(ScheduleOpen(either, UtcAt(2026, 12, 6, 0, 30)));  // Sunday the 6th
  CHECK_FALSE(ScheduleOpen(either, UtcAt(2026, 12, 7, 0, 30)));
  // A window longer than a day that started days ago.
  const Schedule week = Window("0 0 * * 1", 5 * 86400, 4);
  CHECK(ScheduleOpen(week, UtcAt(2026, 12, 4, 23, 59)));
  CHECK_FALSE(ScheduleOpen(week, UtcAt(2026, 12, 5, 0, 0)));
}

TEST_CASE("time zones follow the system tzdata across DST", "[decision][schedule][tz]") {
  const auto berlin = Zone("Europe/Berlin");
  const auto ny = Zone("America/New_York");
  const auto sydney = Zone("Australia/Sydney");
  struct Row {
    const char* what;
    const TimeZone* zone;
    int64_t utc;
    int32_t offset;
  };
  const Row rows[] = {
      {"Berlin winter", berlin.get(), Utc(2026, 1, 15, 12, 0), 3600},
      {"Berlin summer", berlin.get(), Utc(2026, 7, 15, 12, 0), 7200},
      {"Berlin 2026-03-29 00:59Z (still CET)", berlin.get(), Utc(2026, 3, 29, 0, 59), 3600},
      {"Berlin 2026-03-29 01:00Z (CEST)", berlin.get(), Utc(2026, 3, 29, 1, 0), 7200},
      {"New York winter", ny.get(), Utc(2026, 1, 15, 12, 0), -5 * 3600},
      {"New York summer", ny.get(), Utc(2026, 7, 15, 12, 0), -4 * 3600},
      // Past the file's last transition (2037): the TZif footer's POSIX rule.
      {"Berlin 2040 summer (footer rule)", berlin.get(), Utc(2040, 7, 1, 12, 0), 7200},
      {"Berlin 2040 winter (footer rule)", berlin.get(), Utc(2040, 1, 1, 12, 0), 3600},
      {"Sydney 2040 January (southern summer)", sydney.get(), Utc(2040, 1, 15, 0, 0), 11 * 3600},
      {"Sydney 2040 July", sydney.get(), Utc(2040, 7, 15, 0, 0), 10 * 3600},
  };
  for (const Row& r : rows) {
    INFO(r.what);
    CHECK(OffsetAt(*r.zone, r.utc) == r.offset);
  }

  // 08:00 Berlin is 07:00Z in winter and 06:00Z once summer time began (2026-03-29).
  const Schedule morning = Window("0 8 * * *", 3600, 5, berlin);
  CHECK(ScheduleOpen(morning, UtcAt(2026, 3, 28, 7, 0)));
  CHECK_FALSE(ScheduleOpen(morning, UtcAt(2026, 3, 28, 6, 30)));
  CHECK(ScheduleOpen(morning, UtcAt(2026, 3, 30, 6, 0)));
  CHECK_FALSE(ScheduleOpen(morning, UtcAt(2026, 3, 30, 5, 59)));
  CHECK_FALSE(ScheduleOpen(morning, UtcAt(2026, 3, 30, 7, 0)));
  // 09:00 New York: 14:00Z before 2026-03-08, 13:00Z after.
  const Schedule nine = Window("0 9 * * *", 60, 5, ny);
  CHECK(ScheduleOpen(nine, UtcAt(2026, 3, 7, 14, 0)));
  CHECK(ScheduleOpen(nine, UtcAt(2026, 3, 9, 13, 0)));

  auto cron = ParseCron("30 2 * * *");
  REQUIRE(cron);
  // Spring forward (02:00 CET -> 03:00 CEST): 02:30 does not exist and runs at 03:30 CEST
  // (01:30Z), as Go's time.Date and CronJobs place it.
  CHECK(LatestCronStart(*cron, *berlin, Utc(2026, 3, 29, 2, 0), 86400) == Utc(2026, 3, 29, 1, 30));
  // Fall back (03:00 CEST -> 02:00 CET): 02:30 happens twice; the window starts once, at the
  // first (00:30Z), not again an hour later.
  CHECK(LatestCronStart(*cron, *berlin, Utc(2026, 10, 25, 1, 45), 86400) ==
        Utc(2026, 10, 25, 0, 30));
  CHECK(LocalToUtc(*berlin, Utc(2026, 10, 25, 2, 30)) == Utc(2026, 10, 25, 0, 30));
}

TEST_CASE("TZif parsing refuses what is not a zone file", "[decision][schedule][tz]") {
  CHECK_FALSE(ParseTzif("", "Empty/Zone"));
  CHECK_FALSE(ParseTzif("not a zone file at all, just text that is long enough to", "X/Y"));
  std::ifstream in("/usr/share/zoneinfo/Europe/Berlin", std::ios::binary);
  std::ostringstream b;
  b << in.rdbuf();
  const std::string whole = b.str();
  auto cut = ParseTzif(whole.substr(0, whole.size() / 2), "Europe/Berlin");
  REQUIRE_FALSE(cut);
  CHECK_THAT(cut.error().message, Catch::Contains("Europe/Berlin"));
  auto ok = ParseTzif(whole, "Europe/Berlin");
  REQUIRE(ok);
  CHECK(ok->has_rule);
  int64_t y = 0;
  int32_t m = 0;
  int32_t d = 0;
  for (int64_t day : {-719468LL, -1LL, 0LL, 20000LL, 2932896LL}) {
    CivilFromDays(day, &y, &m, &d);
    CHECK(DaysFromCivil(y, m, d) == day);
  }
}

TEST_CASE("an open schedule window raises the floor and says so", "[decision][schedule]") {
  Spec spec;
  spec.min_replicas = 2;
  spec.max_replicas = 20;
  spec.metrics = {QueueMetric("backlog", 10)};
  spec.behavior = DefaultBehavior();
  spec.schedules = {Window("0 8 * * 1-5", 10 * 3600, 10)};
  const Timestamp inside = UtcAt(2026, 11, 30, 9, 0);
  const Timestamp outside = UtcAt(2026, 11, 30, 19, 0);

  DecisionState st;
  Decision d = Decide(spec, {}, Observe(3, {Value(30)}), st, inside);
  CHECK(d.desired_replicas == 10);
  CHECK(d.reason == Reason::kScheduleFloor);
  CHECK(d.schedule == 0);
  CHECK(d.schedule_floor == 10);
  CHECK_THAT(Summary(spec, d), Catch::Contains("schedule business-hours raises the minimum to 10"));
  CHECK_THAT(RescaleReason(spec, d), Catch::Contains("business-hours"));
  bool limited = false;
  for (const Condition& c : Conditions(spec, d)) {
    if (c.type == "ScalingLimited") {
      limited = c.status && c.reason == "ScheduleFloor" &&
                c.message.find("business-hours") != std::string::npos;
    }
  }
  CHECK(limited);

  // Metrics above the floor win; outside the window the spec minimum is back.
  st = {};
  d = Decide(spec, {}, Observe(12, {Value(150)}), st, inside);
  CHECK(d.desired_replicas == 15);
  CHECK(d.reason == Reason::kDesiredWithinRange);
  st = {};
  spec.behavior->scale_down.stabilization_window_seconds = 0;
  d = Decide(spec, {}, Observe(3, {Value(20)}), st, outside);
  CHECK(d.desired_replicas == 2);
  CHECK(d.schedule == -1);

  // Never above maxReplicas; the legacy path (no behavior) honours it too.
  spec.schedules[0].min_replicas = 50;
  st = {};
  d = Decide(spec, {}, Observe(3, {Value(20)}), st, inside);
  CHECK(d.desired_replicas == 20);
  spec.schedules[0].min_replicas = 10;
  spec.behavior.reset();
  st = {};
  d = Decide(spec, {}, Observe(3, {Value(20)}), st, inside);
  CHECK(d.desired_replicas == 10);
  CHECK(d.reason == Reason::kScheduleFloor);

  // The floor needs no metric: it holds while every metric fails.
  st = {};
  d = Decide(spec, {}, Observe(3, {Failed("down")}), st, inside);
  CHECK(d.desired_replicas == 10);
  CHECK(d.reason == Reason::kScheduleFloor);

  // The highest open window wins.
  spec.schedules.push_back(Window("0 9 * * *", 3600, 14));
  spec.schedules[1].name = "nine";
  st = {};
  d = Decide(spec, {}, Observe(3, {Value(20)}), st, inside);
  CHECK(d.desired_replicas == 14);
  CHECK(d.schedule == 1);
}

TEST_CASE("an open window keeps a scale-to-zero pool awake", "[decision][schedule][keda]") {
  Spec spec;
  spec.min_replicas = 0;
  spec.max_replicas = 20;
  spec.cooldown_period_seconds = 300;
  spec.metrics = {QueueMetric("backlog", 10)};
  spec.behavior = DefaultBehavior();
  spec.schedules = {Window("0 8 * * *", 3600, 4)};
  const Timestamp open = UtcAt(2026, 11, 30, 8, 0);

  // At zero, idle metrics, window opens: activated to the floor before any task arrives.
  DecisionState st;
  Decision d = Decide(spec, {}, Observe(0, {Value(0)}), st, open);
  CHECK(d.reason == Reason::kActivated);
  CHECK(d.desired_replicas == 4);
  // Inside the window, idle for longer than the cooldown: stays at the floor.
  d = Decide(spec, {}, Observe(4, {Value(0)}), st, open + Seconds(1800));
  CHECK(d.desired_replicas == 4);
  CHECK(d.active);
  d = Decide(spec, {}, Observe(4, {Value(0)}), st, open + Seconds(3599));
  CHECK(d.desired_replicas == 4);
  // After the window: the spec's floor during the cooldown, zero once it passed since the
  // window's last second (the last activity).
  d = Decide(spec, {}, Observe(4, {Value(0)}), st, open + Seconds(3600 + 100));
  CHECK(d.desired_replicas == 1);
  CHECK_FALSE(d.active);
  d = Decide(spec, {}, Observe(1, {Value(0)}), st, open + Seconds(3599 + 301));
  CHECK(d.desired_replicas == 0);
  CHECK(d.reason == Reason::kScaledToZero);
}

// `ebb tune`'s scheduled floors: the busy replicas per hour of the day of the training part's
// tasks, their quantile over the days, the cut into a few levels, and the windows written.
#include "controller/tune/schedule_candidates.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <functional>
#include <nlohmann/json.hpp>

#include "controller/api/autoscaler.h"
#include "controller/tune/candidate.h"

namespace ebb::tune {
namespace {

constexpr int64_t kMonday = 1'793'577'600'000;  // 2026-11-02T00:00:00Z, a Monday (Unix ms)

// One task per hour (at its first second) whose service keeps `busy(day, hour)` replicas of
// `concurrency` slots busy over the hour.
sim::PoolTasks Load(int days, const std::function<double(int, int)>& busy, int concurrency = 1) {
  sim::PoolTasks t;
  for (int d = 0; d < days; ++d) {
    for (int h = 0; h < 24; ++h) {
      const double b = busy(d, h);
      if (b <= 0) continue;
      t.arrival.push_back((d * 24 + h) * 3600.0 + 1);
      t.service.push_back(b * 3600.0 * concurrency);
    }
  }
  return t;
}

bool Between(int h, int from, int to) {
  return h >= from && h < to;
}

struct Case {
  const char* name;
  int days;
  std::function<double(int, int)> busy;
  ScheduleShape shape;
  ScheduleBounds bounds;
  std::vector<ScheduleWindow> want;
};

TEST_CASE("schedule candidates: windows from the load by hour of the day", "[tune][schedule]") {
  const std::vector<Case> cases{
      {"one level all day is a constant floor, not a schedule",
       3,
       [](int, int) { return 4.0; },
       {0.75, 4},
       {1, 20, 60},
       {}},
      {"day and night, every day: one window a start-up and a tick ahead",
       3,
       [](int, int h) { return Between(h, 8, 20) ? 5.5 : 0.5; },
       {0.75, 4},
       {1, 20, 60},
       {{"daily-0800", "59 7 * * *", 12 * 3600 + 60, 6}}},
      {"the lead rounds up to whole minutes",
       3,
       [](int, int h) { return Between(h, 8, 20) ? 5.5 : 0.5; },
       {0.75, 4},
       {1, 20, 61},
       {{"daily-0800", "58 7 * * *", 12 * 3600 + 120, 6}}},
      {"a night peak crosses midnight in one window",
       3,
       [](int, int h) { return h >= 22 || h < 4 ? 5.0 : 1.0; },
       {0.75, 4},
       {1, 20, 60},
       {{"daily-2200", "59 21 * * *", 6 * 3600 + 60, 5}}},
      {"the median of the days at each hour",
       4,
       [](int d, int h) { return h == 12 ? 2.0 * (d + 1) : 0.0; },
       {0.5, 4},
       {0, 20, 60},
       {{"daily-1200", "59 11 * * *", 3600 + 60, 5}}},
      {"the 90th percentile of the days at each hour, rounded up",
       4,
       [](int d, int h) { return h == 12 ? 2.0 * (d + 1) : 0.0; },
       {0.9, 4},
       {0, 20, 60},
       {{"daily-1200", "59 11 * * *", 3600 + 60, 8}}},
      {"two levels a day: the day at its lowest hour",
       3,
       [](int, int h) { return Between(h, 8, 12)    ? 4.0
                               : Between(h, 12, 16) ? 6.0
                                                    : 1.0; },
       {0.75, 2},
       {1, 20, 60},
       {{"daily-0800", "59 7 * * *", 8 * 3600 + 60, 4}}},
      {"three levels a day: a step inside the day",
       3,
       [](int, int h) { return Between(h, 8, 12)    ? 4.0
                               : Between(h, 12, 16) ? 6.0
                                                    : 1.0; },
       {0.75, 3},
       {1, 20, 60},
       {{"daily-0800", "59 7 * * *", 4 * 3600 + 60, 4},
        {"daily-1200", "59 11 * * *", 4 * 3600 + 60, 6}}},
      {"windows only above the floor as given",
       3,
       [](int, int h) { return Between(h, 8, 12)    ? 4.0
                               : Between(h, 12, 16) ? 6.0
                                                    : 1.0; },
       {0.75, 3},
       {4, 20, 60},
       {{"daily-1200", "59 11 * * *", 4 * 3600 + 60, 6}}},
      {"never above maxReplicas",
       3,
       [](int, int h) { return Between(h, 8, 20) ? 50.0 : 0.0; },
       {0.75, 4},
       {1, 20, 60},
       {{"daily-0800", "59 7 * * *", 12 * 3600 + 60, 20}}},
      {"two weeks or more: weekdays and weekends apart",
       14,
       [](int d, int h) { return d % 7 >= 5          ? 2.0
                                 : Between(h, 9, 17) ? 8.0
                                                     : 0.0; },
       {0.75, 4},
       {1, 20, 60},
       {{"weekdays-0900", "59 8 * * 1-5", 8 * 3600 + 60, 8},
        {"weekends-0000", "59 23 * * 5-6", 24 * 3600 + 60, 2}}},
      {"weekly, a day runs from its quietest hour: a peak across midnight is one window",
       14,
       [](int d, int h) {
         const int day = h >= 3 ? d : d - 1;  // the day the 21:00-03:00 peak started on
         return day >= 0 && day % 7 < 5 && (h >= 21 || h < 3) ? 6.0 : 0.0;
       },
       {0.75, 4},
       {0, 20, 60},
       {{"weekdays-2100", "59 20 * * 1-5", 6 * 3600 + 60, 6}}},
      {"weekly, a window from the day's first hour opens on the day before",
       14,
       [](int d, int h) { return d % 7 >= 5          ? 2.0
                                 : Between(h, 9, 17) ? 8.0
                                                     : 1.0; },
       {0.75, 4},
       {0, 20, 60},
       {{"weekdays-0000", "59 23 * * 0-4", 9 * 3600 + 60, 1},
        {"weekdays-0900", "59 8 * * 1-5", 8 * 3600 + 60, 8},
        {"weekdays-1700", "59 16 * * 1-5", 7 * 3600 + 60, 1},
        {"weekends-0000", "59 23 * * 5-6", 24 * 3600 + 60, 2}}},
      {"under two weeks, weekends are days like the others",
       13,
       [](int d, int h) { return d % 7 >= 5          ? 0.0
                                 : Between(h, 9, 17) ? 8.0
                                                     : 0.0; },
       {0.5, 4},
       {0, 20, 60},
       {{"daily-0900", "59 8 * * *", 8 * 3600 + 60, 8}}},
  };
  for (const Case& c : cases) {
    SECTION(c.name) {
      const auto tasks = Load(c.days, c.busy, 2);
      const auto busy = BusyByHour(tasks, kMonday, c.days * 86400.0, 2);
      const auto got = DeriveSchedule(busy, c.shape, c.bounds);
      REQUIRE(got.size() == c.want.size());
      for (size_t i = 0; i < got.size(); ++i) {
        INFO(i);
        CHECK(got[i].name == c.want[i].name);
        CHECK(got[i].start == c.want[i].start);
        CHECK(got[i].duration_seconds == c.want[i].duration_seconds);
        CHECK(got[i].min_replicas == c.want[i].min_replicas);
      }
    }
  }
}

TEST_CASE("schedule candidates: only the part's tasks and its whole-enough hours count",
          "[tune][schedule]") {
  struct HourCase {
    const char* name;
    int64_t origin_ms;
    double end_seconds;
    size_t slot;  // type * 24 + hour
    std::vector<double> want;
  };
  // Three days of 3 busy replicas at 12:00 UTC, then a fourth at 9 (past the part's end, or
  // half of its 12:00 hour inside it).
  auto tasks = Load(4, [](int d, int h) { return h == 12 ? (d == 3 ? 9.0 : 3.0) : 0.0; });
  // And one more at 12:40 on the fourth day: past the end of every part below.
  tasks.arrival.push_back((3 * 24 + 12) * 3600.0 + 2400);
  tasks.service.push_back(3600);
  const std::vector<HourCase> cases{
      {"tasks past the end are not counted", kMonday, 3 * 86400.0, 12, {3, 3, 3}},
      {"an hour half inside the part counts over its seconds inside",
       kMonday,
       3 * 86400.0 + 12.5 * 3600,
       12,
       {3, 3, 3, 18}},
      {"an hour less than half inside is left out",
       kMonday,
       3 * 86400.0 + 12.4 * 3600,
       12,
       {3, 3, 3}},
      {"hours are UTC hours of the wall clock", kMonday - 3600'000, 3 * 86400.0, 11, {3, 3, 3}},
  };
  for (const auto& c : cases) {
    SECTION(c.name) {
      const auto busy = BusyByHour(tasks, c.origin_ms, c.end_seconds, 1);
      CHECK_FALSE(busy.weekly);
      const auto& got = busy.values[c.slot];
      REQUIRE(got.size() == c.want.size());
      for (size_t i = 0; i < got.size(); ++i) CHECK(got[i] == Approx(c.want[i]));
    }
  }
}

TEST_CASE("schedule candidates: the shapes the search tries", "[tune][schedule]") {
  const auto day_night = [](int, int h) { return Between(h, 8, 20) ? 5.5 : 0.5; };
  SECTION("none under two days: no daily pattern to see") {
    const auto tasks = Load(2, day_night);
    CHECK(ScheduleOptions(BusyByHour(tasks, kMonday, 1.9 * 86400, 1), {1, 20, 60}).empty());
  }
  SECTION("distinct shapes only, each with its windows") {
    const auto tasks = Load(3, day_night);
    const auto options = ScheduleOptions(BusyByHour(tasks, kMonday, 3 * 86400.0, 1), {1, 20, 60});
    // Every quantile and level count gives the same single window on this load.
    REQUIRE(options.size() == 1);
    CHECK(options[0].label == "p50 of the days in 3 levels a day");
    REQUIRE(options[0].windows.size() == 1);
    CHECK(options[0].windows[0].min_replicas == 6);
  }
}

TEST_CASE("schedule candidates: written into the Autoscaler above the candidate's floor",
          "[tune][schedule]") {
  const nlohmann::json doc = nlohmann::json::parse(R"({
    "apiVersion": "ebb.dev/v1alpha1", "kind": "Autoscaler", "metadata": {"name": "w"},
    "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "w"}, "minReplicas": 1,
             "maxReplicas": 20,
             "schedules": [{"name": "mine", "start": "0 9 * * *", "durationSeconds": 3600,
                            "minReplicas": 3}],
             "metrics": [{"type": "External", "external": {"metric": {"name": "backlog"},
                          "target": {"type": "AverageValue", "averageValue": "5"}}}]}})");
  Candidate c;
  c.floor = 2;
  c.schedules = {{"daily-0800", "59 7 * * *", 12 * 3600 + 60, 6},
                 {"daily-2000", "59 19 * * *", 2 * 3600 + 60, 2}};
  c.schedule_label = "p75 of the days in 3 levels a day";
  const auto out = ApplyCandidate(doc, 0, c, "arrivals");
  const auto& s = out["spec"]["schedules"];
  REQUIRE(s.size() == 1);  // the window at the floor is left out, the given ones replaced
  CHECK(s[0]["name"] == "daily-0800");
  CHECK(s[0]["start"] == "59 7 * * *");
  CHECK(s[0]["durationSeconds"] == 12 * 3600 + 60);
  CHECK(s[0]["minReplicas"] == 6);
  const auto parsed = api::ParseAutoscaler(out);
  REQUIRE(parsed);
  REQUIRE(parsed->spec.schedules.size() == 1);
  CHECK(parsed->spec.schedules[0].min_replicas == 6);
  CHECK(c.Describe().find("schedules p75 of the days in 3 levels a day") != std::string::npos);

  Candidate none = c;
  none.schedules.clear();
  CHECK(none.Key() != c.Key());
  CHECK(ApplyCandidate(doc, 0, none, "arrivals")["spec"]["schedules"][0]["name"] == "mine");
  Candidate above = c;
  above.floor = 6;  // no window above the floor: the schedules as given, the key of none
  CHECK(ApplyCandidate(doc, 0, above, "arrivals")["spec"]["schedules"][0]["name"] == "mine");
  Candidate above_none = none;
  above_none.floor = 6;
  CHECK(above.Key() == above_none.Key());
}

TEST_CASE("schedule candidates: the growth from the week before the last to the last",
          "[tune][schedule]") {
  struct GrowthCase {
    const char* name;
    int days;
    double end_days;
    std::function<double(int, int)> busy;
    double want;
  };
  const auto weekly = [](double first, double second, double third) {
    return [=](int d, int h) {
      const double level = d < 7 ? first : d < 14 ? second : third;
      return Between(h, 8, 20) ? level : level / 4;
    };
  };
  const std::vector<GrowthCase> cases{
      {"under two weeks: flat", 13, 13, weekly(2, 3, 3), 1},
      {"a flat load", 14, 14, weekly(2, 2, 2), 1},
      {"half as much again", 14, 14, weekly(2, 3, 3), 1.5},
      {"the last two weeks before the end, not the first", 21, 21, weekly(1, 2, 3), 1.5},
      {"days past the end are not counted", 21, 14, weekly(2, 3, 9), 1.5},
      {"a shrinking load counts as flat", 14, 14, weekly(3, 2, 2), 1},
      {"clamped at twice", 14, 14, weekly(1, 5, 5), kMaxWeeklyGrowth},
      {"no work in the earlier week: flat", 14, 14, weekly(0, 3, 3), 1},
  };
  for (const auto& c : cases) {
    SECTION(c.name) {
      CHECK(WeeklyGrowth(Load(c.days, c.busy), c.end_days * 86400.0) == Approx(c.want));
    }
  }
}

TEST_CASE("schedule candidates: the recent days grown as the trend says", "[tune][schedule]") {
  // Four tasks a minute for two days, service 10..13 s.
  sim::PoolTasks t;
  for (int m = 0; m < 2 * 1440; ++m) {
    for (int k = 0; k < 4; ++k) {
      t.arrival.push_back(m * 60.0 + k * 15.0);
      t.service.push_back(10.0 + k);
    }
  }
  struct GrowCase {
    const char* name;
    double from, end, growth;
    double want_ratio;  // tasks out over tasks in the window
  };
  const std::vector<GrowCase> cases{
      {"no growth: the window's tasks, from its start", 86400, 2 * 86400, 1, 1},
      {"twice: every task copied", 86400, 2 * 86400, 2, 2},
      {"half as much again: about half copied", 86400, 2 * 86400, 1.5, 1.5},
      {"below 1: none dropped", 0, 86400, 0.5, 1},
  };
  for (const auto& c : cases) {
    SECTION(c.name) {
      const auto g = GrownTasks(t, c.from, c.end, c.growth, 7);
      const double in = 4 * (c.end - c.from) / 60;
      CHECK(static_cast<double>(g.arrival.size()) / in == Approx(c.want_ratio).epsilon(0.03));
      REQUIRE(g.arrival.size() == g.service.size());
      CHECK(std::is_sorted(g.arrival.begin(), g.arrival.end()));
      CHECK(g.arrival.front() >= 0);
      CHECK(g.arrival.back() < c.end - c.from);
      for (double s : g.service) CHECK((s >= 10 && s <= 13));
      // Seeded: the same draw again.
      CHECK(GrownTasks(t, c.from, c.end, c.growth, 7).arrival == g.arrival);
    }
  }
}

TEST_CASE("schedule candidates: floors from the last days and grown", "[tune][schedule]") {
  // Three weeks from a Monday: 2 busy replicas from 08:00 to 20:00 the first two, 4 to 8 on
  // the last one's days (Monday 4 ... Friday 8, Saturday 9, Sunday 10).
  const auto tasks =
      Load(21, [](int d, int h) { return Between(h, 8, 20) ? (d < 14 ? 2 : d - 10) : 0; });
  const auto all = BusyByHour(tasks, kMonday, 21 * 86400.0, 1);
  const auto recent = BusyByHour(tasks, kMonday, 21 * 86400.0, 1, 14 * 86400.0);
  CHECK(all.weekly);
  CHECK(recent.weekly);  // the whole part's split, though the last days span one week
  CHECK(recent.days == 7);
  // 12:00 on weekdays: the last week's five values only.
  CHECK(recent.values[12] == std::vector<double>{4, 5, 6, 7, 8});
  CHECK(all.values[12].size() == 15);
  const ScheduleBounds bounds{1, 20, 60};
  auto level_of = [](const std::vector<ScheduleOption>& options, const std::string& label) {
    for (const auto& o : options) {
      if (o.label == label) return o.windows.empty() ? 0 : o.windows.front().min_replicas;
    }
    return -1;
  };
  const auto plain = ScheduleOptions(all, bounds);
  CHECK(level_of(plain, "p50 of the days in 3 levels a day") == 2);
  CHECK(level_of(plain, "p50 of the last 7 days in 3 levels a day") == -1);
  const auto with_recent = ScheduleOptions(all, bounds, &recent);
  CHECK(level_of(with_recent, "p50 of the days in 3 levels a day") == 2);
  CHECK(level_of(with_recent, "p50 of the last 7 days in 3 levels a day") == 6);
  const auto with_grown = ScheduleOptions(all, bounds, &recent, 1.5);
  CHECK(level_of(with_grown, "p50 of the last 7 days in 3 levels a day") == 6);
  CHECK(level_of(with_grown, "p50 of the last 7 days x1.50 in 3 levels a day") == 9);
  // Recent days from 08:30 of the third Monday: its 08:00 hour is half inside and counts, but
  // not its task, which arrived at 08:00 (before them).
  const auto from_half = BusyByHour(tasks, kMonday, 21 * 86400.0, 1, (14 * 24 + 8.5) * 3600);
  CHECK(from_half.values[8] == std::vector<double>{0, 5, 6, 7, 8});
  // Under two days of recent load: none of its shapes.
  const auto short_recent = BusyByHour(tasks, kMonday, 21 * 86400.0, 1, 19.5 * 86400.0);
  CHECK(ScheduleOptions(all, bounds, &short_recent).size() == plain.size());
}

}  // namespace
}  // namespace ebb::tune

#include "controller/tune/schedule_candidates.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <random>

namespace ebb::tune {
namespace {

constexpr int64_t kHourMs = 3'600'000;
constexpr int64_t kDayMs = 24 * kHourMs;

// 0 = Sunday ... 6 = Saturday, of the UTC day holding `ms` (1970-01-01 was a Thursday).
int Weekday(int64_t ms) {
  const int64_t day = ms >= 0 ? ms / kDayMs : (ms - kDayMs + 1) / kDayMs;
  return static_cast<int>(((day + 4) % 7 + 7) % 7);
}

int64_t FloorDiv(int64_t a, int64_t b) {
  return a >= 0 ? a / b : (a - b + 1) / b;
}

double Quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double pos = std::clamp(q, 0.0, 1.0) * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

struct Run {
  int start = 0;   // index in the sequence cut
  int length = 0;  // hours
  int32_t level = 0;
};

// The cut of `p` into at most `k` runs, each at the lowest value of its hours, leaving the
// least below the values (ties: fewer runs); `cost` receives that shortfall.
std::vector<Run> Cut(const std::vector<int32_t>& p, int k, int64_t& cost) {
  const int n = static_cast<int>(p.size());
  constexpr int64_t kInf = std::numeric_limits<int64_t>::max() / 4;
  auto shortfall = [&](int i, int j) {  // the run [i, j)
    int32_t low = p[static_cast<size_t>(i)];
    int64_t sum = 0;
    for (int t = i; t < j; ++t) low = std::min(low, p[static_cast<size_t>(t)]);
    for (int t = i; t < j; ++t) sum += p[static_cast<size_t>(t)] - low;
    return sum;
  };
  // best[r][j]: the least shortfall of p[0, j) in r runs; from[r][j]: where the last run starts.
  std::vector<std::vector<int64_t>> best(static_cast<size_t>(k) + 1,
                                         std::vector<int64_t>(static_cast<size_t>(n) + 1, kInf));
  std::vector<std::vector<int>> from(static_cast<size_t>(k) + 1,
                                     std::vector<int>(static_cast<size_t>(n) + 1, 0));
  best[0][0] = 0;
  for (int r = 1; r <= k; ++r) {
    for (int j = 1; j <= n; ++j) {
      for (int i = r - 1; i < j; ++i) {
        const int64_t prev = best[static_cast<size_t>(r - 1)][static_cast<size_t>(i)];
        if (prev >= kInf) continue;
        const int64_t c = prev + shortfall(i, j);
        if (c < best[static_cast<size_t>(r)][static_cast<size_t>(j)]) {
          best[static_cast<size_t>(r)][static_cast<size_t>(j)] = c;
          from[static_cast<size_t>(r)][static_cast<size_t>(j)] = i;
        }
      }
    }
  }
  int runs = 1;
  for (int r = 1; r <= k; ++r) {
    if (best[static_cast<size_t>(r)][static_cast<size_t>(n)] <
        best[static_cast<size_t>(runs)][static_cast<size_t>(n)]) {
      runs = r;
    }
  }
  cost = best[static_cast<size_t>(runs)][static_cast<size_t>(n)];
  std::vector<Run> out;
  for (int r = runs, j = n; r > 0; --r) {
    const int i = from[static_cast<size_t>(r)][static_cast<size_t>(j)];
    int32_t low = p[static_cast<size_t>(i)];
    for (int t = i; t < j; ++t) low = std::min(low, p[static_cast<size_t>(t)]);
    out.push_back({i, j - i, low});
    j = i;
  }
  std::reverse(out.begin(), out.end());
  return out;
}

// "1-5", "0,6", "0-4": cron's day-of-week list.
std::string Days(const std::vector<int>& days) {
  std::string s;
  for (size_t i = 0; i < days.size();) {
    size_t j = i;
    while (j + 1 < days.size() && days[j + 1] == days[j] + 1) ++j;
    if (!s.empty()) s += ",";
    s += std::to_string(days[i]);
    if (j > i) s += "-" + std::to_string(days[j]);
    i = j + 1;
  }
  return s;
}

// The window of hours [hour, hour + length) of the days `days` (empty: every day), opening
// `lead_minutes` early (on the day before when that is before midnight).
ScheduleWindow Window(const std::string& kind, int hour, int length, int32_t level,
                      std::vector<int> days, int lead_minutes) {
  int start = hour * 60 - lead_minutes;
  // `hour` is 0-47: past 24 it is on the next day (a weekly day starting after midnight).
  const int shift = start < 0 ? 6 : start >= 24 * 60 ? 1 : 0;
  start = (start + 24 * 60) % (24 * 60);
  for (int& d : days) d = (d + shift) % 7;
  std::sort(days.begin(), days.end());
  char name[64];
  std::snprintf(name, sizeof name, "%s-%02d00", kind.c_str(), hour % 24);
  ScheduleWindow w;
  w.name = name;
  w.start = std::to_string(start % 60) + " " + std::to_string(start / 60) + " * * " +
            (days.empty() ? std::string("*") : Days(days));
  w.duration_seconds = std::min(604800, length * 3600 + lead_minutes * 60);
  w.min_replicas = level;
  return w;
}

}  // namespace

HourlyBusy BusyByHour(const sim::PoolTasks& tasks, int64_t origin_ms, double end_seconds,
                      int32_t concurrency, double from_seconds) {
  HourlyBusy out;
  from_seconds = std::max(0.0, from_seconds);
  if (end_seconds <= from_seconds) return out;
  const auto end_ms = origin_ms + static_cast<int64_t>(std::llround(end_seconds * 1000.0));
  out.weekly = end_seconds >= kWeeklySplitSeconds;
  out.days = static_cast<int32_t>((end_seconds - from_seconds) / 86400.0);
  origin_ms += static_cast<int64_t>(std::llround(from_seconds * 1000.0));
  const int64_t first_hour = FloorDiv(origin_ms, kHourMs);
  const int64_t last_hour = FloorDiv(end_ms - 1, kHourMs);
  std::vector<double> work(static_cast<size_t>(last_hour - first_hour + 1), 0.0);
  for (size_t i = 0; i < tasks.arrival.size() && i < tasks.service.size(); ++i) {
    if (tasks.arrival[i] < from_seconds || tasks.arrival[i] >= end_seconds) continue;
    const int64_t at =
        origin_ms + static_cast<int64_t>(std::floor((tasks.arrival[i] - from_seconds) * 1000.0));
    const int64_t h = FloorDiv(at, kHourMs) - first_hour;
    if (h >= 0 && h < static_cast<int64_t>(work.size()))
      work[static_cast<size_t>(h)] += tasks.service[i];
  }
  // The busy replicas of every whole-enough hour, by hour of the day.
  std::vector<std::pair<int64_t, double>> hours;  // (hour since the epoch, busy replicas)
  std::array<double, 24> sum{};
  for (int64_t h = first_hour; h <= last_hour; ++h) {
    const int64_t from = std::max(origin_ms, h * kHourMs);
    const int64_t to = std::min(end_ms, (h + 1) * kHourMs);
    const double seconds = static_cast<double>(to - from) / 1000.0;
    if (seconds < 1800) continue;
    const double busy =
        work[static_cast<size_t>(h - first_hour)] / seconds / std::max(1, concurrency);
    hours.emplace_back(h, busy);
    sum[static_cast<size_t>(((h % 24) + 24) % 24)] += busy;
  }
  // Weekly, a day runs from the quietest hour of the day (the first of the least busy): the
  // load's own day, which a UTC midnight may cut (a peak from 21:00 to 03:00 belongs to the
  // day it starts on).
  if (out.weekly) {
    out.day_start = static_cast<int32_t>(std::min_element(sum.begin(), sum.end()) - sum.begin());
  }
  for (const auto& [h, busy] : hours) {
    const int wd = Weekday((h - out.day_start) * kHourMs);
    const int type = out.weekly && (wd == 0 || wd == 6) ? 1 : 0;
    const auto hour = static_cast<int>(((h % 24) + 24) % 24);
    out.values[static_cast<size_t>(type * 24 + hour)].push_back(busy);
  }
  return out;
}

HourlyBusy Scaled(HourlyBusy busy, double factor) {
  for (auto& v : busy.values) {
    for (double& x : v) x *= factor;
  }
  return busy;
}

double WeeklyGrowth(const sim::PoolTasks& tasks, double end_seconds) {
  constexpr double kWeek = 7 * 86400.0;
  if (end_seconds < 2 * kWeek) return 1;
  double last = 0;
  double before = 0;
  for (size_t i = 0; i < tasks.arrival.size() && i < tasks.service.size(); ++i) {
    const double t = tasks.arrival[i];
    if (t >= end_seconds - kWeek && t < end_seconds) {
      last += tasks.service[i];
    } else if (t >= end_seconds - 2 * kWeek && t < end_seconds - kWeek) {
      before += tasks.service[i];
    }
  }
  if (before <= 0) return 1;
  return std::clamp(last / before, 1.0, kMaxWeeklyGrowth);
}

sim::PoolTasks GrownTasks(const sim::PoolTasks& tasks, double from_seconds, double end_seconds,
                          double growth, uint64_t seed) {
  std::vector<size_t> in;
  for (size_t i = 0; i < tasks.arrival.size() && i < tasks.service.size(); ++i) {
    if (tasks.arrival[i] >= from_seconds && tasks.arrival[i] < end_seconds) in.push_back(i);
  }
  std::vector<std::pair<double, double>> out;
  out.reserve(in.size());
  for (size_t i : in) out.emplace_back(tasks.arrival[i] - from_seconds, tasks.service[i]);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const double copy = std::clamp(growth - 1.0, 0.0, 1.0);
  if (copy > 0 && !in.empty()) {
    std::uniform_int_distribution<size_t> pick(0, in.size() - 1);
    const double span = end_seconds - from_seconds;
    for (size_t i : in) {
      if (unit(rng) >= copy) continue;
      const double at =
          std::min(tasks.arrival[i] - from_seconds + 60.0 * unit(rng), std::nextafter(span, 0.0));
      out.emplace_back(at, tasks.service[in[pick(rng)]]);
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& x, const auto& y) { return x.first < y.first; });
  sim::PoolTasks t;
  t.arrival.reserve(out.size());
  t.service.reserve(out.size());
  for (const auto& [a, sv] : out) {
    t.arrival.push_back(a);
    t.service.push_back(sv);
  }
  return t;
}

std::vector<ScheduleWindow> DeriveSchedule(const HourlyBusy& busy, const ScheduleShape& shape,
                                           const ScheduleBounds& bounds) {
  const int lead_minutes = static_cast<int>(std::ceil(std::max(0, bounds.lead_seconds) / 60.0));
  const int k = std::clamp(shape.levels, 1, 24);
  std::vector<ScheduleWindow> out;
  for (int type = 0; type < (busy.weekly ? 2 : 1); ++type) {
    // p[i]: the floor at hour day_start + i of the day.
    std::vector<int32_t> p(24, 0);
    for (int i = 0; i < 24; ++i) {
      const auto h = static_cast<size_t>((busy.day_start + i) % 24);
      const double q = Quantile(busy.values[static_cast<size_t>(type) * 24 + h], shape.quantile);
      p[static_cast<size_t>(i)] =
          std::min(bounds.max_replicas, static_cast<int32_t>(std::ceil(q - 1e-9)));
    }
    std::vector<Run> runs;
    int rotation = 0;
    if (busy.weekly) {
      int64_t cost = 0;
      runs = Cut(p, k, cost);
    } else {
      // The day is a circle: the cut may start at any hour (the first with the least shortfall,
      // then the fewest runs).
      int64_t best_cost = std::numeric_limits<int64_t>::max();
      for (int r = 0; r < 24; ++r) {
        std::vector<int32_t> rotated(24);
        for (int h = 0; h < 24; ++h)
          rotated[static_cast<size_t>(h)] = p[static_cast<size_t>((h + r) % 24)];
        int64_t cost = 0;
        auto cut = Cut(rotated, k, cost);
        if (cost < best_cost || (cost == best_cost && cut.size() < runs.size())) {
          best_cost = cost;
          runs = std::move(cut);
          rotation = r;
        }
      }
      if (runs.size() == 1) continue;  // one level all day: a constant floor, not a schedule
    }
    const std::vector<int> days = !busy.weekly ? std::vector<int>{}
                                  : type == 0  ? std::vector<int>{1, 2, 3, 4, 5}
                                               : std::vector<int>{0, 6};
    const std::string kind = !busy.weekly ? "daily" : type == 0 ? "weekdays" : "weekends";
    for (const Run& run : runs) {
      if (run.level <= bounds.min_replicas) continue;
      const int hour = busy.weekly ? busy.day_start + run.start : (run.start + rotation) % 24;
      out.push_back(Window(kind, hour, run.length, run.level, days, lead_minutes));
    }
  }
  return out;
}

std::vector<ScheduleOption> ScheduleOptions(const HourlyBusy& busy, const ScheduleBounds& bounds,
                                            const HourlyBusy* recent, double growth) {
  std::vector<ScheduleOption> out;
  if (busy.days < 2) return out;
  std::map<std::string, bool> seen;
  auto offer = [&](const HourlyBusy& from, const std::string& of) {
    for (double q : {0.5, 0.75, 0.9}) {
      for (int levels : {3, 6}) {
        ScheduleOption o;
        char label[96];
        std::snprintf(label, sizeof label, "p%.0f of %s in %d levels a day", q * 100, of.c_str(),
                      levels);
        o.label = label;
        o.windows = DeriveSchedule(from, {q, levels}, bounds);
        if (o.windows.empty()) continue;
        std::string key;
        for (const auto& w : o.windows) {
          key += w.start + "/" + std::to_string(w.duration_seconds) + "/" +
                 std::to_string(w.min_replicas) + ";";
        }
        if (!seen.emplace(key, true).second) continue;
        out.push_back(std::move(o));
      }
    }
  };
  offer(busy, "the days");
  if (recent != nullptr && recent->days >= 2) {
    const std::string last = "the last " + std::to_string(recent->days) + " days";
    offer(*recent, last);
    if (growth != 1) {
      char grown[32];
      std::snprintf(grown, sizeof grown, " x%.2f", growth);
      offer(Scaled(*recent, growth), last + grown);
    }
  }
  return out;
}

}  // namespace ebb::tune

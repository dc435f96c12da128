#include "controller/decision/schedule.h"

namespace ebb::decision {

bool ScheduleOpen(const Schedule& s, Timestamp now) {
  static const TimeZone kUtc;
  const int64_t ms = ToUnixMillis(now);
  const int64_t now_s = ms / 1000 - (ms % 1000 < 0 ? 1 : 0);
  const auto start = LatestCronStart(s.cron, s.zone ? *s.zone : kUtc, now_s, s.duration_seconds);
  return start && now_s < *start + s.duration_seconds;
}

ScheduleFloor OpenScheduleFloor(const std::vector<Schedule>& schedules, Timestamp now) {
  ScheduleFloor f;
  for (size_t i = 0; i < schedules.size(); ++i) {
    if (schedules[i].min_replicas <= f.replicas || !ScheduleOpen(schedules[i], now)) continue;
    f.index = static_cast<int32_t>(i);
    f.replicas = schedules[i].min_replicas;
  }
  return f;
}

}  // namespace ebb::decision

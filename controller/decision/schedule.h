// spec.schedules: cron-started windows that raise the minimum while open.
#pragma once

#include "controller/decision/types.h"

namespace ebb::decision {

// A window is open when its latest start (cron, in its zone) is at or before `now` and less
// than duration_seconds ago.
bool ScheduleOpen(const Schedule& schedule, Timestamp now);

struct ScheduleFloor {
  int32_t index = -1;     // the open window with the highest minReplicas (the first on ties)
  int32_t replicas = -1;  // its minReplicas; -1 when no window is open
};
ScheduleFloor OpenScheduleFloor(const std::vector<Schedule>& schedules, Timestamp now);

}  // namespace ebb::decision

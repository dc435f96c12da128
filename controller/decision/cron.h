// Five-field cron expressions (minute hour day-of-month month day-of-week), as Kubernetes
// CronJobs and KEDA's cron scaler read them: `*`, numbers, ranges `a-b`, steps `*/n` and `a-b/n`,
// lists, month and weekday names (JAN, MON), 7 as Sunday, and the macros @hourly, @daily
// (@midnight), @weekly, @monthly, @yearly (@annually). When both day fields are restricted a day
// matches either of them (Vixie cron's rule, also robfig/cron's).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "controller/base/result.h"
#include "controller/decision/time_zone.h"

namespace ebb::decision {

struct CronExpr {
  uint64_t minutes = 0;  // bit m: minute m
  uint32_t hours = 0;
  uint32_t days = 0;     // bit d: day of month d (1..31)
  uint16_t months = 0;   // bit m: month m (1..12)
  uint8_t weekdays = 0;  // bit d: weekday d (0: Sunday)
  bool days_star = true;
  bool weekdays_star = true;
};

// The error names the field: "hour: 25 is out of range 0-23".
Result<CronExpr> ParseCron(std::string_view text);

// The latest start at or before `now_seconds` (UTC), searching back at most `horizon_seconds`;
// the cron is read in `zone`'s local time.
std::optional<int64_t> LatestCronStart(const CronExpr& cron, const TimeZone& zone,
                                       int64_t now_seconds, int64_t horizon_seconds);

}  // namespace ebb::decision

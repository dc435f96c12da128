// An IANA time zone as plain data: the UTC offsets of a TZif file (RFC 8536) and its POSIX rule
// for times after the last transition. Parsing takes bytes, so the core stays free of I/O; the
// API layer reads the file from the system's tzdata (g++ 12's libstdc++ has no std::chrono tzdb).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "controller/base/result.h"

namespace ebb::decision {

// One rule of a POSIX TZ string ("M3.5.0/2"): month, week (5: last) and weekday, at a local time.
struct DstRule {
  int32_t month = 0;       // 1..12
  int32_t week = 0;        // 1..5
  int32_t weekday = 0;     // 0: Sunday
  int32_t seconds = 7200;  // local time of day of the change
};

struct TimeZone {
  std::string name = "UTC";
  std::vector<int64_t> transitions;  // UTC seconds, ascending
  std::vector<int32_t> offsets;      // offset east of UTC (s) in force from transitions[i]
  int32_t initial_offset = 0;        // before the first transition
  // After the last transition: the footer's rule (std offset, and DST between start and end).
  bool has_rule = false;
  int32_t std_offset = 0;
  int32_t dst_offset = 0;
  DstRule dst_start;  // in standard local time
  DstRule dst_end;    // in daylight local time
};

// Parses TZif version 1-4 bytes. A footer rule other than "Mm.w.d" (Julian days) is refused
// rather than guessed; no tzdata zone in use needs one.
Result<TimeZone> ParseTzif(std::string_view bytes, std::string name);

// The offset (seconds east of UTC) in force at `utc_seconds`.
int32_t OffsetAt(const TimeZone& zone, int64_t utc_seconds);

// The UTC second of a local wall-clock second. A local time skipped by a DST gap maps as if the
// earlier offset still held (02:30 on a spring-forward night is 03:30 daylight time, as Go's
// time.Date and Kubernetes CronJobs do); a repeated local time maps to its first occurrence.
int64_t LocalToUtc(const TimeZone& zone, int64_t local_seconds);

// Days since 1970-01-01 of a civil date, and back (proleptic Gregorian).
int64_t DaysFromCivil(int64_t y, int32_t m, int32_t d);
void CivilFromDays(int64_t days, int64_t* y, int32_t* m, int32_t* d);

}  // namespace ebb::decision

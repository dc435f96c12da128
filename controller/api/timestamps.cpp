#include "controller/api/timestamps.h"

#include <charconv>
#include <cstdint>

namespace ebb::api {
namespace {

// Howard Hinnant's civil_from_days: exact for the proleptic Gregorian calendar, no allocation.
void CivilFromDays(int64_t z, int64_t& y, int64_t& m, int64_t& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = yoe + era * 400 + (m <= 2 ? 1 : 0);
}

bool Digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

}  // namespace

std::optional<Timestamp> ParseRfc3339(std::string_view s, bool missing_zone_is_utc) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (!Digits(s, 0, 4, y) || s.size() < 19 || s[4] != '-' || !Digits(s, 5, 2, mo) || s[7] != '-' ||
      !Digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
      !Digits(s, 11, 2, h) || s[13] != ':' || !Digits(s, 14, 2, mi) || s[16] != ':' ||
      !Digits(s, 17, 2, sec)) {
    return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  size_t pos = 19;
  int64_t millis = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 3) millis = millis * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (int k = digits; k < 3; ++k) millis *= 10;
  }
  int64_t offset_minutes = 0;
  if (pos == s.size() && missing_zone_is_utc) {
    // No zone: UTC, the only reading that does not depend on the machine.
  } else if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh = 0, om = 0;
    if (!Digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !Digits(s, pos + 4, 2, om)) {
      return std::nullopt;
    }
    offset_minutes = (s[pos] == '-' ? -1 : 1) * (oh * 60 + om);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year(y),
                                        std::chrono::month(static_cast<unsigned>(mo)),
                                        std::chrono::day(static_cast<unsigned>(d))};
  if (!ymd.ok()) return std::nullopt;
  const auto days = std::chrono::sys_days(ymd).time_since_epoch().count();
  const int64_t secs =
      static_cast<int64_t>(days) * 86400 + h * 3600 + mi * 60 + sec - offset_minutes * 60;
  // RFC 3339 years are 0000-9999 in UTC too: "9999-12-31T23:59:59-01:00" is year 10000 and
  // "0000-01-01T00:00:00+01:00" year -1, which no four-digit year can write back.
  const int64_t ms = secs * 1000 + millis;
  constexpr int64_t kFirst = -62'167'219'200'000;  // 0000-01-01T00:00:00Z
  constexpr int64_t kLast = 253'402'300'799'999;   // 9999-12-31T23:59:59.999Z
  if (ms < kFirst || ms > kLast) return std::nullopt;
  return FromUnixMillis(ms);
}

void AppendRfc3339(std::string& out, Timestamp t) {
  const int64_t ms = ToUnixMillis(t);
  int64_t secs = ms / 1000;
  int64_t frac = ms % 1000;
  if (frac < 0) {
    frac += 1000;
    secs -= 1;
  }
  int64_t days = secs / 86400;
  int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    days -= 1;
  }
  int64_t y = 0, m = 0, d = 0;
  CivilFromDays(days, y, m, d);
  char buf[32];
  char* p = buf;
  auto put = [&p](int64_t v, int width) {
    for (int i = width - 1; i >= 0; --i) {
      p[i] = static_cast<char>('0' + v % 10);
      v /= 10;
    }
    p += width;
  };
  put(y, 4);
  *p++ = '-';
  put(m, 2);
  *p++ = '-';
  put(d, 2);
  *p++ = 'T';
  put(rem / 3600, 2);
  *p++ = ':';
  put(rem / 60 % 60, 2);
  *p++ = ':';
  put(rem % 60, 2);
  if (frac != 0) {
    *p++ = '.';
    put(frac, 3);
  }
  *p++ = 'Z';
  out.append(buf, static_cast<size_t>(p - buf));
}

std::string FormatRfc3339(Timestamp t) {
  std::string s;
  AppendRfc3339(s, t);
  return s;
}

}  // namespace ebb::api

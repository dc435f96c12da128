#include "controller/sim/timestamp_text.h"

#include <charconv>
#include <cmath>
#include <cstdint>

namespace ebb::sim {
namespace {

// Howard Hinnant's days_from_civil: exact for the proleptic Gregorian calendar.
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

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

bool Digits(std::string_view s, size_t pos, size_t n, int64_t& out) {
  if (pos + n > s.size()) return false;
  int64_t v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    const char c = s[i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  return true;
}

std::optional<Timestamp> ParseRfc3339(std::string_view s) {
  int64_t y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
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
    int64_t scale = 100;
    const size_t first = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      millis += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == first) return std::nullopt;
  }
  int64_t offset_minutes = 0;
  if (pos == s.size()) {
    // No zone: UTC, the only reading that does not depend on the machine.
  } else if ((s[pos] == 'Z' || s[pos] == 'z') && pos + 1 == s.size()) {
  } else if ((s[pos] == '+' || s[pos] == '-') && pos + 6 == s.size() && s[pos + 3] == ':') {
    int64_t oh = 0, om = 0;
    if (!Digits(s, pos + 1, 2, oh) || !Digits(s, pos + 4, 2, om)) return std::nullopt;
    offset_minutes = (oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
  } else {
    return std::nullopt;
  }
  const int64_t days = DaysFromCivil(y, mo, d);
  const int64_t seconds = days * 86400 + h * 3600 + mi * 60 + sec - offset_minutes * 60;
  return FromUnixMillis(seconds * 1000 + millis);
}

}  // namespace

std::optional<Timestamp> ParseTimestamp(std::string_view text) {
  if (text.size() >= 19 && text[4] == '-') return ParseRfc3339(text);
  // Integer seconds are the common case and exact; fractions go through double.
  int64_t whole = 0;
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, whole);
  if (ec != std::errc() || p == text.data()) return std::nullopt;
  if (p == end) {
    if (whole > INT64_MAX / 1000 || whole < INT64_MIN / 1000) return std::nullopt;
    return FromUnixMillis(whole * 1000);
  }
  double seconds = 0;
  auto [q, ec2] = std::from_chars(text.data(), end, seconds);
  if (ec2 != std::errc() || q != end || !std::isfinite(seconds) || std::fabs(seconds) > 9e15) {
    return std::nullopt;
  }
  return FromUnixMillis(static_cast<int64_t>(std::llround(seconds * 1000.0)));
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

}  // namespace ebb::sim

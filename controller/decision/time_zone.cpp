#include "controller/decision/time_zone.h"

#include <algorithm>
#include <cctype>

namespace ebb::decision {
namespace {

Error Bad(const std::string& name, const std::string& why) {
  return MakeError(ErrorCode::kInvalidConfig, "time zone " + name + ": " + why);
}

int64_t ReadBigEndian(std::string_view b, size_t at, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v = (v << 8) | static_cast<unsigned char>(b[at + i]);
  if (n == 4) return static_cast<int32_t>(static_cast<uint32_t>(v));
  return static_cast<int64_t>(v);
}

// A POSIX TZ offset "[+-]hh[:mm[:ss]]" (west of UTC is positive in POSIX; returned as written).
bool ParsePosixTime(std::string_view s, size_t& i, int32_t* out) {
  int32_t sign = 1;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) sign = s[i++] == '-' ? -1 : 1;
  int32_t parts[3] = {0, 0, 0};
  for (int p = 0; p < 3; ++p) {
    if (p > 0) {
      if (i >= s.size() || s[i] != ':') break;
      ++i;
    }
    const size_t start = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) && i - start < 3) {
      parts[p] = parts[p] * 10 + (s[i++] - '0');
    }
    if (i == start) return false;
  }
  *out = sign * (parts[0] * 3600 + parts[1] * 60 + parts[2]);
  return true;
}

bool ParseAbbreviation(std::string_view s, size_t& i) {
  if (i < s.size() && s[i] == '<') {
    const size_t close = s.find('>', i);
    if (close == std::string_view::npos) return false;
    i = close + 1;
    return true;
  }
  const size_t start = i;
  while (i < s.size() && std::isalpha(static_cast<unsigned char>(s[i]))) ++i;
  return i - start >= 3;
}

bool ParseRule(std::string_view s, size_t& i, DstRule* r) {
  if (i >= s.size() || s[i] != 'M') return false;
  ++i;
  int32_t v[3] = {0, 0, 0};
  for (int p = 0; p < 3; ++p) {
    if (p > 0) {
      if (i >= s.size() || s[i] != '.') return false;
      ++i;
    }
    const size_t start = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])))
      v[p] = v[p] * 10 + (s[i++] - '0');
    if (i == start) return false;
  }
  if (v[0] < 1 || v[0] > 12 || v[1] < 1 || v[1] > 5 || v[2] > 6) return false;
  r->month = v[0];
  r->week = v[1];
  r->weekday = v[2];
  r->seconds = 7200;
  if (i < s.size() && s[i] == '/') {
    ++i;
    if (!ParsePosixTime(s, i, &r->seconds)) return false;
  }
  return true;
}

// "CET-1CEST,M3.5.0,M10.5.0/3"; "" or a rule without DST ("JST-9") leaves has_rule false.
bool ParseFooter(std::string_view s, TimeZone& z) {
  if (s.empty()) return true;
  size_t i = 0;
  int32_t std_west = 0;
  if (!ParseAbbreviation(s, i) || !ParsePosixTime(s, i, &std_west)) return false;
  z.std_offset = -std_west;
  if (i == s.size()) return true;  // no DST: the last transition's offset stays
  if (!ParseAbbreviation(s, i)) return false;
  z.dst_offset = z.std_offset + 3600;
  if (i < s.size() && s[i] != ',') {
    int32_t dst_west = 0;
    if (!ParsePosixTime(s, i, &dst_west)) return false;
    z.dst_offset = -dst_west;
  }
  if (i >= s.size() || s[i++] != ',' || !ParseRule(s, i, &z.dst_start)) return false;
  if (i >= s.size() || s[i++] != ',' || !ParseRule(s, i, &z.dst_end)) return false;
  z.has_rule = i == s.size();
  return z.has_rule;
}

int64_t RuleLocalSeconds(int64_t year, const DstRule& r) {
  static const int32_t kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  const int32_t month_days = kDays[r.month - 1] + (r.month == 2 && leap ? 1 : 0);
  const int64_t first = DaysFromCivil(year, r.month, 1);
  const int64_t first_weekday = ((first % 7) + 7 + 4) % 7;  // 1970-01-01 was a Thursday
  int64_t day = 1 + (r.weekday - first_weekday + 7) % 7 + static_cast<int64_t>(r.week - 1) * 7;
  while (day > month_days) day -= 7;
  return (first + day - 1) * 86400 + r.seconds;
}

int32_t RuleOffsetAt(const TimeZone& z, int64_t utc) {
  int64_t year = 0;
  int32_t m = 0;
  int32_t d = 0;
  CivilFromDays((utc + z.std_offset) / 86400 - ((utc + z.std_offset) % 86400 < 0 ? 1 : 0), &year,
                &m, &d);
  const int64_t start = RuleLocalSeconds(year, z.dst_start) - z.std_offset;
  const int64_t end = RuleLocalSeconds(year, z.dst_end) - z.dst_offset;
  const bool dst = start < end ? (utc >= start && utc < end) : !(utc >= end && utc < start);
  return dst ? z.dst_offset : z.std_offset;
}

}  // namespace

int64_t DaysFromCivil(int64_t y, int32_t m, int32_t d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void CivilFromDays(int64_t z, int64_t* y, int32_t* m, int32_t* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  *d = static_cast<int32_t>(doy - (153 * mp + 2) / 5 + 1);
  *m = static_cast<int32_t>(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2 ? 1 : 0);
}

Result<TimeZone> ParseTzif(std::string_view b, std::string name) {
  TimeZone z;
  z.name = name;
  auto header = [&](size_t at, int64_t c[6]) -> bool {
    if (b.size() < at + 44 || b.substr(at, 4) != "TZif") return false;
    for (int i = 0; i < 6; ++i) c[i] = ReadBigEndian(b, at + 20 + static_cast<size_t>(i) * 4, 4);
    for (int i = 0; i < 6; ++i)
      if (c[i] < 0 || c[i] > 100000) return false;
    return true;
  };
  int64_t c[6];  // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
  if (!header(0, c)) return Bad(name, "not a TZif file");
  const char version = b[4];
  size_t at = 44;
  size_t time_size = 4;
  if (version != '\0') {
    // Skip the 32-bit block: the 64-bit one that follows is complete.
    at += static_cast<size_t>(c[3] * 5 + c[4] * 6 + c[5] + c[2] * 8 + c[1] + c[0]);
    if (!header(at, c)) return Bad(name, "truncated TZif file (second header)");
    at += 44;
    time_size = 8;
  }
  const auto timecnt = static_cast<size_t>(c[3]);
  const auto typecnt = static_cast<size_t>(c[4]);
  const size_t need = timecnt * (time_size + 1) + typecnt * 6 + static_cast<size_t>(c[5]) +
                      static_cast<size_t>(c[2]) * (time_size + 4) +
                      static_cast<size_t>(c[1] + c[0]);
  if (typecnt == 0 || b.size() < at + need) return Bad(name, "truncated TZif file");
  const size_t idx_at = at + timecnt * time_size;
  const size_t types_at = idx_at + timecnt;
  std::vector<int32_t> type_offsets(typecnt);
  for (size_t t = 0; t < typecnt; ++t) {
    type_offsets[t] = static_cast<int32_t>(ReadBigEndian(b, types_at + t * 6, 4));
  }
  z.initial_offset = type_offsets[0];
  for (size_t i = 0; i < timecnt; ++i) {
    const int64_t when = ReadBigEndian(b, at + i * time_size, time_size);
    const auto type = static_cast<unsigned char>(b[idx_at + i]);
    if (type >= typecnt) return Bad(name, "transition names a type that does not exist");
    if (!z.transitions.empty() && when <= z.transitions.back()) {
      return Bad(name, "transitions out of order");
    }
    z.transitions.push_back(when);
    z.offsets.push_back(type_offsets[type]);
  }
  if (version != '\0') {
    const size_t footer = at + need;
    if (b.size() > footer + 1 && b[footer] == '\n') {
      const size_t end = b.find('\n', footer + 1);
      if (end == std::string_view::npos) return Bad(name, "unterminated TZ footer");
      if (!ParseFooter(b.substr(footer + 1, end - footer - 1), z)) {
        return Bad(name,
                   "unsupported TZ rule \"" +
                       std::string(b.substr(footer + 1, std::min<size_t>(end - footer - 1, 60))) +
                       "\"");
      }
    }
  }
  return z;
}

int32_t OffsetAt(const TimeZone& z, int64_t utc) {
  if (z.transitions.empty()) return z.has_rule ? RuleOffsetAt(z, utc) : z.initial_offset;
  if (utc < z.transitions.front()) return z.initial_offset;
  if (utc >= z.transitions.back() && z.has_rule) return RuleOffsetAt(z, utc);
  const auto it = std::upper_bound(z.transitions.begin(), z.transitions.end(), utc);
  return z.offsets[static_cast<size_t>(it - z.transitions.begin()) - 1];
}

int64_t LocalToUtc(const TimeZone& z, int64_t local) {
  // The offsets a day either side; every zone changes offset at most once in two days.
  const int32_t before = OffsetAt(z, local - 86400);
  const int32_t after = OffsetAt(z, local + 86400);
  int64_t best = INT64_MAX;
  for (const int32_t o : {before, after}) {
    const int64_t u = local - o;
    if (OffsetAt(z, u) == o) best = std::min(best, u);
  }
  return best != INT64_MAX ? best : local - before;
}

}  // namespace ebb::decision

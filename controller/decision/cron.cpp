#include "controller/decision/cron.h"

#include <array>
#include <cctype>
#include <vector>

namespace ebb::decision {
namespace {

struct FieldDef {
  const char* name;
  int32_t lo;
  int32_t hi;
  const char* const* names;  // 3-letter names from lo, or null
};

const char* const kMonths[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                               "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
const char* const kWeekdays[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

Error Bad(const std::string& m) {
  return MakeError(ErrorCode::kInvalidConfig, m);
}

Result<int32_t> Number(std::string_view t, const FieldDef& f) {
  if (t.empty()) return Bad(std::string(f.name) + ": a value is missing");
  if (f.names != nullptr && std::isalpha(static_cast<unsigned char>(t[0]))) {
    const int32_t count = f.hi - f.lo + 1 - (f.lo == 0 ? 1 : 0);  // weekday 7 has no name
    for (int32_t i = 0; i < count; ++i) {
      std::string upper(t);
      for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      if (upper == f.names[i]) return f.lo + i;
    }
    return Bad(std::string(f.name) + ": unknown name \"" + std::string(t.substr(0, 12)) + "\"");
  }
  int64_t v = 0;
  for (char c : t) {
    if (!std::isdigit(static_cast<unsigned char>(c)) || v > 100000) {
      return Bad(std::string(f.name) + ": \"" + std::string(t.substr(0, 12)) +
                 "\" is not a number");
    }
    v = v * 10 + (c - '0');
  }
  if (v < f.lo || v > f.hi) {
    return Bad(std::string(f.name) + ": " + std::to_string(v) + " is out of range " +
               std::to_string(f.lo) + "-" + std::to_string(f.hi));
  }
  return static_cast<int32_t>(v);
}

// One field into a bit set; `star` says whether it was `*` (or `*/n`), for the day rule.
Result<uint64_t> Field(std::string_view text, const FieldDef& f, bool* star) {
  uint64_t bits = 0;
  *star = !text.empty() && text[0] == '*';
  size_t pos = 0;
  while (pos <= text.size()) {
    const size_t comma = text.find(',', pos);
    const std::string_view item =
        text.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    std::string_view range = item;
    int32_t step = 1;
    if (const size_t slash = item.find('/'); slash != std::string_view::npos) {
      range = item.substr(0, slash);
      const FieldDef step_def{f.name, 1, f.hi - f.lo + 1, nullptr};
      auto s = Number(item.substr(slash + 1), step_def);
      if (!s) return s.error();
      step = *s;
    }
    int32_t lo = f.lo;
    int32_t hi = f.hi;
    if (range != "*") {
      const size_t dash = range.find('-');
      auto a = Number(range.substr(0, dash), f);
      if (!a) return a.error();
      lo = *a;
      if (dash != std::string_view::npos) {
        auto b = Number(range.substr(dash + 1), f);
        if (!b) return b.error();
        hi = *b;
        if (hi < lo) {
          return Bad(std::string(f.name) + ": range " + std::string(range) + " runs backwards");
        }
      } else if (item.find('/') == std::string_view::npos) {
        hi = lo;  // "a"; "a/n" means a to the end, stepping by n
      }
    }
    for (int32_t v = lo; v <= hi; v += step) bits |= uint64_t{1} << v;
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return bits;
}

template <typename T>
int32_t HighestBitAtOrBelow(T bits, int32_t at) {
  for (int32_t b = at; b >= 0; --b)
    if ((static_cast<uint64_t>(bits) >> b) & 1U) return b;
  return -1;
}

}  // namespace

Result<CronExpr> ParseCron(std::string_view text) {
  std::string expanded(text);
  if (text == "@yearly" || text == "@annually") expanded = "0 0 1 1 *";
  if (text == "@monthly") expanded = "0 0 1 * *";
  if (text == "@weekly") expanded = "0 0 * * 0";
  if (text == "@daily" || text == "@midnight") expanded = "0 0 * * *";
  if (text == "@hourly") expanded = "0 * * * *";
  std::vector<std::string> fields;
  std::string cur;
  for (char c : expanded) {
    if (c == ' ' || c == '\t') {
      if (!cur.empty()) fields.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) fields.push_back(std::move(cur));
  if (fields.size() != 5) {
    return Bad(
        "must have 5 fields (minute hour day-of-month month day-of-week) or be a macro "
        "such as @daily (got " +
        std::to_string(fields.size()) + " fields)");
  }
  static const std::array<FieldDef, 5> kDefs = {{{"minute", 0, 59, nullptr},
                                                 {"hour", 0, 23, nullptr},
                                                 {"day-of-month", 1, 31, nullptr},
                                                 {"month", 1, 12, kMonths},
                                                 {"day-of-week", 0, 7, kWeekdays}}};
  CronExpr c;
  bool star = false;
  std::array<uint64_t, 5> bits{};
  for (size_t i = 0; i < 5; ++i) {
    auto b = Field(fields[i], kDefs[i], &star);
    if (!b) return b.error();
    bits[i] = *b;
    if (i == 2) c.days_star = star;
    if (i == 4) c.weekdays_star = star;
  }
  c.minutes = bits[0];
  c.hours = static_cast<uint32_t>(bits[1]);
  c.days = static_cast<uint32_t>(bits[2]);
  c.months = static_cast<uint16_t>(bits[3]);
  uint64_t wd = bits[4];
  if (wd & (uint64_t{1} << 7)) wd = (wd | 1U) & 0x7FU;  // 7 is Sunday
  c.weekdays = static_cast<uint8_t>(wd);
  return c;
}

std::optional<int64_t> LatestCronStart(const CronExpr& c, const TimeZone& zone, int64_t now_seconds,
                                       int64_t horizon_seconds) {
  const int64_t local_now = now_seconds + OffsetAt(zone, now_seconds);
  const int64_t today = local_now / 86400 - (local_now % 86400 < 0 ? 1 : 0);
  // A repeated hour can put a start's local time after local_now's: look one day ahead too.
  const int64_t last_day = (local_now - horizon_seconds) / 86400 - 2;
  for (int64_t day = today + 1; day >= last_day; --day) {
    int64_t y = 0;
    int32_t m = 0;
    int32_t d = 0;
    CivilFromDays(day, &y, &m, &d);
    if (!((c.months >> m) & 1U)) continue;
    const int32_t weekday = static_cast<int32_t>(((day % 7) + 7 + 4) % 7);
    const bool dom = (c.days >> d) & 1U;
    const bool dow = (c.weekdays >> weekday) & 1U;
    const bool day_ok = c.days_star || c.weekdays_star ? (dom && dow) : (dom || dow);
    if (!day_ok) continue;
    for (int32_t h = HighestBitAtOrBelow(c.hours, 23); h >= 0;
         h = HighestBitAtOrBelow(c.hours, h - 1)) {
      for (int32_t mi = HighestBitAtOrBelow(c.minutes, 59); mi >= 0;
           mi = HighestBitAtOrBelow(c.minutes, mi - 1)) {
        const int64_t local = day * 86400 + h * 3600 + mi * 60;
        if (local > local_now + 7200) continue;  // later than any DST shift can bring back
        const int64_t utc = LocalToUtc(zone, local);
        if (utc > now_seconds) continue;
        if (utc < now_seconds - horizon_seconds) return std::nullopt;
        return utc;
      }
    }
  }
  return std::nullopt;
}

}  // namespace ebb::decision

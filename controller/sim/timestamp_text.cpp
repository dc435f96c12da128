#include "controller/sim/timestamp_text.h"

#include <charconv>
#include <cmath>
#include <cstdint>

namespace ebb::sim {

std::optional<Timestamp> ParseTimestamp(std::string_view text) {
  if (text.size() >= 19 && text[4] == '-')
    return api::ParseRfc3339(text, /*missing_zone_is_utc=*/true);
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

}  // namespace ebb::sim

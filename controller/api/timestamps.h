// RFC 3339 times as Kubernetes writes them ("2026-11-23T08:00:00Z", optional fraction/offset).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "controller/base/time.h"

namespace ebb::api {

// A zone ("Z", "+01:00") is required unless `missing_zone_is_utc` (recordings: no zone = UTC).
std::optional<Timestamp> ParseRfc3339(std::string_view text, bool missing_zone_is_utc = false);
// "2026-11-23T08:00:00Z", or with milliseconds when they are not zero.
std::string FormatRfc3339(Timestamp t);
// The same text appended without a temporary string (millions of timeline rows).
void AppendRfc3339(std::string& out, Timestamp t);

}  // namespace ebb::api

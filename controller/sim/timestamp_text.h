// Timestamps as they appear in recordings and outputs: Unix seconds (fractions allowed) or
// RFC 3339, parsed without locale or iostreams because the CSV reader calls this once per row.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "controller/api/timestamps.h"
#include "controller/base/time.h"

namespace ebb::sim {

// "1700000000", "1700000000.25", "2023-11-16T18:17:03Z", "2023-11-16T18:17:03.5+01:00",
// "2023-11-16 18:17:03" (treated as UTC). nullopt when the text is neither.
std::optional<Timestamp> ParseTimestamp(std::string_view text);

// Output times are spec's: "2023-11-16T18:17:03Z", milliseconds only when not whole seconds;
// AppendRfc3339 without a temporary string (timeline rows).
using api::AppendRfc3339;
using api::FormatRfc3339;

}  // namespace ebb::sim

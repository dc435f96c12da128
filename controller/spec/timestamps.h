// RFC 3339 times as Kubernetes writes them ("2026-11-23T08:00:00Z", optional fraction/offset).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "controller/base/time.h"

namespace ebb::spec {

std::optional<Timestamp> ParseRfc3339(std::string_view text);
// "2026-11-23T08:00:00Z", or with milliseconds when they are not zero.
std::string FormatRfc3339(Timestamp t);

}  // namespace ebb::spec

// Text that came from outside (HTTP bodies, Redis error replies, Kubernetes Status messages,
// object and queue names) is untrusted: it may be invalid UTF-8, hold control characters or be
// megabytes long. nlohmann::json::dump throws on invalid UTF-8 and a log line or a status field
// has no business carrying a whole HTML page, so every such text passes through SafeText before
// it reaches JSON, a log, a status field or an Event.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ebb {

// How much of an outside text a message quotes by default.
inline constexpr std::size_t kQuoteBytes = 200;

// Valid UTF-8 of at most max_bytes bytes (plus a trailing "..." when cut): invalid sequences
// become U+FFFD, control characters other than tab become a space, and a cut never splits a
// character. Never throws.
std::string SafeText(std::string_view text, std::size_t max_bytes = kQuoteBytes);

// True when text is valid UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool IsValidUtf8(std::string_view text);

}  // namespace ebb

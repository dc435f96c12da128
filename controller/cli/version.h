#pragma once

namespace ebb::cli {
inline constexpr const char* kVersion = "0.1.0";
}  // namespace ebb::cli

// JSON lines on stdout through spdlog: {"ts","level","logger","msg"} with the message escaped
// (spdlog's pattern does not escape %v). The level comes from EBB_LOG_LEVEL (trace..off).
#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string>

namespace ebb::metrics {

// Creates (once) and returns the "controller" logger; level: `level` if non-empty, else
// $EBB_LOG_LEVEL, else info.
std::shared_ptr<spdlog::logger> SetupJsonLogging(const std::string& level = "");

}  // namespace ebb::metrics

// The controller's log lines through spdlog, on stdout, one line per record, in one of two
// formats:
//   json: {"ts":"...","level":"info","logger":"controller","msg":"...","namespace":"shop",...}
//   text: ts=... level=info logger=controller msg="..." namespace=shop ...   (logfmt)
// Structured fields come from LogFields scopes on the logging thread: every line logged while a
// scope lives carries its fields, after msg, in the order they were set.
#pragma once

#include <spdlog/spdlog.h>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>

#include "controller/base/result.h"

namespace ebb::metrics {

enum class LogFormat { kJson, kText };

struct LogOptions {
  spdlog::level::level_enum level = spdlog::level::info;
  LogFormat format = LogFormat::kJson;
};

// Both case-insensitive. `level`: trace, debug, info, warn (warning), error (err), critical, off;
// `format`: json, text. Empty: $EBB_LOG_LEVEL / $EBB_LOG_FORMAT, else info / json. An unknown
// value is an error naming it and the settings it came from.
Result<LogOptions> ParseLogOptions(const std::string& level, const std::string& format);

// A logger named `name` writing to `sink` in the given format (not registered with spdlog).
std::shared_ptr<spdlog::logger> MakeLogger(const std::string& name, spdlog::sink_ptr sink,
                                           const LogOptions& options);

// The "controller" logger on stdout, created once and made spdlog's default; a later call
// reconfigures it. Arguments as ParseLogOptions.
Result<std::shared_ptr<spdlog::logger>> SetupLogging(const std::string& level = "",
                                                     const std::string& format = "");

// Deprecated: SetupLogging reports an unknown level; this falls back to info and JSON.
std::shared_ptr<spdlog::logger> SetupJsonLogging(const std::string& level = "");

// One structured field. Numbers and booleans are JSON numbers/booleans; strings pass through
// SafeText (they may come from outside).
struct LogField {
  LogField(std::string k, std::string v) : key(std::move(k)), value(std::move(v)) {}
  LogField(std::string k, const char* v) : key(std::move(k)), value(v) {}
  LogField(std::string k, int64_t v) : key(std::move(k)), value(std::to_string(v)), raw(true) {}
  LogField(std::string k, int32_t v) : LogField(std::move(k), static_cast<int64_t>(v)) {}
  LogField(std::string k, bool v) : key(std::move(k)), value(v ? "true" : "false"), raw(true) {}
  std::string key;
  std::string value;
  bool raw = false;  // a JSON literal, written unquoted
};

// Fields for every line this thread logs while the scope lives (nested scopes add to the outer
// ones; a key set again is written once, with the inner value). Keys ts, level, logger and msg
// belong to the line itself: using one is a programmer error (std::invalid_argument).
class LogFields {
 public:
  LogFields(std::initializer_list<LogField> fields);
  ~LogFields();
  LogFields(const LogFields&) = delete;
  LogFields& operator=(const LogFields&) = delete;

 private:
  std::size_t previous_size_;
};

}  // namespace ebb::metrics

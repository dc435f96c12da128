#include "metrics/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <vector>

#include "controller/base/text.h"

namespace ebb::metrics {
namespace {

// The fields of the LogFields scopes alive on this thread, outermost first. spdlog's loggers
// here are synchronous: a line is formatted on the thread that logs it.
thread_local std::vector<LogField> t_fields;

constexpr std::size_t kFieldBytes = 1024;

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string JsonString(std::string_view s) {
  return nlohmann::json(std::string(s))
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// logfmt: bare when it needs no quoting, else quoted with \" \\ \n \t escaped.
std::string LogfmtValue(std::string_view s) {
  const bool bare = !s.empty() && std::none_of(s.begin(), s.end(), [](char c) {
    return c == ' ' || c == '=' || c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20;
  });
  if (bare) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += static_cast<unsigned char>(c) < 0x20 ? ' ' : c;
    }
  }
  return out + "\"";
}

// The active fields, each key once (the innermost scope's value), in first-set order.
std::vector<const LogField*> ActiveFields() {
  std::vector<const LogField*> out;
  for (const LogField& f : t_fields) {
    auto same =
        std::find_if(out.begin(), out.end(), [&](const LogField* o) { return o->key == f.key; });
    if (same != out.end())
      *same = &f;
    else
      out.push_back(&f);
  }
  return out;
}

// %* : the message and the fields, in the line's format.
class MessageAndFields final : public spdlog::custom_flag_formatter {
 public:
  explicit MessageAndFields(LogFormat format) : format_(format) {}
  void format(const spdlog::details::log_msg& m, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const std::string_view msg(m.payload.data(), m.payload.size());
    std::string s;
    if (format_ == LogFormat::kJson) {
      s = JsonString(msg);
      for (const LogField* f : ActiveFields())
        s += "," + JsonString(f->key) + ":" +
             (f->raw ? f->value : JsonString(SafeText(f->value, kFieldBytes)));
    } else {
      s = LogfmtValue(SafeText(msg, msg.size() + 3));
      for (const LogField* f : ActiveFields())
        s += " " + f->key + "=" + LogfmtValue(f->raw ? f->value : SafeText(f->value, kFieldBytes));
    }
    dest.append(s.data(), s.data() + s.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<MessageAndFields>(format_);
  }

 private:
  LogFormat format_;
};

std::unique_ptr<spdlog::formatter> Formatter(LogFormat format) {
  auto f = std::make_unique<spdlog::pattern_formatter>();
  f->add_flag<MessageAndFields>('*', format);
  if (format == LogFormat::kJson)
    f->set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%e%z","level":"%l","logger":"%n","msg":%*})");
  else
    f->set_pattern("ts=%Y-%m-%dT%H:%M:%S.%e%z level=%l logger=%n msg=%*");
  return f;
}

void Configure(spdlog::logger& logger, const LogOptions& o) {
  logger.set_formatter(Formatter(o.format));
  logger.set_level(o.level);
  logger.flush_on(spdlog::level::info);
}

}  // namespace

Result<LogOptions> ParseLogOptions(const std::string& level, const std::string& format) {
  LogOptions o;
  std::string problems;
  const char* env_level = std::getenv("EBB_LOG_LEVEL");
  const std::string lvl = Lower(level.empty() && env_level ? env_level : level);
  if (lvl == "trace") {
    o.level = spdlog::level::trace;
  } else if (lvl == "debug") {
    o.level = spdlog::level::debug;
  } else if (lvl == "info" || lvl.empty()) {
    o.level = spdlog::level::info;
  } else if (lvl == "warn" || lvl == "warning") {
    o.level = spdlog::level::warn;
  } else if (lvl == "error" || lvl == "err") {
    o.level = spdlog::level::err;
  } else if (lvl == "critical") {
    o.level = spdlog::level::critical;
  } else if (lvl == "off") {
    o.level = spdlog::level::off;
  } else {
    problems += "--log-level/EBB_LOG_LEVEL: unknown level " +
                JsonString(SafeText(level.empty() && env_level ? env_level : level)) +
                " (trace, debug, info, warn, error, critical or off)";
  }
  const char* env_format = std::getenv("EBB_LOG_FORMAT");
  const std::string fmt = Lower(format.empty() && env_format ? env_format : format);
  if (fmt == "json" || fmt.empty()) {
    o.format = LogFormat::kJson;
  } else if (fmt == "text") {
    o.format = LogFormat::kText;
  } else {
    if (!problems.empty()) problems += "\n";
    problems += "--log-format/EBB_LOG_FORMAT: unknown format " +
                JsonString(SafeText(format.empty() && env_format ? env_format : format)) +
                " (json or text)";
  }
  if (!problems.empty()) return MakeError(ErrorCode::kInvalidConfig, problems);
  return o;
}

std::shared_ptr<spdlog::logger> MakeLogger(const std::string& name, spdlog::sink_ptr sink,
                                           const LogOptions& options) {
  auto logger = std::make_shared<spdlog::logger>(name, std::move(sink));
  Configure(*logger, options);
  return logger;
}

Result<std::shared_ptr<spdlog::logger>> SetupLogging(const std::string& level,
                                                     const std::string& format) {
  auto options = ParseLogOptions(level, format);
  if (!options) return options.error();
  auto logger = spdlog::get("controller");
  if (!logger) logger = spdlog::stdout_logger_mt("controller");
  Configure(*logger, *options);
  spdlog::set_default_logger(logger);
  return logger;
}

std::shared_ptr<spdlog::logger> SetupJsonLogging(const std::string& level) {
  auto logger = SetupLogging(level, "json");
  if (logger) return *logger;
  return *SetupLogging("info", "json");
}

LogFields::LogFields(std::initializer_list<LogField> fields) : previous_size_(t_fields.size()) {
  for (const LogField& f : fields) {
    if (f.key == "ts" || f.key == "level" || f.key == "logger" || f.key == "msg")
      throw std::invalid_argument("log field \"" + f.key + "\" is the line's own");
  }
  t_fields.insert(t_fields.end(), fields.begin(), fields.end());
}

LogFields::~LogFields() {
  t_fields.erase(t_fields.begin() + static_cast<std::ptrdiff_t>(previous_size_), t_fields.end());
}

}  // namespace ebb::metrics

#include "metrics/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

namespace ebb::metrics {
namespace {

class JsonMessageFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& m, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const auto s = nlohmann::json(std::string(m.payload.data(), m.payload.size()))
                       .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    dest.append(s.data(), s.data() + s.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonMessageFlag>();
  }
};

}  // namespace

std::shared_ptr<spdlog::logger> SetupJsonLogging(const std::string& level) {
  if (auto existing = spdlog::get("controller")) return existing;
  auto logger = spdlog::stdout_logger_mt("controller");
  auto f = std::make_unique<spdlog::pattern_formatter>();
  f->add_flag<JsonMessageFlag>('*').set_pattern(
      R"({"ts":"%Y-%m-%dT%H:%M:%S.%e%z","level":"%l","logger":"%n","msg":%*})");
  logger->set_formatter(std::move(f));
  std::string lvl = level;
  if (lvl.empty()) {
    const char* env = std::getenv("EBB_LOG_LEVEL");
    lvl = env ? env : "info";
  }
  logger->set_level(spdlog::level::from_str(lvl));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
  return logger;
}

}  // namespace ebb::metrics

// Log levels and formats as the operator sets them, and structured fields as the lines carry them.
#include "metrics/logging.h"

#include <spdlog/sinks/ostream_sink.h>
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

namespace ebb::metrics {
namespace {

struct Captured {
  std::ostringstream out;
  std::shared_ptr<spdlog::logger> log;
  explicit Captured(LogFormat format, spdlog::level::level_enum level = spdlog::level::info) {
    log = MakeLogger("test", std::make_shared<spdlog::sinks::ostream_sink_st>(out),
                     LogOptions{level, format});
  }
  std::string Line() {
    std::string s = out.str();
    out.str("");
    if (!s.empty() && s.back() == '\n') s.pop_back();
    return s;
  }
};

// Unsets an environment variable for the scope (the tests must not inherit the runner's).
struct NoEnv {
  std::string name;
  explicit NoEnv(std::string n) : name(std::move(n)) { unsetenv(name.c_str()); }
  ~NoEnv() { unsetenv(name.c_str()); }
};

}  // namespace

TEST_CASE("log level: any case, the usual aliases, an unknown one is an error naming it",
          "[metrics][logging]") {
  NoEnv a("EBB_LOG_LEVEL"), b("EBB_LOG_FORMAT");
  const std::pair<const char*, spdlog::level::level_enum> rows[] = {
      {"INFO", spdlog::level::info},    {"Debug", spdlog::level::debug},
      {"warning", spdlog::level::warn}, {"WARN", spdlog::level::warn},
      {"err", spdlog::level::err},      {"Error", spdlog::level::err},
      {"TRACE", spdlog::level::trace},  {"critical", spdlog::level::critical},
      {"off", spdlog::level::off},      {"", spdlog::level::info}};
  for (const auto& [text, level] : rows) {
    INFO(text);
    auto o = ParseLogOptions(text, "");
    REQUIRE(o);
    CHECK(o->level == level);
    CHECK(o->format == LogFormat::kJson);
  }
  auto bad = ParseLogOptions("verbose", "");
  REQUIRE(!bad);
  CHECK_THAT(bad.error().message, Catch::Contains("EBB_LOG_LEVEL") &&
                                      Catch::Contains("\"verbose\"") &&
                                      Catch::Contains("trace, debug, info"));
  // From the environment, when no flag is given; named the same way.
  setenv("EBB_LOG_LEVEL", "DEBUG", 1);
  CHECK(ParseLogOptions("", "")->level == spdlog::level::debug);
  CHECK(ParseLogOptions("error", "")->level == spdlog::level::err);  // the flag wins
  setenv("EBB_LOG_LEVEL", "loud", 1);
  auto env_bad = ParseLogOptions("", "");
  REQUIRE(!env_bad);
  CHECK_THAT(env_bad.error().message, Catch::Contains("\"loud\""));
}

TEST_CASE("log format: json or text in any case, an unknown one is an error naming it",
          "[metrics][logging]") {
  NoEnv a("EBB_LOG_LEVEL"), b("EBB_LOG_FORMAT");
  CHECK(ParseLogOptions("", "TEXT")->format == LogFormat::kText);
  CHECK(ParseLogOptions("", "Json")->format == LogFormat::kJson);
  setenv("EBB_LOG_FORMAT", "text", 1);
  CHECK(ParseLogOptions("", "")->format == LogFormat::kText);
  auto bad = ParseLogOptions("loud", "yaml");
  REQUIRE(!bad);  // both problems at once
  CHECK_THAT(bad.error().message, Catch::Contains("EBB_LOG_FORMAT") &&
                                      Catch::Contains("\"yaml\"") && Catch::Contains("\"loud\""));
}

TEST_CASE("json lines carry the scope's fields after msg, numbers as numbers",
          "[metrics][logging]") {
  Captured c(LogFormat::kJson);
  c.log->info("before");
  const auto plain = nlohmann::json::parse(c.Line());
  CHECK(plain["msg"] == "before");
  CHECK(plain["level"] == "info");
  CHECK(plain["logger"] == "test");
  CHECK(!plain.contains("namespace"));
  {
    const LogFields reconcile({{"namespace", "shop"}, {"autoscaler", "web"}});
    c.log->warn("autoscaler {}: read failed", "shop/web");
    auto j = nlohmann::json::parse(c.Line());
    CHECK(j["namespace"] == "shop");
    CHECK(j["autoscaler"] == "web");
    CHECK(j["msg"] == "autoscaler shop/web: read failed");
    CHECK(j["level"] == "warning");
    {
      const LogFields rescale({{"from", 2},
                               {"to", 5},
                               {"reason", "TooFewReplicas"},
                               {"dry_run", true},
                               {"autoscaler", "inner"}});
      c.log->info("rescaled");
      j = nlohmann::json::parse(c.Line());
      CHECK(j["from"] == 2);
      CHECK(j["to"] == 5);
      CHECK(j["dry_run"] == true);
      CHECK(j["reason"] == "TooFewReplicas");
      CHECK(j["autoscaler"] == "inner");  // the inner scope's value, once
    }
    c.log->info("after");
    j = nlohmann::json::parse(c.Line());
    CHECK(!j.contains("from"));
    CHECK(j["autoscaler"] == "web");
  }
  c.log->info("outside");
  CHECK(!nlohmann::json::parse(c.Line()).contains("autoscaler"));
}

TEST_CASE("text lines are logfmt: quoted only when needed, outside text made safe",
          "[metrics][logging]") {
  Captured c(LogFormat::kText);
  const LogFields f({{"namespace", "shop"},
                     {"reason", "a \"quoted\" = thing"},
                     {"from", 3},
                     {"metric", std::string("bad\xff\nbytes")}});
  c.log->info("rescaled web");
  const std::string line = c.Line();
  INFO(line);
  CHECK(line.rfind("ts=", 0) == 0);
  CHECK(line.find(" level=info logger=test msg=\"rescaled web\" namespace=shop "
                  "reason=\"a \\\"quoted\\\" = thing\" from=3 metric=\"bad\xef\xbf\xbd bytes\"") !=
        std::string::npos);
  CHECK(line.find('\n') == std::string::npos);
}

TEST_CASE("fields belong to the thread that set them", "[metrics][logging]") {
  Captured c(LogFormat::kJson);
  const LogFields mine({{"autoscaler", "web"}});
  std::string other;
  std::thread([&] {
    c.log->info("from another worker");
    other = c.Line();
  }).join();
  CHECK(!nlohmann::json::parse(other).contains("autoscaler"));
}

TEST_CASE("a field may not take a key the line itself uses", "[metrics][logging]") {
  CHECK_THROWS_AS(LogFields({{"msg", "x"}}), std::invalid_argument);
  CHECK_THROWS_AS(LogFields({{"level", "x"}}), std::invalid_argument);
}

TEST_CASE("the level filters: debug lines only at debug", "[metrics][logging]") {
  Captured info(LogFormat::kJson, spdlog::level::info);
  info.log->debug("decided");
  CHECK(info.Line().empty());
  Captured debug(LogFormat::kJson, spdlog::level::debug);
  debug.log->debug("decided");
  CHECK(nlohmann::json::parse(debug.Line())["level"] == "debug");
}

}  // namespace ebb::metrics

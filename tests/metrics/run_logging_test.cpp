// `ebb run` itself: the log level and format it is given, as an operator sets them.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "tests/support/local.h"

namespace {

// A kubeconfig whose server does not answer: `ebb run` starts, logs, and is stopped by SIGINT.
std::string DeadKubeconfig() {
  const auto path = std::filesystem::temp_directory_path() / "ebb-metrics-dead.kubeconfig";
  std::ofstream(path) << "apiVersion: v1\nkind: Config\ncurrent-context: x\n"
                         "clusters: [{name: x, cluster: {server: 'http://127.0.0.1:"
                      << ebb::testing::FreePort()
                      << "'}}]\ncontexts: [{name: x, context: {cluster: x, user: x}}]\n"
                         "users: [{name: x, user: {token: t}}]\n";
  return path.string();
}

// Runs `ebb run` for 8 s (an ASan build under load needs seconds to reach its signal wait);
// returns stdout+stderr and the exit code.
std::string Run(const std::string& env, const std::string& args, int* rc) {
  const std::string out = ebb::testing::Shell(
      env + " timeout --preserve-status -s INT 8 " EBB_BINARY " run --kubeconfig " +
      DeadKubeconfig() + " --leader-elect=false --metrics-bind-address 127.0.0.1:" +
      std::to_string(ebb::testing::FreePort()) + " " + args + " 2>&1; echo \"rc=$?\"");
  const auto at = out.rfind("rc=");
  *rc = std::stoi(out.substr(at + 3));
  return out.substr(0, at);
}

}  // namespace

TEST_CASE("ebb run: EBB_LOG_LEVEL=INFO logs at info (any case)", "[metrics][logging]") {
  int rc = -1;
  const std::string out = Run("EBB_LOG_LEVEL=INFO", "", &rc);
  INFO(out);
  CHECK(rc == 0);  // stopped by SIGINT, cleanly
  CHECK(out.find("\"level\":\"info\"") != std::string::npos);
  CHECK(out.find("starting") != std::string::npos);
}

TEST_CASE("ebb run: an unknown log level is an error at start-up naming it", "[metrics][logging]") {
  int rc = -1;
  std::string out = Run("EBB_LOG_LEVEL=verbose", "", &rc);
  INFO(out);
  CHECK(rc == 2);
  CHECK(out.find("\"verbose\"") != std::string::npos);
  CHECK(out.find("EBB_LOG_LEVEL") != std::string::npos);
  out = Run("", "--log-level=LOUD", &rc);
  CHECK(rc == 2);
  CHECK(out.find("\"LOUD\"") != std::string::npos);
}

TEST_CASE("ebb run: --log-format text writes logfmt lines", "[metrics][logging]") {
  int rc = -1;
  const std::string out = Run("", "--log-format=TEXT --log-level=Debug", &rc);
  INFO(out);
  CHECK(rc == 0);
  CHECK(out.find("level=info logger=controller msg=\"ebb controller ") != std::string::npos);
  CHECK(out.find("{\"ts\"") == std::string::npos);
}

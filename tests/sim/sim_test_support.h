// Small builders shared by the simulation tests.
#pragma once

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "controller/decision/types.h"
#include "controller/sim/simulate_command.h"
#include "tests/support/builders.h"

namespace ebb::sim::testing {

// The metric builders every test area shares (an External AverageValue queue metric, cpu
// Utilization), under this namespace's name too.
using ebb::testing::CpuUtilization;
using ebb::testing::QueueMetric;

inline decision::Spec SpecWith(decision::MetricSpec m, int32_t min, int32_t max) {
  decision::Spec s;
  s.min_replicas = min;
  s.max_replicas = max;
  s.metrics.push_back(std::move(m));
  return s;
}

// A fresh directory under the system temp dir, removed with the object.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("ebb-sim-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string File(const std::string& name, const std::string& content = "") const {
    const auto p = path_ / name;
    if (!content.empty()) std::ofstream(p, std::ios::binary) << content;
    return p.string();
  }

 private:
  std::filesystem::path path_;
};

// One `ebb simulate` run in process: its exit code and what it printed.
struct Run {
  int code = 0;
  std::string out;
  std::string err;
};

inline Run Simulate(std::vector<std::string> args) {
  std::ostringstream out, err;
  Run r;
  r.code = SimulateMain(args, out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline std::string SourceDir() {
  return EBB_SOURCE_DIR;
}

}  // namespace ebb::sim::testing

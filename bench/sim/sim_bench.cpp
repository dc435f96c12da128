// Replay throughput: 30 days and 1 year of 15 s ticks for one autoscaler, CSV parsing included,
// and peak RSS to show memory follows the windows, not the recording's length.
//   bench_sim [--days N ...]
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "controller/sim/csv_recording.h"
#include "controller/sim/simulator.h"
#include "controller/sim/summary.h"

namespace {

using ebb::sim::ModelConfig;
using ebb::sim::ModelType;

ebb::decision::Spec WorkerSpec() {
  ebb::decision::Spec s;
  s.min_replicas = 1;
  s.max_replicas = 50;
  ebb::decision::MetricSpec m;
  m.name = "backlog";
  m.type = ebb::decision::SourceType::kExternal;
  m.metric_name = "backlog";
  m.target.type = ebb::decision::TargetType::kAverageValue;
  m.target.average_value_milli = 5000;
  s.metrics.push_back(m);
  ebb::decision::Behavior b;
  b.scale_up.stabilization_window_seconds = 60;
  b.scale_up.policies = {{ebb::decision::PolicyType::kPercent, 100, 15}};
  b.scale_down.stabilization_window_seconds = 300;
  b.scale_down.policies = {{ebb::decision::PolicyType::kPercent, 10, 60}};
  s.behavior = b;
  return s;
}

// A diurnal load with bursts, one sample per 15 s.
std::string WriteRecording(const std::filesystem::path& path, int days) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  std::fputs("timestamp,metric,value\n", f);
  const int64_t start = 1'700'000'000;
  const int64_t n = int64_t{days} * 86400 / 15;
  uint32_t rng = 12345;
  for (int64_t i = 0; i < n; ++i) {
    rng = rng * 1664525u + 1013904223u;
    const double hour = static_cast<double>((i * 15) % 86400) / 3600.0;
    const double base = 20 + 60 * (hour > 7 && hour < 19 ? 1.0 : 0.1);
    const double value = base + static_cast<double>(rng >> 24) * (rng % 97 == 0 ? 2.0 : 0.1);
    std::fprintf(f, "%lld,backlog,%.2f\n", static_cast<long long>(start + i * 15), value);
  }
  std::fclose(f);
  return path.string();
}

long PeakRssKb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

void Run(const std::filesystem::path& dir, int days, ModelType model, const char* label) {
  const auto path = WriteRecording(dir / ("rec-" + std::to_string(days) + ".csv"), days);
  const auto bytes = std::filesystem::file_size(path);
  ebb::sim::SimulationInput input;
  input.autoscaler = "bench";
  input.spec = WorkerSpec();
  ModelConfig m;
  m.type = model;
  m.service_rate = 2;
  input.models = {m};
  input.initial_replicas = 4;
  double best = 1e9;
  int64_t ticks = 0;
  for (int rep = 0; rep < 3; ++rep) {
    auto src = ebb::sim::CsvRecording::Open(path);
    if (!src) {
      std::fprintf(stderr, "%s\n", src.error().message.c_str());
      return;
    }
    ebb::sim::SummaryBuilder summary(input);
    ebb::sim::TickObserver* obs[] = {&summary};
    const auto t0 = std::chrono::steady_clock::now();
    auto info = ebb::sim::RunSimulation(input, **src, obs);
    const auto t1 = std::chrono::steady_clock::now();
    if (!info) {
      std::fprintf(stderr, "%s\n", info.error().message.c_str());
      return;
    }
    const auto s = summary.Finish(*info);
    ticks = info->ticks;
    best = std::min(best, std::chrono::duration<double, std::milli>(t1 - t0).count());
    if (rep == 0 && s.replica_hours <= 0) std::fprintf(stderr, "no replicas?\n");
  }
  std::printf("%-7s %-6s %9lld ticks  %7.1f MB csv  %8.1f ms  %6.0f ns/tick  peak RSS %ld MB\n",
              label, ebb::sim::ToString(model), static_cast<long long>(ticks),
              static_cast<double>(bytes) / 1e6, best, best * 1e6 / static_cast<double>(ticks),
              PeakRssKb() / 1024);
  std::filesystem::remove(path);
}

}  // namespace

// CSV parsing alone, to show how the replay time splits.
void ParseOnly(const std::filesystem::path& dir, int days) {
  const auto path = WriteRecording(dir / "parse.csv", days);
  double best = 1e9;
  int64_t n = 0;
  for (int rep = 0; rep < 3; ++rep) {
    auto src = ebb::sim::CsvRecording::Open(path);
    if (!src) return;
    ebb::sim::RawSample s;
    n = 0;
    double sum = 0;
    const auto t0 = std::chrono::steady_clock::now();
    while (*(*src)->Next(s)) {
      ++n;
      sum += s.value;
    }
    const auto t1 = std::chrono::steady_clock::now();
    if (sum < 0) std::printf("?");
    best = std::min(best, std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  std::printf("parse   csv    %9lld rows   %7.1f MB csv  %8.1f ms  %6.0f ns/row\n",
              static_cast<long long>(n),
              static_cast<double>(std::filesystem::file_size(path)) / 1e6, best,
              best * 1e6 / static_cast<double>(n));
  std::filesystem::remove(path);
}

int main() {
  const auto dir =
      std::filesystem::temp_directory_path() / ("ebb-bench-sim-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::printf("replay of one autoscaler, 15 s ticks, CSV parsing included (best of 3)\n");
  ParseOnly(dir, 365);
  Run(dir, 1, ModelType::kReplay, "1 day");
  Run(dir, 30, ModelType::kReplay, "30 days");
  Run(dir, 365, ModelType::kReplay, "1 year");
  Run(dir, 30, ModelType::kQueue, "30 days");
  Run(dir, 365, ModelType::kQueue, "1 year");
  std::filesystem::remove_all(dir);
  return 0;
}

// Pool-model throughput (queueModel: pool), in tasks simulated per second of wall time:
//   1. PoolQueue alone, tasks drawn as it goes (lognormal 0.25 s, cv 1: the nasa workload's
//      service time; and exponential), on 3 days of a per-second arrival rate with a daily
//      cycle, mean 120 tasks/s (~31 million tasks, the size of bench/sim/workloads/nasa), with
//      slots set every 15 s to ~85 % utilisation so a queue forms;
//   2. the same tasks drawn ahead and replayed (what ebb tune's candidate runs do);
//   3. a whole simulation (RunSimulation: recording, decision core, summary, no ideal) of the
//      nasa workload's Autoscaler on a recording: the one given, else the synthetic load above
//      as per-second counts.
//   bench_pool [RECORDING.csv]   (e.g. workloads-data/nasa.csv from bench/sim/workloads/derive.sh)
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <numbers>
#include <string>
#include <vector>

#include "controller/sim/csv_recording.h"
#include "controller/sim/pool_queue.h"
#include "controller/sim/simulator.h"
#include "controller/sim/summary.h"

namespace {

using Clock = std::chrono::steady_clock;

// This thread's CPU seconds: on a shared machine the wall time measures the other users too.
double CpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}
using ebb::sim::PoolQueue;
using ebb::sim::ServiceDistribution;
using ebb::sim::ServiceTime;

constexpr int kDays = 3;
constexpr int kConcurrency = 4;
constexpr double kMeanService = 0.25;

double Elapsed(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// Tasks per second at second t: a daily cycle around 120/s with a short burst every 2 hours.
double Rate(int64_t t) {
  const double day = static_cast<double>(t % 86400) / 86400.0;
  const double burst = (t % 7200) < 60 ? 3.0 : 1.0;
  return 120.0 * (1.0 + 0.7 * std::sin(2 * std::numbers::pi * day)) * burst;
}

ServiceTime Service(ServiceDistribution d) {
  ServiceTime s;
  s.distribution = d;
  s.mean_seconds = kMeanService;
  s.cv = 1;
  return s;
}

struct PoolRun {
  double seconds = 0;  // CPU
  double wall = 0;
  double tasks = 0;
  double p99 = 0;
};

// 15 s ticks of 1 s segments, slots for ~85 % utilisation of the tick's mean rate.
PoolRun RunPool(PoolQueue& q) {
  ebb::sim::Histogram waits;
  q.set_sink(&waits);
  const auto t0 = Clock::now();
  const double c0 = CpuSeconds();
  const int64_t end = int64_t{kDays} * 86400;
  for (int64_t tick = 0; tick < end; tick += 15) {
    double mean = 0;
    for (int64_t s = tick; s < tick + 15; ++s) mean += Rate(s) / 15;
    const auto slots =
        static_cast<int64_t>(kConcurrency * std::ceil(mean * kMeanService / 0.85 / kConcurrency));
    for (int64_t s = tick; s < tick + 15; ++s) {
      q.Advance(static_cast<double>(s), static_cast<double>(s + 1), Rate(s), slots);
    }
  }
  const auto t1 = Clock::now();
  return {CpuSeconds() - c0, Elapsed(t0, t1), q.arrived(), waits.Quantile(0.99)};
}

void Print(const char* what, const PoolRun& r) {
  std::printf(
      "%-44s %6.1f M tasks  %6.2f s CPU (%6.2f wall)  %5.2f M tasks/s  %4.0f ns/task  p99 wait "
      "%.3f s\n",
      what, r.tasks / 1e6, r.seconds, r.wall, r.tasks / r.seconds / 1e6, r.seconds * 1e9 / r.tasks,
      r.p99);
}

std::string WriteRecording(const std::filesystem::path& path) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  std::fputs("timestamp,metric,value\n", f);
  uint64_t rng = 88172645463325252ULL;
  for (int64_t t = 0; t < int64_t{kDays} * 86400; ++t) {
    // Counts around the rate (uniform +-50 %), enough to exercise the model.
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    const double u = static_cast<double>(rng >> 11) * 0x1.0p-53;
    std::fprintf(f, "%lld,backlog,%lld\n", static_cast<long long>(805521600 + t),
                 std::llround(Rate(t) * (0.5 + u)));
  }
  std::fclose(f);
  return path.string();
}

// The Autoscaler and Simulation of bench/sim/workloads/nasa.yaml.
ebb::sim::SimulationInput NasaInput() {
  ebb::sim::SimulationInput in;
  in.autoscaler = "nasa";
  auto& s = in.spec;
  s.min_replicas = 1;
  s.max_replicas = 80;
  s.polling_interval_seconds = 15;
  ebb::decision::MetricSpec m;
  m.name = "backlog";
  m.type = ebb::decision::SourceType::kExternal;
  m.metric_name = "backlog";
  m.target.type = ebb::decision::TargetType::kAverageValue;
  m.target.average_value_milli = 160'000;
  s.metrics.push_back(m);
  ebb::decision::Behavior b;
  b.scale_up.stabilization_window_seconds = 60;
  b.scale_up.policies = {{ebb::decision::PolicyType::kPercent, 100, 15}};
  b.scale_down.stabilization_window_seconds = 300;
  b.scale_down.policies = {{ebb::decision::PolicyType::kPercent, 10, 60}};
  s.behavior = b;
  ebb::sim::ModelConfig model;
  model.type = ebb::sim::ModelType::kQueue;
  model.queue_kind = ebb::sim::QueueKind::kPool;
  model.interval_seconds = 1;
  model.concurrency = kConcurrency;
  model.service_time = Service(ServiceDistribution::kLognormal);
  in.models = {model};
  in.initial_replicas = 1;
  in.startup_delay = ebb::Seconds(45);
  in.seed = 1;
  in.slo = ebb::sim::Slo{10, 99};
  return in;
}

void RunWhole(const std::string& path, const char* label) {
  const auto in = NasaInput();
  double best = 1e18;
  double wall = 0;
  ebb::sim::Summary s;
  for (int rep = 0; rep < 2; ++rep) {
    auto src = ebb::sim::CsvRecording::Open(path);
    if (!src) {
      std::fprintf(stderr, "%s\n", src.error().message.c_str());
      return;
    }
    ebb::sim::SummaryBuilder summary(in);
    ebb::sim::TickObserver* obs[] = {&summary};
    const auto t0 = Clock::now();
    const double c0 = CpuSeconds();
    auto info = ebb::sim::RunSimulation(in, **src, obs);
    if (!info) {
      std::fprintf(stderr, "%s\n", info.error().message.c_str());
      return;
    }
    s = summary.Finish(*info);
    if (CpuSeconds() - c0 < best) {
      best = CpuSeconds() - c0;
      wall = Elapsed(t0, Clock::now());
    }
  }
  const double tasks = s.queues.empty() ? 0 : s.queues[0].arrived;
  std::printf(
      "%-44s %6.1f M tasks  %6.2f s CPU (%6.2f wall)  %5.2f M tasks/s  %4.0f ns/task  p99 wait "
      "%.3f s, %.1f replica-hours\n",
      label, tasks / 1e6, best, wall, tasks / best / 1e6, best * 1e9 / tasks, s.slo_wait,
      s.replica_hours);
}

}  // namespace

int main(int argc, char** argv) {
  std::printf("pool model, %d days of a per-second rate, best of 2 (CPU time of the thread)\n",
              kDays);
  double best_ln = 1e18;
  PoolRun ln;
  for (int rep = 0; rep < 2; ++rep) {
    PoolQueue q(Service(ServiceDistribution::kLognormal), 1);
    const PoolRun r = RunPool(q);
    if (r.seconds < best_ln) {
      best_ln = r.seconds;
      ln = r;
    }
  }
  Print("PoolQueue, lognormal service, drawn live", ln);
  PoolRun ex;
  ex.seconds = 1e18;
  for (int rep = 0; rep < 2; ++rep) {
    PoolQueue q(Service(ServiceDistribution::kExponential), 1);
    const PoolRun r = RunPool(q);
    if (r.seconds < ex.seconds) ex = r;
  }
  Print("PoolQueue, exponential service, drawn live", ex);

  // The same lognormal tasks drawn ahead (as ideal_schedule.h's DrawTasks does), then replayed.
  auto drawn = std::make_shared<ebb::sim::PoolTasks>();
  {
    PoolQueue gen(Service(ServiceDistribution::kLognormal), 1);
    const int64_t end = int64_t{kDays} * 86400;
    for (int64_t s = 0; s < end; ++s) {
      gen.Advance(static_cast<double>(s), static_cast<double>(s + 1), Rate(s), 0);
      gen.TakeWaiting(drawn->arrival, drawn->service);
    }
  }
  PoolRun rp;
  rp.seconds = 1e18;
  for (int rep = 0; rep < 2; ++rep) {
    PoolQueue q(std::shared_ptr<const ebb::sim::PoolTasks>{drawn});
    const PoolRun r = RunPool(q);
    if (r.seconds < rp.seconds) rp = r;
  }
  Print("PoolQueue, lognormal, replayed (ebb tune)", rp);
  if (rp.p99 != ln.p99 || rp.tasks != ln.tasks) std::printf("  replay differs from live!\n");

  if (argc > 1) {
    RunWhole(argv[1], "RunSimulation, nasa policy, given recording");
  } else {
    const auto dir =
        std::filesystem::temp_directory_path() / ("ebb-bench-pool-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    RunWhole(WriteRecording(dir / "nasa-like.csv"), "RunSimulation, nasa policy, synthetic");
    std::filesystem::remove_all(dir);
  }
  return 0;
}

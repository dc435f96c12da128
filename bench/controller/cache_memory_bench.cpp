// bench_cache_memory: the heap the watch caches cost per Autoscaler (issue 13's goal: at most
// 2 KB at 10,000 Autoscalers over 1,000 Deployments). Against a real API server holding the
// Deployments and their pods (bench/controller/api_requests.sh sets one up and runs this), it
// builds N Resource Autoscalers' cluster access the way `ebb run` does (live::ApiServerAccess)
// and prints the heap in use (mallinfo2) twice: without caches and without reading (what the N
// accessors hold of their own), and with the caches after each one read its scale and pod
// metrics once. The difference is what the caches hold, plus what a first read leaves in the
// accessor (its selector): an upper bound on the caches' cost. Reading without caches would
// send three requests per Autoscaler (minutes at 10,000) for a few bytes less in the bound.
// usage: bench_cache_memory KUBECONFIG NAMESPACE AUTOSCALERS TARGETS
#include <malloc.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "controller/api/autoscaler.h"
#include "controller/kube/kube_client.h"
#include "controller/kube/kube_config.h"
#include "controller/live/api_server_access.h"

namespace {

using namespace ebb;

size_t HeapInUse() {
  malloc_trim(0);
  return mallinfo2().uordblks;
}

api::Autoscaler Resource(const std::string& ns, int i, int targets) {
  nlohmann::json doc = {
      {"apiVersion", "ebb.dev/v1alpha1"},
      {"kind", "Autoscaler"},
      {"metadata", {{"name", "resource-" + std::to_string(i)}, {"namespace", ns}}},
      {"spec",
       {{"scaleTargetRef",
         {{"apiVersion", "apps/v1"},
          {"kind", "Deployment"},
          {"name", "d" + std::to_string(i % targets)}}},
        {"minReplicas", 1},
        {"maxReplicas", 10},
        {"metrics",
         {{{"type", "Resource"},
           {"resource",
            {{"name", "cpu"},
             {"target", {{"type", "Utilization"}, {"averageUtilization", 80}}}}}}}}}}};
  auto a = api::ParseAutoscaler(doc);
  if (!a) {
    std::fprintf(stderr, "bench_cache_memory: %s\n", a.error().message.c_str());
    std::exit(2);
  }
  return *a;
}

struct Run {
  size_t heap = 0;
  int scale_ok = 0, metrics_ok = 0;
};

// N Autoscalers' access, each read once with `caches`; the heap while they are all alive.
Run Measure(kube::KubeClient& client, const std::vector<api::Autoscaler>& autoscalers,
            bool caches) {
  Run run;
  live::ApiServerAccess access(client, "bench", caches);
  std::vector<std::unique_ptr<live::TargetAccess>> targets;
  targets.reserve(autoscalers.size());
  const Timestamp now = SystemClock().Now();
  for (const auto& a : autoscalers) {
    auto t = access.Target(a);
    if (!caches) {
      targets.push_back(std::move(t));
      continue;
    }
    auto scale = t->GetScale(now);
    if (scale) {
      ++run.scale_ok;
      decision::Observation obs;
      t->ClusterMetrics().Read(now, *scale, obs);
      if (!obs.readings.empty() && obs.readings[0].ok) ++run.metrics_ok;
    }
    targets.push_back(std::move(t));
  }
  // The informers hold every object once their LIST has landed (a read that came first may
  // have fallen back to a GET).
  if (caches) std::this_thread::sleep_for(std::chrono::seconds(5));
  run.heap = HeapInUse();
  return run;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: bench_cache_memory KUBECONFIG NAMESPACE AUTOSCALERS TARGETS\n");
    return 2;
  }
  const std::string ns = argv[2];
  const int n = std::atoi(argv[3]), targets = std::atoi(argv[4]);
  auto config = kube::LoadKubeconfig(argv[1]);
  if (!config) {
    std::fprintf(stderr, "bench_cache_memory: %s\n", config.error().message.c_str());
    return 2;
  }
  kube::ClientOptions options;
  options.qps = 0;  // unlimited: the uncached run sends three requests per Autoscaler
  kube::KubeClient client(*config, options);
  std::vector<api::Autoscaler> autoscalers;
  autoscalers.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) autoscalers.push_back(Resource(ns, i, targets));
  const size_t base = HeapInUse();
  const Run without = Measure(client, autoscalers, false);
  const Run with = Measure(client, autoscalers, true);
  const double per = (static_cast<double>(with.heap) - static_cast<double>(without.heap)) / n;
  std::printf(
      "{\"autoscalers\": %d, \"targets\": %d, \"heap_base_bytes\": %zu, "
      "\"heap_without_caches_bytes\": %zu, \"heap_with_caches_bytes\": %zu, "
      "\"caches_bytes_per_autoscaler\": %.0f, \"scale_reads_ok\": %d, "
      "\"metrics_reads_ok\": %d}\n",
      n, targets, base, without.heap, with.heap, per, with.scale_ok, with.metrics_ok);
  return 0;
}

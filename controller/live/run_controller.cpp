#include "controller/live/run_controller.h"

#include <curl/curl.h>
#include <malloc.h>
#include <pthread.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <csignal>
#include <mutex>
#include <ostream>
#include <random>
#include <thread>

#include "controller/api/settings.h"
#include "controller/kube/kube_config.h"
#include "controller/kube/leader_election.h"
#include "controller/live/api_call_log.h"
#include "controller/live/controller.h"
#include "controller/shard/shard_manager.h"
#include "metrics/controller_metrics.h"
#include "metrics/http_endpoint.h"
#include "metrics/logging.h"

namespace ebb::live {
namespace {

// client-go's default identity when neither --identity nor the environment gives one.
std::string DefaultIdentity() {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  std::mt19937 rng{std::random_device{}()};
  return std::string(host) + "_" + std::to_string(getpid()) + "_" + std::to_string(rng() % 100000);
}

// glibc keeps freed heap (the high-water mark of the start: the informers' LIST pages, the
// first pass's status writes) resident for good, fragmented among live objects, so it never
// shrinks by itself (at 10,000 Autoscalers ~100 MB of it: BENCHMARKS.md). malloc_trim(0)
// returns every free page of every arena; it walks the free lists under the arena locks, a few
// milliseconds at that scale, so it runs on a timer rather than after every burst.
constexpr auto kTrimFirst = std::chrono::seconds(5);
constexpr auto kTrimEvery = std::chrono::seconds(30);

}  // namespace

int RunController(const ControllerFlags& flags, std::ostream& err) {
  const auto t0 = std::chrono::steady_clock::now();
  // glibc gives each busy thread its own malloc arena (up to 8 per core); with a worker pool
  // that multiplies resident memory for no gain here. One arena: the dispatcher builds what the
  // workers free, and two arenas each kept their own free fragments (3 x 30,000: RSS 97-104 MB
  // with two, 95-96 MB with one, same CPU; BENCHMARKS.md).
  mallopt(M_ARENA_MAX, 1);
  // A fixed threshold (the default one rises to the largest block freed, up to 32 MB): blocks
  // this large (LIST pages as text, a scrape's text) are mapped on their own and unmapped when
  // freed instead of raising the heap's high-water mark.
  mallopt(M_MMAP_THRESHOLD, 256 * 1024);
  ControllerFlags f = flags;
  if (f.identity.empty()) f.identity = DefaultIdentity();
  auto logger = metrics::SetupLogging(f.log_level, f.log_format);
  if (!logger) {
    err << "ebb run: " << logger.error().message << "\n";
    return 2;
  }
  auto log = *logger;
  auto cfg = kube::ResolveKubeConfig(f.kubeconfig, f.context);
  if (!cfg) {
    err << "ebb run: " << cfg.error().message << "\n";
    return 2;
  }

  // Block the shutdown signals in every thread; main waits for them with sigwait.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  curl_global_init(CURL_GLOBAL_DEFAULT);
  int rc = 0;
  {
    metrics::ControllerMetrics metrics;
    auto endpoint = metrics::HttpEndpoint::Start(f.bind, metrics.collectables());
    if (!endpoint) {
      err << "ebb run: " << endpoint.error().message << "\n";
      curl_global_cleanup();
      return 2;
    }
    kube::ClientOptions client_options;
    client_options.qps = static_cast<double>(f.kube_api_qps);
    client_options.burst = static_cast<int>(f.kube_api_burst);
    kube::KubeClient client(*cfg, client_options);
    ApiCallReporter api_calls(metrics, log);
    client.set_observer([&api_calls](const kube::ApiCall& call) { api_calls(call); });
    ControllerOptions opts;
    opts.namespaces = f.namespaces;
    opts.workers = static_cast<std::size_t>(f.concurrency);
    opts.dry_run = f.dry_run;
    opts.default_polling_interval_s = static_cast<int32_t>(f.default_interval);
    opts.metrics_timeout = Seconds(f.metrics_timeout);
    opts.identity = f.identity;
    opts.settings = f.settings;
    opts.watch_caches = f.watch_cache;
    log->info(
        "ebb controller {} starting: API server {} ({}), namespaces {}, concurrency {}, API "
        "requests {}{}{}",
        f.identity, cfg->server, cfg->source,
        f.namespaces.empty() ? std::string("all") : fmt::format("{}", fmt::join(f.namespaces, ",")),
        f.concurrency,
        f.kube_api_qps > 0
            ? fmt::format("at most {}/s (burst {})", f.kube_api_qps, f.kube_api_burst)
            : std::string("unlimited"),
        f.watch_cache ? "" : ", no watch caches", f.dry_run ? ", dry run" : "");
    log->info(
        "settings: tolerance {}, cpu initialization period {}s, initial readiness delay {}s, "
        "downscale stabilization {}s",
        f.settings.tolerance, f.settings.cpu_initialization_period_seconds,
        f.settings.initial_readiness_delay_seconds, f.settings.downscale_stabilization_seconds);
    Controller controller(client, opts, metrics, log);
    controller.Start();

    std::unique_ptr<kube::LeaderElector> elector;
    std::unique_ptr<shard::ShardManager> shards;
    if (f.shards > 0) {
      shard::ShardConfig sc;
      sc.ns = f.lease_ns.empty() ? cfg->namespace_name : f.lease_ns;
      sc.group = f.lease_name;
      sc.shards = static_cast<int32_t>(f.shards);
      sc.identity = f.identity;
      sc.lease_duration = Seconds(f.lease_duration);
      sc.renew_deadline = Seconds(f.renew_deadline);
      sc.retry_period = Seconds(f.retry_period);
      log->info("sharding: {} shards over Leases {}/{}-shard-*", sc.shards, sc.ns, sc.group);
      // `shards` outlives every call: the controller is stopped before it is reset.
      auto owns = [&shards](const std::string& key) { return shards && shards->Owns(key); };
      shards = std::make_unique<shard::ShardManager>(
          client, sc, [&controller, log, owns](const std::set<int32_t>& held) {
            log->info("sharding: holding shards [{}]", fmt::join(held, ","));
            controller.SetOwnership(owns);
          });
      controller.SetOwnership(owns);  // nothing until the first shard is held
      controller.SetLeading(true);
      shards->Start();
    } else if (f.leader_elect) {
      kube::LeaderElectionConfig lc;
      lc.ns = f.lease_ns.empty() ? cfg->namespace_name : f.lease_ns;
      lc.name = f.lease_name;
      lc.identity = f.identity;
      lc.lease_duration = Seconds(f.lease_duration);
      lc.renew_deadline = Seconds(f.renew_deadline);
      lc.retry_period = Seconds(f.retry_period);
      // `lc` ends with this block: the callback keeps its own copy of the names.
      elector = std::make_unique<kube::LeaderElector>(
          client, lc, [&controller, log, lease = lc.ns + "/" + lc.name](bool leading) {
            log->info("leader election: {} lease {}", leading ? "acquired" : "lost", lease);
            controller.SetLeading(leading);
          });
      elector->Start();
    } else {
      controller.SetLeading(true);
    }
    // /readyz follows the Autoscaler informers: not ready until the first list, nor while a
    // list or watch keeps failing (the cache may be stale). Transitions are logged once each.
    std::mutex ready_mu;
    std::condition_variable ready_cv;
    bool ready_stop = false;
    // The same thread returns freed heap to the system (kTrimEvery).
    std::thread ready_watch([&] {
      bool ready = false, ever_ready = false, said_why = false;
      auto next_trim = std::chrono::steady_clock::now() + kTrimFirst;
      std::unique_lock lock(ready_mu);
      while (!ready_cv.wait_for(lock, std::chrono::milliseconds(250), [&] { return ready_stop; })) {
        if (const auto now = std::chrono::steady_clock::now(); now >= next_trim) {
          malloc_trim(0);
          next_trim = now + kTrimEvery;
        }
        std::string why;
        const bool now_ready = controller.Ready(&why);
        if (now_ready != ready) {
          (*endpoint)->set_ready(now_ready);
          metrics.SetReady(now_ready);
        }
        if (now_ready && !ready) {
          const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - t0)
                              .count();
          if (!ever_ready) {
            log->info("ready: {} autoscalers cached after {} ms", controller.autoscaler_count(),
                      ms);
          } else {
            log->info("ready again: Autoscalers listed and watched");
          }
          ever_ready = true;
          said_why = false;
        } else if (!now_ready && (ready || (!said_why && !why.empty()))) {
          log->warn("not ready: {}", why.empty() ? "Autoscalers not listed yet" : why);
          said_why = true;
        }
        ready = now_ready;
      }
    });
    int sig = 0;
    sigwait(&signals, &sig);
    log->info("received {}: finishing in-flight reconciles", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    {
      std::lock_guard lock(ready_mu);
      ready_stop = true;
    }
    ready_cv.notify_all();
    if (ready_watch.joinable()) ready_watch.join();
    (*endpoint)->set_ready(false);
    metrics.SetReady(false);
    controller.Stop();
    if (elector) elector->Stop(/*release=*/true);
    if (shards) shards->Stop(/*release=*/true);
    log->info("stopped: {} reconciles, {} scale patches, {} status writes",
              controller.stats().reconciles.load(), controller.stats().scale_patches.load(),
              controller.stats().status_writes.load());
    rc = 0;
  }
  curl_global_cleanup();
  return rc;
}

}  // namespace ebb::live

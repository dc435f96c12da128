#include "controller/live/run_controller.h"

#include <curl/curl.h>
#include <malloc.h>
#include <pthread.h>
#include <unistd.h>

#include <charconv>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <mutex>
#include <ostream>
#include <random>
#include <sstream>
#include <thread>

#include "controller/kube/kube_config.h"
#include "controller/kube/leader_election.h"
#include "controller/live/api_call_log.h"
#include "controller/live/controller.h"
#include "controller/spec/settings.h"
#include "metrics/controller_metrics.h"
#include "metrics/http_endpoint.h"
#include "metrics/logging.h"

namespace ebb::live {
namespace {

struct Flags {
  std::string kubeconfig, context, bind = "0.0.0.0:8080", lease_ns, lease_name = "ebb-controller";
  std::string identity, log_level, log_format;
  std::vector<std::string> namespaces;
  int64_t concurrency = 8, default_interval = 15, metrics_timeout = 5;
  int64_t lease_duration = 15, renew_deadline = 10, retry_period = 2;
  bool dry_run = false, leader_elect = true;
  decision::Settings settings;
};

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

bool ParseInt(const std::string& s, int64_t lo, int64_t hi, int64_t& v) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size() && v >= lo && v <= hi;
}

bool ParseBool(const std::string& s, bool& v) {
  if (s == "true" || s == "1") return v = true, true;
  if (s == "false" || s == "0") return v = false, true;
  return false;
}

// Environment first, flags override. Errors name the flag.
Result<Flags> ParseFlags(const std::vector<std::string>& args) {
  Flags f;
  std::string problems;
  auto bad = [&](const std::string& m) { problems += "ebb run: " + m + "\n"; };
  struct IntOpt {
    const char* flag;
    const char* env;
    int64_t* dst;
    int64_t lo, hi;
  };
  const IntOpt ints[] = {
      {"--concurrency", "EBB_CONCURRENCY", &f.concurrency, 1, 1024},
      {"--default-interval", "EBB_DEFAULT_INTERVAL", &f.default_interval, 1, 86400},
      {"--metrics-timeout", "EBB_METRICS_TIMEOUT", &f.metrics_timeout, 1, 600},
      {"--lease-duration", "EBB_LEASE_DURATION", &f.lease_duration, 1, 3600},
      {"--renew-deadline", "EBB_RENEW_DEADLINE", &f.renew_deadline, 1, 3600},
      {"--retry-period", "EBB_RETRY_PERIOD", &f.retry_period, 1, 3600}};
  for (const auto& o : ints) {
    const std::string v = Env(o.env);
    if (!v.empty() && !ParseInt(v, o.lo, o.hi, *o.dst))
      bad(std::string(o.env) + ": must be an integer between " + std::to_string(o.lo) + " and " +
          std::to_string(o.hi));
  }
  f.kubeconfig = "";  // KUBECONFIG is read by ResolveKubeConfig (client-go's order)
  if (auto v = Env("EBB_NAMESPACES"); !v.empty()) f.namespaces = SplitList(v);
  if (auto v = Env("EBB_METRICS_BIND_ADDRESS"); !v.empty()) f.bind = v;
  if (auto v = Env("EBB_DRY_RUN"); !v.empty() && !ParseBool(v, f.dry_run))
    bad("EBB_DRY_RUN: must be true or false");
  if (auto v = Env("EBB_LEADER_ELECT"); !v.empty() && !ParseBool(v, f.leader_elect))
    bad("EBB_LEADER_ELECT: must be true or false");
  f.lease_ns = Env("EBB_LEADER_ELECTION_NAMESPACE");
  f.identity = Env("EBB_IDENTITY");
  if (f.identity.empty()) f.identity = Env("POD_NAME");
  f.log_level = Env("EBB_LOG_LEVEL");
  if (auto ok = spec::ApplySettingsFromEnv(f.settings); !ok) bad(ok.error().message);

  for (size_t i = 0; i < args.size(); ++i) {
    std::string a = args[i], value;
    bool has_value = false;
    if (auto eq = a.find('='); a.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = a.substr(eq + 1);
      a = a.substr(0, eq);
      has_value = true;
    }
    auto next = [&]() -> std::optional<std::string> {
      if (has_value) return value;
      if (i + 1 >= args.size()) {
        bad(a + ": needs a value");
        return std::nullopt;
      }
      return args[++i];
    };
    bool matched = false;
    for (const auto& o : ints) {
      if (a != o.flag) continue;
      matched = true;
      if (auto v = next(); v && !ParseInt(*v, o.lo, o.hi, *o.dst))
        bad(a + ": must be an integer between " + std::to_string(o.lo) + " and " +
            std::to_string(o.hi));
    }
    if (matched) continue;
    if (spec::IsSettingFlag(a)) {
      if (auto v = next())
        if (auto ok = spec::ApplySettingFlag(a, *v, f.settings); !ok) bad(ok.error().message);
    } else if (a == "--dry-run") {
      if (has_value && !ParseBool(value, f.dry_run)) bad("--dry-run: must be true or false");
      if (!has_value) f.dry_run = true;
    } else if (a == "--leader-elect") {
      if (has_value && !ParseBool(value, f.leader_elect))
        bad("--leader-elect: must be true or false");
      if (!has_value) f.leader_elect = true;
    } else if (a == "--kubeconfig") {
      if (auto v = next()) f.kubeconfig = *v;
    } else if (a == "--context") {
      if (auto v = next()) f.context = *v;
    } else if (a == "--namespace" || a == "-n") {
      if (auto v = next())
        for (auto& n : SplitList(*v)) f.namespaces.push_back(n);
    } else if (a == "--metrics-bind-address") {
      if (auto v = next()) f.bind = *v;
    } else if (a == "--leader-election-namespace") {
      if (auto v = next()) f.lease_ns = *v;
    } else if (a == "--leader-election-id") {
      if (auto v = next()) f.lease_name = *v;
    } else if (a == "--identity") {
      if (auto v = next()) f.identity = *v;
    } else if (a == "--log-level") {
      if (auto v = next()) f.log_level = *v;
    } else if (a == "--log-format") {
      if (auto v = next()) f.log_format = *v;
    } else {
      bad("unknown argument \"" + args[i] + "\"");
    }
  }
  if (auto lo = metrics::ParseLogOptions(f.log_level, f.log_format); !lo) bad(lo.error().message);
  if (f.renew_deadline >= f.lease_duration)
    bad("--renew-deadline must be shorter than --lease-duration");
  if (!problems.empty()) return MakeError(ErrorCode::kInvalidConfig, problems);
  if (f.identity.empty()) {
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    std::mt19937 rng{std::random_device{}()};
    f.identity =
        std::string(host) + "_" + std::to_string(getpid()) + "_" + std::to_string(rng() % 100000);
  }
  return f;
}

}  // namespace

int RunController(const std::vector<std::string>& args, std::ostream& err) {
  const auto t0 = std::chrono::steady_clock::now();
  // glibc gives each busy thread its own malloc arena (up to 8 per core); with a worker pool
  // that multiplies resident memory for no gain here.
  mallopt(M_ARENA_MAX, 2);
  auto flags = ParseFlags(args);
  if (!flags) {
    err << flags.error().message;
    return 2;
  }
  const Flags& f = *flags;
  auto log = *metrics::SetupLogging(f.log_level, f.log_format);  // validated by ParseFlags
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
    auto endpoint = metrics::HttpEndpoint::Start(f.bind, metrics.registry());
    if (!endpoint) {
      err << "ebb run: " << endpoint.error().message << "\n";
      curl_global_cleanup();
      return 2;
    }
    kube::KubeClient client(*cfg);
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
    log->info(
        "ebb controller {} starting: API server {} ({}), namespaces {}, concurrency {}{}",
        f.identity, cfg->server, cfg->source,
        f.namespaces.empty() ? std::string("all") : fmt::format("{}", fmt::join(f.namespaces, ",")),
        f.concurrency, f.dry_run ? ", dry run" : "");
    log->info(
        "settings: tolerance {}, cpu initialization period {}s, initial readiness delay {}s, "
        "downscale stabilization {}s",
        f.settings.tolerance, f.settings.cpu_initialization_period_seconds,
        f.settings.initial_readiness_delay_seconds, f.settings.downscale_stabilization_seconds);
    Controller controller(client, opts, metrics, log);
    controller.Start();

    std::unique_ptr<kube::LeaderElector> elector;
    if (f.leader_elect) {
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
    std::thread ready_watch([&] {
      bool ready = false, ever_ready = false, said_why = false;
      std::unique_lock lock(ready_mu);
      while (!ready_cv.wait_for(lock, std::chrono::milliseconds(250), [&] { return ready_stop; })) {
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
    log->info("stopped: {} reconciles, {} scale patches, {} status writes",
              controller.stats().reconciles.load(), controller.stats().scale_patches.load(),
              controller.stats().status_writes.load());
    rc = 0;
  }
  curl_global_cleanup();
  return rc;
}

}  // namespace ebb::live

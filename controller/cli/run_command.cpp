// `ebb run`: the controller, or with --once a single pass -- "what would ebb do right now, and
// why": read every metric once, decide, print one JSON line per Autoscaler, never patch. The same
// reconcile path as the controller. The current replicas come from --replicas, or with a cluster
// (--kubeconfig, $KUBECONFIG, in-cluster) from each target's scale subresource, and Resource /
// ContainerResource metrics from metrics.k8s.io.
#include <curl/curl.h>

#include <cstdlib>
#include <memory>
#include <ostream>
#include <stdexcept>

#include "controller/api/decide_case.h"
#include "controller/api/settings.h"
#include "controller/base/text.h"
#include "controller/cli/commands.h"
#include "controller/cli/flags.h"
#include "controller/decision/explain.h"
#include "controller/kube/custom_metrics.h"
#include "controller/kube/discovery.h"
#include "controller/kube/kube_client.h"
#include "controller/kube/kube_config.h"
#include "controller/kube/resource_metrics.h"
#include "controller/kube/scale_target.h"
#include "controller/kube/secret_cache.h"
#include "controller/live/run_controller.h"
#include "controller/net/curl_http_client.h"
#include "controller/runtime/reconciler.h"
#include "controller/sources/scaler_metrics.h"
#include "metrics/logging.h"
#include "scalers/redis_pool.h"

namespace ebb::cli {
namespace {

struct OnceOptions {
  bool once = false;
  std::string file;
  int64_t replicas = -1;
  int64_t timeout_s = 10;
};

// A target whose scale is what the user said; patches are never attempted in a dry run.
class FixedScaleTarget final : public runtime::ScaleTarget {
 public:
  explicit FixedScaleTarget(int32_t replicas) : replicas_(replicas) {}
  Result<runtime::ScaleInfo> GetScale(Timestamp) override {
    return runtime::ScaleInfo{replicas_, replicas_, replicas_};
  }
  Result<void> SetReplicas(int32_t, Timestamp) override {
    return MakeError(ErrorCode::kInternal, "dry run: no target to patch");
  }

 private:
  int32_t replicas_;
};

// The cluster a --once pass reads scales and resource metrics from (absent with --replicas).
struct Cluster {
  std::unique_ptr<kube::KubeClient> client;
  std::unique_ptr<kube::Discovery> discovery;
};

// Outside text (metric errors, names from the file) may be invalid UTF-8: replaced, not thrown.
std::string Dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

nlohmann::json ErrorLine(const api::Autoscaler& a, const std::string& why) {
  return {{"name", a.name},
          {"namespace", a.namespace_name},
          {"reason", "Error"},
          {"error", SafeText(why, 1024)}};
}

struct OnceResult {
  nlohmann::json line;
  bool scale_failed = false;
  bool every_metric_failed = false;
};

OnceResult Once(const api::Autoscaler& a, const std::vector<decision::MetricReading>& polled,
                const decision::Settings& settings, int32_t replicas, Cluster* cluster,
                Timestamp now) {
  std::unique_ptr<runtime::ScaleTarget> target;
  std::unique_ptr<kube::ResourceMetricsReader> resource;
  std::unique_ptr<kube::CustomMetricsReader> custom;  // reads after `resource`
  if (cluster != nullptr) {
    auto t = std::make_unique<kube::KubeScaleTarget>(*cluster->client, *cluster->discovery,
                                                     a.namespace_name, a.target);
    auto selector = [p = t.get()] { return p->selector(); };
    resource = std::make_unique<kube::ResourceMetricsReader>(*cluster->client, a.namespace_name,
                                                             a.spec, selector);
    custom = std::make_unique<kube::CustomMetricsReader>(*resource, *cluster->client, a, selector);
    target = std::move(t);
  } else {
    target = std::make_unique<FixedScaleTarget>(replicas);
  }
  runtime::Reconciler rec(a.name, a.spec, settings, *target, custom.get());
  rec.set_dry_run(true);
  rec.set_created_at(a.created_at);
  const runtime::ReconcileOutcome outcome = rec.Reconcile(now, polled);
  OnceResult r;
  if (!outcome.scale_read) {
    r.scale_failed = true;
    r.line = ErrorLine(a, outcome.error ? outcome.error->message : "the scale could not be read");
    return r;
  }
  const decision::Decision& d = rec.last_decision();
  const auto& readings = rec.last_observation().readings;
  nlohmann::json metrics = api::MetricsToJson(a.spec, d);
  bool any_ok = false;
  for (size_t m = 0; m < metrics.size() && m < readings.size(); ++m) {
    // In units, from the milli-units the decision used (1011m prints as 1.011).
    if (readings[m].ok)
      metrics[m]["reading"] = static_cast<double>(readings[m].value_milli) / 1000.0;
  }
  for (const auto& m : d.metrics) any_ok = any_ok || m.status == decision::MetricStatus::kOk;
  r.every_metric_failed = !a.spec.metrics.empty() && !any_ok;
  r.line = {{"name", a.name},
            {"namespace", a.namespace_name},
            {"currentReplicas", d.current_replicas},
            {"desiredReplicas", d.desired_replicas},
            {"reason", decision::ToString(d.reason)},
            {"summary", decision::Summary(a.spec, d)},
            {"metrics", std::move(metrics)}};
  return r;
}

int RunOnce(const OnceOptions& o, const live::ControllerFlags& c, bool use_cluster,
            std::ostream& out, std::ostream& err) {
  // Documents of other kinds (a Simulation beside its Autoscaler) are skipped, as validate does.
  std::vector<nlohmann::json> others;
  auto autoscalers = api::LoadAutoscalers(o.file, &others);
  if (!autoscalers) {
    err << autoscalers.error().message << "\n";
    return kExitBadInput;
  }
  Cluster cluster;
  if (use_cluster) {
    auto cfg = kube::ResolveKubeConfig(c.kubeconfig, c.context);
    if (!cfg) {
      err << "ebb run --once: " << cfg.error().message
          << " (or give --replicas N to read no cluster)\n";
      return kExitBadInput;
    }
    cluster.client = std::make_unique<kube::KubeClient>(*cfg);
    cluster.discovery = std::make_unique<kube::Discovery>(*cluster.client);
  }

  curl_global_init(CURL_GLOBAL_DEFAULT);
  int rc = kExitOk;
  {
    net::CurlHttpClient http;
    scalers::RedisPool redis;
    scalers::ScalerDeps deps{&http, &redis, false};
    // With a cluster, Secret references are read from it; without, they fail saying so.
    std::unique_ptr<kube::SecretCache> secrets;
    if (cluster.client) {
      secrets = std::make_unique<kube::SecretCache>(*cluster.client);
      deps.secrets.reader = secrets.get();
    }
    std::vector<sources::ScalerBinding> bindings;
    std::string errors;
    for (const auto& a : *autoscalers) {
      auto b = sources::BindScalers(a, deps);
      if (!b)
        errors += (errors.empty() ? "" : "\n") + b.error().message;
      else
        bindings.push_back(std::move(*b));
    }
    if (!errors.empty()) {
      err << errors << "\n";
      rc = kExitBadInput;
    } else {
      std::vector<const api::Autoscaler*> as;
      std::vector<sources::ScalerBinding*> bs;
      for (size_t i = 0; i < autoscalers->size(); ++i) {
        as.push_back(&(*autoscalers)[i]);
        bs.push_back(&bindings[i]);
      }
      const SystemClock clock;
      const Timestamp now = clock.Now();
      const scalers::ReadContext ctx{now, now + Seconds(o.timeout_s)};
      std::vector<std::vector<decision::MetricReading>> polled(as.size());
      std::vector<std::string> failed(as.size());  // why an Autoscaler has no line of its own
      try {
        polled = sources::PollAll(as, bs, ctx);
      } catch (const std::exception&) {
        // Batched, one bad answer would sink every Autoscaler: poll each on its own instead.
        for (size_t i = 0; i < as.size(); ++i) {
          try {
            polled[i] = std::move(sources::PollAll({as[i]}, {bs[i]}, ctx)[0]);
          } catch (const std::exception& e) {
            failed[i] = e.what();
          }
        }
      }
      bool scale_failed = false, blind = false;
      for (size_t i = 0; i < as.size(); ++i) {
        const api::Autoscaler& a = *as[i];
        OnceResult r;
        try {
          if (!failed[i].empty()) throw std::runtime_error("reading metrics: " + failed[i]);
          r = Once(a, polled[i], c.settings, static_cast<int32_t>(o.replicas),
                   use_cluster ? &cluster : nullptr, now);
        } catch (const std::exception& e) {
          // This Autoscaler's line says what went wrong; the others still print.
          r.line = ErrorLine(a, e.what());
          r.every_metric_failed = true;
        }
        scale_failed = scale_failed || r.scale_failed;
        blind = blind || r.every_metric_failed;
        out << Dump(r.line) << "\n";
      }
      if (scale_failed) {
        rc = kExitFailure;
      } else if (blind) {
        rc = kExitMetricsFailed;
      }
    }
  }
  curl_global_cleanup();
  return rc;
}

}  // namespace

int RunCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  live::ControllerFlags c;
  OnceOptions o;
  FlagSet flags(
      "ebb run",
      {"ebb run [flags]",
       "ebb run --once --dry-run -f FILE (--replicas N | [--kubeconfig PATH] [--context NAME])"},
      "Without --once: the controller; it watches Autoscalers and scales their targets until\n"
      "SIGTERM. With --once: reads every metric of every Autoscaler in FILE now, decides and\n"
      "prints one JSON object per Autoscaler; nothing is patched. Documents of other kinds are\n"
      "skipped. Exit codes: 0 ok; 1 a target's scale could not be read; 2 bad flags or\n"
      "documents; 3 every metric of an Autoscaler failed (it decided from no reading).\n"
      "Every flag also reads the environment variable shown; a flag wins over it.");
  if (auto ok = api::ApplySettingsFromEnv(c.settings); !ok) {
    err << "ebb run: " << ok.error().message << "\n";
    return kExitBadInput;
  }
  flags.Heading("single pass:")
      .Switch("--once", "read every metric once, decide, print JSON lines, exit", &o.once)
      .Text("-f,--filename,--file", "FILE", "Autoscaler documents (- for stdin); --once only",
            &o.file)
      .Int("--replicas", "N", "the targets' current replicas (no cluster is read); --once only", 0,
           INT32_MAX, &o.replicas)
      .Int("--timeout", "SECONDS", "deadline for reading every metric (10); --once only", 1, 600,
           &o.timeout_s)
      .Heading("cluster (the controller; --once without --replicas):")
      .Text("--kubeconfig", "PATH", "else $KUBECONFIG; else in-cluster; else ~/.kube/config",
            &c.kubeconfig)
      .Text("--context", "NAME", "kubeconfig context (default: current-context)", &c.context)
      .Switch("--dry-run", "decide and report, never patch (--once needs it)", &c.dry_run,
              "EBB_DRY_RUN")
      .Heading("controller:")
      .Texts("-n,--namespace", "NS[,NS...]", "watched namespaces (default: all)", &c.namespaces,
             /*split_commas=*/true, "EBB_NAMESPACES")
      .Text("--metrics-bind-address", "ADDR", "/metrics /healthz /readyz (0.0.0.0:8080)", &c.bind,
            "EBB_METRICS_BIND_ADDRESS")
      .Int("--concurrency", "N", "reconciles in flight (8)", 1, 1024, &c.concurrency,
           "EBB_CONCURRENCY")
      .Int("--default-interval", "SECONDS", "pollingInterval default (15)", 1, 86400,
           &c.default_interval, "EBB_DEFAULT_INTERVAL")
      .Int("--metrics-timeout", "SECONDS", "one metric read at most (5)", 1, 600,
           &c.metrics_timeout, "EBB_METRICS_TIMEOUT")
      .Int("--kube-api-qps", "N", "API requests per second at most, client-side (20; 0: unlimited)",
           0, 100000, &c.kube_api_qps, "EBB_KUBE_API_QPS")
      .Int("--kube-api-burst", "N", "API requests allowed at once above --kube-api-qps (30)", 1,
           100000, &c.kube_api_burst, "EBB_KUBE_API_BURST")
      .Switch("--watch-cache",
              "targets and pods from watch caches, not a read per reconcile (true)", &c.watch_cache,
              "EBB_WATCH_CACHE")
      .Switch("--leader-elect", "Lease-based leader election (true)", &c.leader_elect,
              "EBB_LEADER_ELECT")
      .Int("--shards", "N",
           "split the Autoscalers over N shard Leases among the replicas instead of electing a "
           "leader (0: off; docs/sharding.md)",
           0, 4096, &c.shards, "EBB_SHARDS")
      .Text("--leader-election-namespace", "NS", "the Lease's namespace (the config's)",
            &c.lease_ns, "EBB_LEADER_ELECTION_NAMESPACE")
      .Text("--leader-election-id", "NAME", "the Lease's name (ebb-controller)", &c.lease_name)
      .Int("--lease-duration", "SECONDS", "(15)", 1, 3600, &c.lease_duration, "EBB_LEASE_DURATION")
      .Int("--renew-deadline", "SECONDS", "(10)", 1, 3600, &c.renew_deadline, "EBB_RENEW_DEADLINE")
      .Int("--retry-period", "SECONDS", "(2)", 1, 3600, &c.retry_period, "EBB_RETRY_PERIOD")
      .Text("--identity", "ID", "leader identity; else $POD_NAME; else hostname_pid_random",
            &c.identity, "EBB_IDENTITY")
      .Text("--log-level", "LEVEL", "trace debug info warn error, any case (info)", &c.log_level,
            "EBB_LOG_LEVEL")
      .Text("--log-format", "FORMAT", "json or text (logfmt fields) (json)", &c.log_format,
            "EBB_LOG_FORMAT")
      .Family(
          api::IsSettingFlag,
          [&c](std::string_view flag, const std::string& value) -> Result<void> {
            auto ok = api::ApplySettingFlag(flag, value, c.settings);
            if (!ok) return ok.error();
            return {};
          },
          "\nController-level settings (upstream's kube-controller-manager flags; also for "
          "--once):\n" +
              api::SettingFlagsUsage(/*with_env=*/true));
  if (int rc = HandleParse(flags, flags.Parse(args), out, err); rc >= 0) return rc;
  if (c.identity.empty())
    if (const char* pod = std::getenv("POD_NAME")) c.identity = pod;

  std::string problems;
  auto bad = [&problems](const std::string& m) { problems += "ebb run: " + m + "\n"; };
  if (o.once) {
    if (!c.dry_run) bad("--once: only with --dry-run (a single pass never patches)");
    if (o.file.empty()) bad("--once: -f FILE is required");
    if (flags.Given("--replicas") && (flags.Given("--kubeconfig") || flags.Given("--context")))
      bad("--replicas: give either --replicas or a cluster (--kubeconfig/--context), not both");
  } else {
    for (const char* f : {"--filename", "--replicas", "--timeout"})
      if (flags.Given(f)) bad(std::string(f) + ": only with --once");
    if (c.renew_deadline >= c.lease_duration)
      bad("--renew-deadline must be shorter than --lease-duration");
    if (auto lo = metrics::ParseLogOptions(c.log_level, c.log_format); !lo) bad(lo.error().message);
  }
  if (!problems.empty()) {
    err << problems << "(see ebb run --help)\n";
    return kExitBadInput;
  }
  if (!o.once) return live::RunController(c, err);
  return RunOnce(o, c, /*use_cluster=*/!flags.Given("--replicas"), out, err);
}

}  // namespace ebb::cli

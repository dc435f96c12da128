// `ebb run --once --dry-run`: read every metric once, decide, print one JSON line per
// Autoscaler -- "what would ebb do right now, and why". The same reconcile path as the
// controller, with the current replicas given on the command line instead of read from
// Kubernetes and the patch suppressed.
#include <curl/curl.h>

#include <algorithm>
#include <charconv>
#include <ostream>
#include <stdexcept>

#include "controller/base/text.h"
#include "controller/cli/commands.h"
#include "controller/decision/explain.h"
#include "controller/live/run_controller.h"
#include "controller/net/curl_http_client.h"
#include "controller/runtime/reconciler.h"
#include "controller/sources/scaler_metrics.h"
#include "controller/spec/decide_case.h"
#include "controller/spec/settings.h"
#include "scalers/redis_pool.h"

namespace ebb::cli {
namespace {

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

const char* kUsage =
    "usage: ebb run --once --dry-run -f autoscalers.yaml --replicas N [--timeout SECONDS]\n"
    "  Reads every metric once, decides and prints one JSON object per Autoscaler.\n"
    "\n"
    "usage: ebb run [flags]   (the controller; every flag also reads the environment)\n"
    "  --kubeconfig PATH             KUBECONFIG; else in-cluster; else ~/.kube/config\n"
    "  --context NAME                kubeconfig context (default: current-context)\n"
    "  --namespace NS[,NS...]        EBB_NAMESPACES; watched namespaces (default: all)\n"
    "  --metrics-bind-address ADDR  EBB_METRICS_BIND_ADDRESS; /metrics /healthz /readyz\n"
    "                                (default 0.0.0.0:8080)\n"
    "  --concurrency N               EBB_CONCURRENCY; reconciles in flight (default 8)\n"
    "  --default-interval SECONDS    EBB_DEFAULT_INTERVAL; pollingInterval default (15)\n"
    "  --metrics-timeout SECONDS     EBB_METRICS_TIMEOUT; one metric read at most (5)\n"
    "  --dry-run                     EBB_DRY_RUN=true; decide and report, never patch\n"
    "  --leader-elect=false          EBB_LEADER_ELECT; Lease-based leader election (true)\n"
    "  --leader-election-namespace NS, --leader-election-id NAME (ebb-controller)\n"
    "  --lease-duration S (15) --renew-deadline S (10) --retry-period S (2)\n"
    "  --identity ID                 EBB_IDENTITY / POD_NAME; default hostname-pid\n"
    "  --log-level LEVEL             EBB_LOG_LEVEL; trace debug info warn error (info)\n"
    "Controller-level settings (upstream's kube-controller-manager flags; also for --once):\n";

std::string Usage() {
  return kUsage + spec::SettingFlagsUsage(/*with_env=*/true);
}

// Outside text (metric errors, names from the file) may be invalid UTF-8: replaced, not thrown.
std::string Dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

nlohmann::json OnceLine(const spec::Autoscaler& a,
                        const std::vector<decision::MetricReading>& polled,
                        const decision::Settings& settings, int32_t replicas, Timestamp now) {
  FixedScaleTarget target(replicas);
  runtime::Reconciler rec(a.name, a.spec, settings, target);
  rec.set_dry_run(true);
  rec.set_created_at(a.created_at);
  (void)rec.Reconcile(now, polled);
  const decision::Decision& d = rec.last_decision();
  nlohmann::json metrics = spec::MetricsToJson(a.spec, d);
  for (size_t m = 0; m < metrics.size() && m < polled.size(); ++m) {
    // In units, from the milli-units the decision used (1011m prints as 1.011).
    if (polled[m].ok) {
      metrics[m]["reading"] = static_cast<double>(polled[m].value_milli) / 1000.0;
    }
  }
  return {{"name", a.name},
          {"namespace", a.namespace_name},
          {"currentReplicas", d.current_replicas},
          {"desiredReplicas", d.desired_replicas},
          {"reason", decision::ToString(d.reason)},
          {"summary", decision::Summary(a.spec, d)},
          {"metrics", std::move(metrics)}};
}

}  // namespace

int RunCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (std::find(args.begin(), args.end(), "--once") == args.end())
    return live::RunController(args, err);
  std::string file;
  bool once = false, dry_run = false;
  int32_t replicas = -1;
  int64_t timeout_s = 10;
  decision::Settings settings;  // environment first, flags override, as in controller mode
  if (auto ok = spec::ApplySettingsFromEnv(settings); !ok) {
    err << "ebb run: " << ok.error().message << "\n";
    return kExitBadInput;
  }
  std::vector<std::string> argv;  // "--flag=value" as "--flag" "value", as the controller takes it
  for (const auto& a : args) {
    if (const auto eq = a.find('='); a.rfind("--", 0) == 0 && eq != std::string::npos) {
      argv.push_back(a.substr(0, eq));
      argv.push_back(a.substr(eq + 1));
    } else {
      argv.push_back(a);
    }
  }
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    auto next_int = [&](int64_t& v, int64_t lo, int64_t hi) {
      if (i + 1 >= argv.size()) return false;
      const std::string& s = argv[++i];
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
      return ec == std::errc() && p == s.data() + s.size() && v >= lo && v <= hi;
    };
    if (a == "--once")
      once = true;
    else if (a == "--dry-run")
      dry_run = true;
    else if ((a == "-f" || a == "--file") && i + 1 < argv.size())
      file = argv[++i];
    else if (a == "--replicas") {
      int64_t v = 0;
      if (!next_int(v, 0, INT32_MAX)) {
        err << "ebb run: --replicas: must be an integer >= 0\n";
        return kExitBadInput;
      }
      replicas = static_cast<int32_t>(v);
    } else if (spec::IsSettingFlag(a)) {
      if (i + 1 >= argv.size()) {
        err << "ebb run: " << a << ": needs a value\n";
        return kExitBadInput;
      }
      if (auto ok = spec::ApplySettingFlag(a, argv[++i], settings); !ok) {
        err << "ebb run: " << ok.error().message << "\n";
        return kExitBadInput;
      }
    } else if (a == "--timeout") {
      if (!next_int(timeout_s, 1, 600)) {
        err << "ebb run: --timeout: must be between 1 and 600 seconds\n";
        return kExitBadInput;
      }
    } else {
      err << "ebb run: unknown argument \"" << a << "\"\n" << Usage();
      return kExitBadInput;
    }
  }
  if (!once || !dry_run) {
    err << "ebb run --once: only with --dry-run (a single pass never patches)\n" << Usage();
    return kExitBadInput;
  }
  if (file.empty() || replicas < 0) {
    err << "ebb run: -f FILE and --replicas N are required\n" << Usage();
    return kExitBadInput;
  }
  auto autoscalers = spec::LoadAutoscalers(file);
  if (!autoscalers) {
    err << autoscalers.error().message << "\n";
    return kExitBadInput;
  }

  curl_global_init(CURL_GLOBAL_DEFAULT);
  int rc = kExitOk;
  {
    net::CurlHttpClient http;
    scalers::RedisPool redis;
    scalers::ScalerDeps deps{&http, &redis, false};
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
      std::vector<const spec::Autoscaler*> as;
      std::vector<sources::ScalerBinding*> bs;
      for (size_t i = 0; i < autoscalers->size(); ++i) {
        as.push_back(&(*autoscalers)[i]);
        bs.push_back(&bindings[i]);
      }
      const SystemClock clock;
      const Timestamp now = clock.Now();
      const scalers::ReadContext ctx{now, now + Seconds(timeout_s)};
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
      for (size_t i = 0; i < as.size(); ++i) {
        const spec::Autoscaler& a = *as[i];
        std::string line;
        try {
          if (!failed[i].empty()) throw std::runtime_error("reading metrics: " + failed[i]);
          line = Dump(OnceLine(a, polled[i], settings, replicas, now));
        } catch (const std::exception& e) {
          // This Autoscaler's line says what went wrong; the others still print.
          line = Dump({{"name", a.name},
                       {"namespace", a.namespace_name},
                       {"currentReplicas", replicas},
                       {"desiredReplicas", replicas},
                       {"reason", "Error"},
                       {"error", SafeText(e.what(), 1024)}});
        }
        out << line << "\n";
      }
    }
  }
  curl_global_cleanup();
  return rc;
}

}  // namespace ebb::cli

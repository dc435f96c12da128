// bench_controller_memory: the live Engine's and the metrics' heap per Autoscaler, without a
// server. N Autoscalers shaped as bench.py's (one Redis metric, Value target) go through the real
// Engine (watch events in, two reconcile passes, the status written echoed back as the watch
// does) and the real ControllerMetrics; glibc's mallinfo2 is read between the steps, so each
// structure's bytes are counted rather than guessed. Not a ctest test (see RESULTS.md).
//
// usage: bench_controller_memory [N] [OWNED_PERCENT]
//   OWNED_PERCENT < 100: a sharded replica that acts on that share and only watches the rest.
//   BENCH_REAL_SCALERS=1: the Autoscalers are bound to the real Redis scalers (ebb run's
//   live::ScalerSources; binding connects to nothing), so their configs count; the readings
//   stay in-memory.
#include <malloc.h>
#include <prometheus/text_serializer.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <string>

#include "controller/live/api_server_access.h"
#include "controller/live/engine.h"
#include "metrics/controller_metrics.h"

namespace {

using namespace ebb;

class Clockwork final : public Clock {
 public:
  explicit Clockwork(Timestamp t) : t_(t) {}
  Timestamp Now() const override { return t_; }
  void Advance(Duration d) { t_ += d; }

 private:
  Timestamp t_;
};

class Target final : public live::TargetAccess {
 public:
  Result<runtime::ScaleInfo> GetScale(Timestamp) override { return runtime::ScaleInfo{2, 2, 2}; }
  Result<void> SetReplicas(int32_t, Timestamp) override { return {}; }
  std::string Describe() const override { return "WorkerPool"; }
  runtime::MetricReader& ClusterMetrics() override { return none_; }

 private:
  class None final : public runtime::MetricReader {
   public:
    void Read(Timestamp, const runtime::ScaleInfo&, decision::Observation&) override {}
  };
  None none_;
};

// Status patches are kept (merged) only so they can be echoed back as watch events.
class Kube final : public live::KubeAccess {
 public:
  std::map<std::string, nlohmann::json> patched;
  std::unique_ptr<live::TargetAccess> Target(const api::Autoscaler&) override {
    return std::make_unique<::Target>();
  }
  Result<void> PatchStatus(const std::string& ns, const std::string& name,
                           const nlohmann::json& patch) override {
    patched[ns + "/" + name].merge_patch(patch);
    return {};
  }
  Result<void> RecordEvent(const live::ObjectRef&, const std::string&, const std::string&,
                           const std::string&, Timestamp) override {
    return {};
  }
};

class Sources final : public live::SourceAccess {
 public:
  Result<std::unique_ptr<Binding>> Bind(const api::Autoscaler& a) override {
    if (real_) return real_->Bind(a);
    return std::make_unique<Binding>();
  }
  void UseRealScalers() { real_ = std::make_unique<live::ScalerSources>(); }
  std::vector<std::vector<decision::MetricReading>> Poll(
      const std::vector<const api::Autoscaler*>& as, const std::vector<Binding*>&, Timestamp,
      Timestamp) override {
    decision::MetricReading ten;
    ten.ok = true;
    ten.value_milli = 10000;
    return std::vector<std::vector<decision::MetricReading>>(as.size(), {ten});
  }

 private:
  std::unique_ptr<live::ScalerSources> real_;
};

nlohmann::json Object(int i) {
  const std::string n = std::to_string(i);
  return {{"apiVersion", "ebb.dev/v1alpha1"},
          {"kind", "Autoscaler"},
          {"metadata",
           {{"name", "a" + n},
            {"namespace", "bench-12345"},
            {"uid", "0b7c6a2e-5d1f-4c1e-9a51-3f0d8a9c" + std::to_string(100000 + i)},
            {"resourceVersion", std::to_string(200000 + i)},
            {"generation", 1},
            {"creationTimestamp", "2026-12-02T04:00:00Z"}}},
          {"spec",
           {{"scaleTargetRef",
             {{"apiVersion", "test.ebb.dev/v1"}, {"kind", "WorkerPool"}, {"name", "p" + n}}},
            {"minReplicas", 1},
            {"maxReplicas", 10},
            {"pollingInterval", 15},
            {"metrics",
             {{{"type", "Redis"},
               {"name", "backlog"},
               {"redis",
                {{"address", "127.0.0.1:6379"},
                 {"lists", {"q" + n}},
                 {"target", {{"type", "Value"}, {"value", "10"}}}}}}}}}}};
}

double InUse() {
  return static_cast<double>(mallinfo2().uordblks);
}

// VmRSS or VmHWM (the peak) from /proc/self/status, MB.
double ProcMb(const char* field) {
  FILE* f = std::fopen("/proc/self/status", "r");
  char line[256];
  double kb = 0;
  while (f && std::fgets(line, sizeof line, f))
    if (std::strncmp(line, field, std::strlen(field)) == 0)
      kb = std::atof(line + std::strlen(field));
  if (f) std::fclose(f);
  return kb / 1024;
}

void Step(const char* what, double& last, int n) {
  const double now = InUse();
  std::printf("%-42s heap %7.1f MB %+7.1f MB %6.0f B/Autoscaler | RSS %6.1f MB, peak %6.1f\n", what,
              now / 1048576, (now - last) / 1048576, (now - last) / n, ProcMb("VmRSS:"),
              ProcMb("VmHWM:"));
  last = now;
}

// A replica's shard as the bench models it: the keys whose hash falls in the first `pct` percent.
live::Engine::Ownership Share(int pct) {
  return [pct](const std::string& key) {
    return std::hash<std::string>()(key) % 100 < static_cast<std::size_t>(pct);
  };
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 10000;
  const int owned_pct = argc > 2 ? std::atoi(argv[2]) : 100;
  mallopt(M_ARENA_MAX, 2);
  double last = InUse();
  Kube kube;
  Sources sources;
  if (std::getenv("BENCH_REAL_SCALERS")) sources.UseRealScalers();
  metrics::ControllerMetrics m;
  live::ReconcileObserver observer(m, nullptr, kube);
  Clockwork wall(FromUnixMillis(1796184000000));
  Clockwork mono(FromUnixMillis(1000));
  live::Engine engine(kube, sources, observer, live::ControllerOptions{}, wall, mono);
  engine.SetLeading(true);
  if (owned_pct < 100) engine.SetOwnership(Share(owned_pct));
  Step("start", last, n);
  for (int i = 0; i < n; ++i) {
    const nlohmann::json o = Object(i);
    engine.OnAutoscaler("bench-12345/a" + std::to_string(i), &o);
  }
  Step("watched (OnAutoscaler)", last, n);
  // Both clocks `seconds` on, then every Autoscaler due by then (RunDue takes at most one batch
  // per call).
  auto pass = [&](int seconds = 15) {
    wall.Advance(Seconds(seconds));
    mono.Advance(Seconds(seconds));
    while (engine.queue().NextDue() && *engine.queue().NextDue() <= mono.Now())
      engine.RunDue(mono.Now());
  };
  const auto t0 = std::chrono::steady_clock::now();
  pass();
  const double first_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  Step("first reconcile of each (status written)", last, n);
  // The watch echoes each status write back as a MODIFIED event with the whole object.
  for (auto& [key, status] : kube.patched) {
    nlohmann::json o = Object(std::atoi(key.c_str() + key.find("/a") + 2));
    o["status"] = status;
    engine.OnAutoscaler(key, &o);
  }
  const double fake_status = static_cast<double>(kube.patched.size());
  // What a peer that kept its Autoscalers' status current leaves for the replica gaining them.
  const nlohmann::json status_template =
      kube.patched.empty() ? nlohmann::json() : kube.patched.begin()->second;
  if (!kube.patched.empty()) {
    nlohmann::json o = Object(0);
    std::printf("object %zu bytes, spec %zu, status %zu, decisionState %zu\n",
                o.dump().size() + kube.patched.begin()->second.dump().size() + 10,
                o["spec"].dump().size(), kube.patched.begin()->second.dump().size(),
                kube.patched.begin()->second["decisionState"].dump().size());
    if (std::getenv("BENCH_PRINT_STATUS"))
      std::printf("%s\n%s\n", o.dump().c_str(), kube.patched.begin()->second.dump().c_str());
  }
  kube.patched.clear();
  Step("status echoed back by the watch", last, n);
  const auto t1 = std::chrono::steady_clock::now();
  pass();
  const double second_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t1).count();
  Step("second reconcile (steady state)", last, n);
  pass();
  Step("third reconcile", last, n);
  // For heaptrack: what is live in steady state shows up as "leaked".
  if (std::getenv("BENCH_EXIT_IN_STEADY_STATE")) std::_Exit(0);
  const auto t2 = std::chrono::steady_clock::now();
  std::string text = prometheus::TextSerializer().Serialize(m.Collect());
  const double scrape_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t2).count();
  const std::size_t text_size = text.size();
  text.clear();
  text.shrink_to_fit();
  Step("after one scrape (text freed)", last, n);
  if (owned_pct < 100 && owned_pct > 0 && status_template.is_object()) {
    // A peer dies and this replica gains its share: those Autoscalers arrive carrying the status
    // the peer wrote (watch events), then SetOwnership hands them over and every gained one is
    // restored, polled and reconciled once (SpreadDue puts them within a few seconds).
    const int widened = std::min(100, owned_pct * 2);
    int gained = 0;
    for (int i = 0; i < n; ++i) {
      const std::string key = "bench-12345/a" + std::to_string(i);
      if (Share(owned_pct)(key)) continue;
      nlohmann::json o = Object(i);
      o["status"] = status_template;
      o["status"]["reference"] = "WorkerPool/p" + std::to_string(i);
      engine.OnAutoscaler(key, &o);
      gained += Share(widened)(key) ? 1 : 0;
    }
    kube.patched.clear();
    const auto cpu0 = std::clock();
    const auto tg = std::chrono::steady_clock::now();
    engine.SetOwnership(Share(widened));
    pass(5);
    const double gain_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - tg).count();
    const double gain_cpu_ms = 1000.0 * static_cast<double>(std::clock() - cpu0) / CLOCKS_PER_SEC;
    std::printf(
        "gained %d (%d%% -> %d%%): %.0f ms wall, %.0f ms CPU, %.1f us CPU each, %zu status "
        "writes\n",
        gained, owned_pct, widened, gain_ms, gain_cpu_ms, 1000.0 * gain_cpu_ms / gained,
        kube.patched.size());
    Step("gained ones built and reconciled", last, n);
  }
  m.SetLeader(false);  // drops every per-Autoscaler series
  Step("per-Autoscaler series dropped", last, n);
  for (int i = 0; i < n; ++i) engine.OnAutoscaler("bench-12345/a" + std::to_string(i), nullptr);
  Step("Autoscalers deleted (engine entries)", last, n);
  std::printf("status writes echoed: %.0f; scrape: %zu bytes in %.0f ms; passes %.0f / %.0f ms\n",
              fake_status, text_size, scrape_ms, first_ms, second_ms);
  malloc_stats();
  return 0;
}

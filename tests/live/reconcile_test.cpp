// The live reconcile (Engine) against in-memory fakes of its ports: watch events in, due items
// polled in batches, status/Events/metrics out. Milliseconds per case, no server.
#include <prometheus/text_serializer.h>

#include <atomic>
#include <catch2/catch.hpp>

#include "controller/live/engine.h"
#include "tests/live/describe.h"
#include "tests/live/fake_access.h"
#include "tests/support/builders.h"

using namespace ebb;
using namespace ebb::testing;

namespace {

nlohmann::json AutoscalerObject(const std::string& name, const std::string& target,
                                const std::string& source = "redis",
                                const std::string& dry_run_annotation = "") {
  nlohmann::json block = {{"target", {{"type", "AverageValue"}, {"averageValue", "5"}}}};
  if (source == "redis") {
    block["address"] = "127.0.0.1:1";
    block["celery"] = {{"queues", {"celery"}}};
  } else {
    block["serverAddress"] = "http://127.0.0.1:1";
    block["query"] = "sum(q)";
  }
  nlohmann::json obj = {
      {"apiVersion", "ebb.dev/v1alpha1"},
      {"kind", "Autoscaler"},
      {"metadata",
       {{"name", name}, {"namespace", "jobs"}, {"uid", "u-" + name}, {"generation", 1}}},
      {"spec",
       {{"scaleTargetRef", {{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"name", target}}},
        {"minReplicas", 1},
        {"maxReplicas", 10},
        {"pollingInterval", 15},
        {"metrics",
         {{{"type", source == "redis" ? "Redis" : "Prometheus"},
           {"name", "backlog"},
           {source == "redis" ? "redis" : "prometheus", block}}}}}}};
  if (!dry_run_annotation.empty())
    obj["metadata"]["annotations"] = {{"ebb.dev/dry-run", dry_run_annotation}};
  return obj;
}

nlohmann::json Hpa(const std::string& name, const std::string& target) {
  return {
      {"metadata", {{"name", name}, {"namespace", "jobs"}}},
      {"spec",
       {{"scaleTargetRef", {{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"name", target}}},
        {"maxReplicas", 3}}}};
}

struct World {
  FakeKube kube;
  FakeSources sources;
  metrics::ControllerMetrics metrics;
  live::ReconcileObserver observer{metrics, nullptr, kube};
  SimulatedClock wall{At(0)};
  SimulatedClock mono{FromUnixMillis(1000)};
  std::unique_ptr<live::Engine> engine;

  explicit World(bool dry_run = false) {
    live::ControllerOptions o;
    o.dry_run = dry_run;
    engine = std::make_unique<live::Engine>(kube, sources, observer, o, wall, mono);
    engine->SetLeading(true);
  }
  void Add(const nlohmann::json& obj) {
    engine->OnAutoscaler("jobs/" + obj["metadata"]["name"].get<std::string>(), &obj);
  }
  // An Autoscaler `name` scaling Deployment `name` (2 replicas) on a Redis reading of `reading`.
  void AddWorker(const std::string& name, decision::MetricReading reading) {
    kube.TargetOf("jobs", "Deployment", name).replicas = 2;
    sources.readings["jobs/" + name] = {std::move(reading)};
    Add(AutoscalerObject(name, name));
  }
  // Every Autoscaler due (all of them: the first pass spreads them over at most one interval).
  void Tick(int64_t seconds = 15) {
    wall.Advance(Seconds(seconds));
    mono.Advance(Seconds(seconds));
    engine->RunDue(mono.Now());
  }
  nlohmann::json Status(const std::string& name) { return kube.status["jobs/" + name]; }
  std::string Metrics() { return prometheus::TextSerializer().Serialize(metrics.Collect()); }
};

decision::MetricReading Tasks(double n) {
  return Value(n);
}

}  // namespace

TEST_CASE("reconcile: a rescale patches once, status and Event say so, metrics count it",
          "[unit][reconcile]") {
  World w;
  w.kube.TargetOf("jobs", "Deployment", "worker").replicas = 2;
  w.sources.readings["jobs/worker"] = {Tasks(20)};  // 4 workers' worth
  w.Add(AutoscalerObject("worker", "worker"));
  w.Tick();
  const auto& t = w.kube.TargetOf("jobs", "Deployment", "worker");
  CHECK(t.patches == 1);
  const nlohmann::json st = w.Status("worker");
  INFO(DescribeStatus(st));
  CHECK(st["currentReplicas"] == 2);  // observed, as upstream
  CHECK(st["desiredReplicas"] == 4);
  CHECK(t.replicas == 4);
  CHECK(ConditionLine(st, "AbleToScale") == "AbleToScale True SucceededRescale");
  CHECK(w.kube.EventsOf("jobs/worker", "SuccessfulRescale").size() == 1);
  CHECK(w.Metrics().find(
            "ebb_scale_events_total{autoscaler=\"worker\",direction=\"up\",dry_run=\"false\"") !=
        std::string::npos);

  // Next poll: the new count is observed; nothing to do, nothing patched.
  w.Tick();
  CHECK(t.patches == 1);
  CHECK(w.Status("worker")["currentReplicas"] == t.replicas);
  CHECK(ConditionLine(w.Status("worker"), "AbleToScale") != "AbleToScale True SucceededRescale");
  // Nothing changes: no status write.
  const int writes = w.kube.status_writes;
  w.Tick();
  CHECK(w.kube.status_writes == writes);
}

TEST_CASE("shadow mode beside an HPA: decided, reported, never applied nor refused",
          "[unit][reconcile][dryrun]") {
  struct Case {
    const char* name;
    bool flag;
    std::string annotation;
    bool shadow;
  };
  const std::vector<Case> cases = {
      {"--dry-run", true, "", true},
      {"the annotation", false, "true", true},
      {"neither: refused", false, "", false},
      {"annotation false: refused", false, "false", false},
  };
  for (const Case& c : cases) {
    SECTION(c.name) {
      World w(c.flag);
      w.kube.TargetOf("jobs", "Deployment", "web").replicas = 2;
      w.sources.readings["jobs/web"] = {Tasks(40)};
      const nlohmann::json hpa = Hpa("native", "web");
      w.engine->OnHpa("jobs/native", &hpa);
      w.Add(AutoscalerObject("web", "web", "redis", c.annotation));
      w.Tick();
      w.Tick();
      const nlohmann::json st = w.Status("web");
      INFO(DescribeStatus(st));
      CHECK(w.kube.TargetOf("jobs", "Deployment", "web").patches == 0);
      CHECK(w.kube.TargetOf("jobs", "Deployment", "web").replicas == 2);
      if (c.shadow) {
        CHECK(ConditionLine(st, "Ready") == "Ready True DryRun");
        CHECK(st["currentReplicas"] == 2);
        CHECK(st["desiredReplicas"] == 4);
        CHECK(w.kube.EventsOf("jobs/web", "AmbiguousScaleTarget").empty());
        const auto would = w.kube.EventsOf("jobs/web", "WouldRescale");
        REQUIRE(would.size() == 2);  // every poll; the recorder folds repeats into a count
        CHECK(would[0].message.rfind("Dry run: would rescale from 2 to 4", 0) == 0);
        const std::string m = w.Metrics();
        CHECK(
            m.find("ebb_scale_events_total{autoscaler=\"web\",direction=\"up\",dry_run=\"true\"") !=
            std::string::npos);
        CHECK(m.find("ebb_autoscaler_desired_replicas{autoscaler=\"web\",namespace=\"jobs\"} 4") !=
              std::string::npos);
      } else {
        CHECK(ConditionLine(st, "AbleToScale") == "AbleToScale False AmbiguousScaleTarget");
        CHECK(w.kube.EventsOf("jobs/web", "AmbiguousScaleTarget").size() == 1);
        CHECK(w.kube.EventsOf("jobs/web", "WouldRescale").empty());
      }
    }
  }
}

TEST_CASE("a shadow Autoscaler is no reason to refuse the one that acts",
          "[unit][reconcile][dryrun]") {
  World w;
  w.kube.TargetOf("jobs", "Deployment", "web").replicas = 2;
  w.sources.readings["jobs/live"] = {Tasks(40)};
  w.sources.readings["jobs/shadow"] = {Tasks(40)};
  w.Add(AutoscalerObject("live", "web"));
  w.Add(AutoscalerObject("shadow", "web", "redis", "true"));
  w.Tick();
  CHECK(w.kube.TargetOf("jobs", "Deployment", "web").patches == 1);
  CHECK(ConditionLine(w.Status("live"), "AbleToScale") == "AbleToScale True SucceededRescale");
  CHECK(ConditionLine(w.Status("shadow"), "Ready") == "Ready True DryRun");
}

TEST_CASE("two Autoscalers on one target are both refused and each acts again once apart",
          "[unit][reconcile]") {
  World w;
  for (const char* t : {"web", "api"}) w.kube.TargetOf("jobs", "Deployment", t).replicas = 2;
  for (const char* a : {"a", "b", "c"}) w.sources.readings[std::string("jobs/") + a] = {Tasks(40)};
  w.Add(AutoscalerObject("a", "web"));
  w.Add(AutoscalerObject("b", "web"));
  w.Add(AutoscalerObject("c", "webs"));  // a name that starts the same is another target
  w.kube.TargetOf("jobs", "Deployment", "webs").replicas = 2;
  w.Tick();
  CHECK(w.kube.TargetOf("jobs", "Deployment", "web").patches == 0);
  CHECK(w.kube.TargetOf("jobs", "Deployment", "webs").patches == 1);
  for (const auto& [self, other] : {std::pair{"a", "b"}, std::pair{"b", "a"}}) {
    const nlohmann::json st = w.Status(self);
    INFO(self << ": " << DescribeStatus(st));
    CHECK(ConditionLine(st, "AbleToScale") == "AbleToScale False AmbiguousScaleTarget");
    CHECK(st["conditions"][0]["message"].get<std::string>().find(
              std::string("is also scaled by Autoscaler jobs/") + other) != std::string::npos);
  }
  // b moves to another Deployment: each now acts on its own.
  w.Add(AutoscalerObject("b", "api"));
  w.Tick();
  CHECK(w.kube.TargetOf("jobs", "Deployment", "web").patches == 1);
  CHECK(w.kube.TargetOf("jobs", "Deployment", "api").patches == 1);
  // b back on web: refused again; b deleted: a is alone on web and goes on.
  w.Add(AutoscalerObject("b", "web"));
  w.Tick();
  CHECK(ConditionLine(w.Status("a"), "AbleToScale") == "AbleToScale False AmbiguousScaleTarget");
  w.engine->OnAutoscaler("jobs/b", nullptr);
  w.sources.readings["jobs/a"] = {Tasks(60)};
  w.Tick();
  CHECK(w.kube.TargetOf("jobs", "Deployment", "web").patches == 2);
}

TEST_CASE("the dry-run annotation accepts only true or false", "[unit][reconcile][dryrun]") {
  World w;
  w.Add(AutoscalerObject("web", "web", "redis", "yes"));
  w.Tick();
  const nlohmann::json st = w.Status("web");
  CHECK(ConditionLine(st, "Ready") == "Ready False InvalidSpec");
  CHECK(st["conditions"][0]["message"].get<std::string>().find(
            "metadata.annotations[ebb.dev/dry-run]: must be \"true\" or \"false\", got yes") !=
        std::string::npos);
  CHECK(w.kube.TargetOf("jobs", "Deployment", "web").patches == 0);
}

TEST_CASE("every Autoscaler due in a tick is polled in one round per kind of source",
          "[unit][reconcile][batch]") {
  World w;
  for (const char* n : {"a", "b", "c"}) w.Add(AutoscalerObject(n, n));
  w.Add(AutoscalerObject("p", "p", "prometheus"));
  w.Tick();
  REQUIRE(w.sources.rounds.size() == 2);
  std::vector<std::size_t> sizes;
  for (const auto& r : w.sources.rounds) sizes.push_back(r.size());
  std::sort(sizes.begin(), sizes.end());
  CHECK(sizes == std::vector<std::size_t>{1, 3});
  for (const char* n : {"a", "b", "c", "p"})
    CHECK(ConditionLine(w.Status(n), "Ready") == "Ready True Reconciled");
}

TEST_CASE("a source that throws: its batch is polled one by one, only its Autoscaler fails",
          "[unit][reconcile][batch]") {
  World w;
  w.sources.throw_for = "jobs/b";
  for (const char* n : {"a", "b", "c"}) w.Add(AutoscalerObject(n, n));
  w.Tick();
  CHECK(ConditionLine(w.Status("a"), "Ready") == "Ready True Reconciled");
  CHECK(ConditionLine(w.Status("c"), "Ready") == "Ready True Reconciled");
  CHECK(ConditionLine(w.Status("b"), "Ready") == "Ready False ReconcileError");
  CHECK(w.kube.EventsOf("jobs/b", "ReconcileError").size() == 1);
  CHECK(w.Metrics().find("ebb_reconciles_total{result=\"error\"} 1") != std::string::npos);
}

TEST_CASE("failures of the scale: typed errors, conditions and Events", "[unit][reconcile]") {
  World w;
  auto& t = w.kube.TargetOf("jobs", "Deployment", "worker");
  t.replicas = 2;
  t.patch_error = MakeError(ErrorCode::kConflict, "the object has been modified");
  w.sources.readings["jobs/worker"] = {Tasks(40)};
  w.Add(AutoscalerObject("worker", "worker"));
  w.Tick();
  CHECK(ConditionLine(w.Status("worker"), "AbleToScale") == "AbleToScale False FailedUpdateScale");
  CHECK(w.kube.EventsOf("jobs/worker", "FailedRescale").size() == 1);
  CHECK(w.Status("worker")["currentReplicas"] == 2);

  t.patch_error.reset();
  t.get_error = MakeError(ErrorCode::kUnavailable, "connection refused");
  w.Tick();
  w.Tick();
  CHECK(ConditionLine(w.Status("worker"), "AbleToScale") == "AbleToScale False FailedGetScale");
  CHECK(w.kube.EventsOf("jobs/worker", "FailedGetScale").size() == 1);  // at the onset only
  // The last decision's other conditions stay as they were.
  CHECK(!ConditionLine(w.Status("worker"), "ScalingActive").empty());
}

TEST_CASE("a follower does nothing, leadership restores state from the stored status",
          "[unit][reconcile]") {
  World w;
  w.engine->SetLeading(false);
  w.kube.TargetOf("jobs", "Deployment", "worker").replicas = 2;
  w.sources.readings["jobs/worker"] = {Tasks(40)};
  w.Add(AutoscalerObject("worker", "worker"));
  w.Tick();
  CHECK(w.kube.status_writes == 0);
  CHECK(w.sources.rounds.empty());
  w.engine->SetLeading(true);
  w.Tick();
  CHECK(w.kube.TargetOf("jobs", "Deployment", "worker").patches == 1);
}

TEST_CASE("a metric that fails at every poll writes status only while the failure count matters",
          "[unit][reconcile][status]") {
  // Resource Autoscalers over Pending pods (no metrics yet) wrote status at every reconcile: the
  // stored decisionState carried the growing failure counter.
  World w;
  w.kube.TargetOf("jobs", "Deployment", "worker").replicas = 2;
  w.sources.readings["jobs/worker"] = {Failed("no metrics returned from resource metrics API")};
  w.Add(AutoscalerObject("worker", "worker"));
  w.Tick();
  w.Tick();
  const int settled = w.kube.status_writes;
  CHECK(settled >= 1);
  for (int i = 0; i < 8; ++i) w.Tick();
  CHECK(w.kube.status_writes == settled);
  CHECK(ConditionLine(w.Status("worker"), "ScalingActive").rfind("ScalingActive False", 0) == 0);

  SECTION("with fallback: written until fallback starts, then quiet") {
    nlohmann::json obj = AutoscalerObject("fb", "fb");
    obj["spec"]["fallback"] = {{"failureThreshold", 3}, {"replicas", 4}};
    w.kube.TargetOf("jobs", "Deployment", "fb").replicas = 2;
    w.sources.readings["jobs/fb"] = {Failed("down")};
    w.Add(obj);
    // Fallback acts at the 4th failure; then the reconcile after it observes the new count, and
    // the last recommendation of 2 leaves the 300 s window the stored state keeps.
    for (int i = 0; i < 26; ++i) w.Tick();
    CHECK(w.kube.TargetOf("jobs", "Deployment", "fb").replicas == 4);
    const int after_fallback = w.kube.status_writes;
    for (int i = 0; i < 8; ++i) w.Tick();
    CHECK(w.kube.status_writes == after_fallback);
  }
}

TEST_CASE("sharded: only owned Autoscalers are queued and built, a lost shard frees their state",
          "[unit][reconcile][shard]") {
  World w;
  for (const char* n : {"a0", "a1", "a2", "a3"}) {
    w.kube.TargetOf("jobs", "Deployment", n).replicas = 2;
    w.sources.readings[std::string("jobs/") + n] = {Tasks(10)};
    w.Add(AutoscalerObject(n, n));
  }
  std::set<std::string> mine = {"jobs/a0", "jobs/a1"};
  auto owns = [&mine](const std::string& k) { return mine.count(k) > 0; };
  w.engine->SetOwnership(owns);
  auto polled = [&w] {
    std::set<std::string> keys;
    for (const auto& round : w.sources.rounds) keys.insert(round.begin(), round.end());
    w.sources.rounds.clear();
    return keys;
  };
  w.Tick();
  w.Tick();
  CHECK(polled() == std::set<std::string>{"jobs/a0", "jobs/a1"});
  // Another replica's Autoscalers do not cycle through the queue, and nothing is built for them.
  CHECK(w.engine->queue().size() == 2);
  CHECK(w.engine->built() == 2);
  CHECK(w.engine->size() == 4);  // but every one is watched (conflicts, a later gain)

  // The shard of a1 is lost: its reconciler, decision state and series go.
  mine = {"jobs/a0"};
  w.engine->SetOwnership(owns);
  CHECK(w.engine->queue().size() == 1);
  CHECK(w.engine->built() == 1);
  CHECK(w.Metrics().find("autoscaler=\"a1\"") == std::string::npos);
  w.Tick();
  CHECK(polled() == std::set<std::string>{"jobs/a0"});

  // Gained back (the watch delivered the status as stored): rebuilt, and it acts at once.
  nlohmann::json a1 = AutoscalerObject("a1", "a1");
  a1["status"] = w.Status("a1");
  w.Add(a1);
  mine = {"jobs/a0", "jobs/a1"};
  w.engine->SetOwnership(owns);
  w.Tick(1);
  CHECK(polled().count("jobs/a1") == 1);
  CHECK(w.engine->built() == 2);
  CHECK(w.engine->queue().size() == 2);
}

TEST_CASE("a gained shard is reconciled at once and writes no status when nothing changed",
          "[unit][reconcile][shard]") {
  // A replica that took over a dead one's shards spread the gained Autoscalers over an interval
  // and wrote each one's status (the restored decision state, re-dated): with thousands gained,
  // the last acted again after 60-100 s behind the API server's write rate (docs/sharding.md).
  World w;
  constexpr int kN = 200;  // a first pass spreads 200 over 2 s: more than the batch window
  std::set<std::string> keys;
  for (int i = 0; i < kN; ++i) {
    const std::string n = "g" + std::to_string(i);
    w.kube.TargetOf("jobs", "Deployment", n).replicas = 2;
    w.sources.readings["jobs/" + n] = {Tasks(10)};
    w.Add(AutoscalerObject(n, n));
    keys.insert("jobs/" + n);
  }
  bool mine = true;
  auto owns = [&mine](const std::string&) { return mine; };
  w.engine->SetOwnership(owns);
  w.Tick();
  w.Tick();
  REQUIRE(w.kube.status_writes >= kN);  // the first pass wrote every status
  auto echo = [&w] {                    // the watch delivers every object with its status as stored
    for (int i = 0; i < kN; ++i) {
      const std::string n = "g" + std::to_string(i);
      nlohmann::json obj = AutoscalerObject(n, n);
      obj["status"] = w.Status(n);
      w.Add(obj);
    }
  };
  echo();  // kept without the status it wrote itself
  // Lost; maybe its new owner's status comes back through the watch (the same: nothing changed).
  mine = false;
  w.engine->SetOwnership(owns);
  if (GENERATE(false, true)) echo();
  w.Tick();
  w.sources.rounds.clear();
  const int writes = w.kube.status_writes;

  SECTION("a shard gained") {
    mine = true;
    w.engine->SetOwnership(owns);
  }
  SECTION("leadership gained") {
    w.engine->SetLeading(false);
    mine = true;
    w.engine->SetOwnership(owns);
    w.engine->SetLeading(true);
  }
  // Every gained Autoscaler is due within ~1 ms each (200 ms for 200: spread so that thousands
  // are not one burst), not within the next interval.
  w.engine->RunDue(w.mono.Now() + Duration(kN));
  std::set<std::string> polled;
  for (const auto& round : w.sources.rounds) polled.insert(round.begin(), round.end());
  CHECK(polled == keys);
  CHECK(w.kube.status_writes == writes);
  // A change is still written (at its next slot: at most one interval and its spread on).
  w.sources.readings["jobs/g7"] = {Tasks(40)};
  w.Tick(16);
  CHECK(w.kube.status_writes == writes + 1);
  CHECK(w.kube.TargetOf("jobs", "Deployment", "g7").patches == 1);
}

TEST_CASE("leadership lost and regained with no watch event meanwhile: restored, nothing written",
          "[unit][reconcile]") {
  // While it leads, the engine keeps an Autoscaler's object without the status it wrote itself
  // (one copy, in the stored status); a restore falls back to that copy.
  World w;
  w.AddWorker("worker", Tasks(10));
  w.Tick();
  nlohmann::json echoed = AutoscalerObject("worker", "worker");
  echoed["status"] = w.Status("worker");
  w.Add(echoed);
  w.Tick();
  const int writes = w.kube.status_writes;
  REQUIRE(writes == 1);
  w.engine->SetLeading(false);
  w.Tick();
  w.engine->SetLeading(true);
  w.Tick(1);
  CHECK(w.kube.status_writes == writes);
}

TEST_CASE("an item whose shard was lost while it waited or polled writes nothing",
          "[unit][reconcile][shard]") {
  // Under overload a replica missed its renew deadline while items it had prepared still sat in
  // the work pool; they went on to patch and write status after another replica took the shard
  // (seen at 30,000 over three replicas): two writers for one target.
  World w;
  w.AddWorker("lost", Tasks(40));  // 8 workers' worth: a rescale if reconciled
  std::atomic<bool> mine{true};
  auto owns = [&mine](const std::string&) { return mine.load(); };
  w.engine->SetOwnership(owns);
  w.wall.Advance(Seconds(15));
  w.mono.Advance(Seconds(15));
  auto batches = w.engine->Prepare(w.engine->queue().PopDue(w.mono.Now(), 16));
  REQUIRE(batches.size() == 1);
  REQUIRE(batches[0].items.size() == 1);
  auto readings = w.engine->Poll(batches[0]);
  const int writes = w.kube.status_writes;
  mine = false;  // the shard's Lease is lost before the worker reaches Finish
  w.engine->Finish(*batches[0].items[0], std::move(readings[0]));
  w.engine->SetOwnership(owns);  // returns: the key is not held any more
  CHECK(w.kube.TargetOf("jobs", "Deployment", "lost").patches == 0);
  CHECK(w.kube.status_writes == writes);
  CHECK(w.engine->queue().size() == 0);
}

TEST_CASE("an item whose shard was lost before its poll is not polled, the others of its batch are",
          "[unit][reconcile][shard]") {
  // A hand-over waits for every taken item of the lost shard: polling them first made it wait
  // for their metric sources too.
  World w;
  w.AddWorker("kept", Tasks(40));
  w.AddWorker("lost", Tasks(40));
  std::atomic<bool> lost{false};
  auto owns = [&lost](const std::string& key) { return !(lost && key == "jobs/lost"); };
  w.engine->SetOwnership(owns);
  w.wall.Advance(Seconds(15));
  w.mono.Advance(Seconds(15));
  auto batches = w.engine->Prepare(w.engine->queue().PopDue(w.mono.Now(), 16));
  REQUIRE(batches.size() == 1);
  REQUIRE(batches[0].items.size() == 2);
  w.sources.rounds.clear();
  lost = true;
  auto readings = w.engine->Poll(batches[0]);
  REQUIRE(w.sources.rounds.size() == 1);
  CHECK(w.sources.rounds[0] == std::vector<std::string>{"jobs/kept"});
  REQUIRE(readings.size() == 2);
  for (std::size_t i = 0; i < 2; ++i)
    w.engine->Finish(*batches[0].items[i], std::move(readings[i]));
  CHECK(w.kube.TargetOf("jobs", "Deployment", "kept").patches == 1);
  CHECK(w.kube.TargetOf("jobs", "Deployment", "lost").patches == 0);
}

TEST_CASE("a reconcile taken more than an interval late goes on at its next slot, not at once",
          "[unit][reconcile]") {
  // It used to be due again at once: an overloaded replica reconciled everything twice in a row
  // and fell further behind (145,094 reconciles for 84,668 due at 10,000 after a start burst).
  World w;
  w.AddWorker("late", Tasks(10));
  w.Tick();
  REQUIRE(w.sources.rounds.size() == 1);
  w.sources.rounds.clear();
  w.wall.Advance(Seconds(40));  // a stall: the next reconcile is taken 25-40 s late
  w.mono.Advance(Seconds(40));
  w.engine->RunDue(w.mono.Now());
  CHECK(w.sources.rounds.size() == 1);
  w.engine->RunDue(w.mono.Now());
  CHECK(w.sources.rounds.size() == 1);  // not again at once
  w.wall.Advance(Seconds(15));
  w.mono.Advance(Seconds(15));
  w.engine->RunDue(w.mono.Now());
  CHECK(w.sources.rounds.size() == 2);  // its next slot came within one interval
}

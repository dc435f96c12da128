// The pure status function: (previous status, decision, write outcome) -> status, conditions and
// Events, read the way `kubectl describe` shows them.
#include "controller/live/status_report.h"

#include <catch2/catch.hpp>

#include "tests/live/describe.h"
#include "tests/support/builders.h"

using namespace ebb;
using namespace ebb::testing;

namespace {

class Target final : public runtime::ScaleTarget {
 public:
  explicit Target(int32_t replicas) : replicas_(replicas) {}
  Result<runtime::ScaleInfo> GetScale(Timestamp) override {
    if (get_error) return *get_error;
    return runtime::ScaleInfo{replicas_, replicas_, replicas_};
  }
  Result<void> SetReplicas(int32_t r, Timestamp) override {
    if (patch_error) return *patch_error;
    replicas_ = r;
    return {};
  }
  std::optional<Error> get_error, patch_error;

 private:
  int32_t replicas_;
};

api::Autoscaler Worker() {
  api::Autoscaler a;
  a.name = "worker";
  a.namespace_name = "jobs";
  a.target = {"apps/v1", "Deployment", "worker"};
  a.spec.min_replicas = 1;
  a.spec.max_replicas = 10;
  a.spec.metrics = {QueueMetric("backlog", 5)};
  return a;
}

struct Row {
  const char* name;
  int32_t replicas;
  std::optional<decision::MetricReading> reading;  // none: the metric failed
  bool dry_run = false;
  std::optional<Error> get_error, patch_error;
  std::set<std::string> failing_before;
  // Expected, as `kubectl describe` shows them.
  int32_t current, desired;
  std::string able_to_scale, ready;
  std::vector<std::string> events;  // reasons
};

}  // namespace

TEST_CASE("status table: AbleToScale, currentReplicas, Ready and Events after each outcome",
          "[unit][status]") {
  const Error conflict = MakeError(ErrorCode::kConflict, "the scale changed");
  const Error down = MakeError(ErrorCode::kUnavailable, "connection refused");
  const std::vector<Row> rows = {
      {"a successful rescale: SucceededRescale, the observed count as current",
       2,
       Value(40),
       false,
       {},
       {},
       {},
       2,
       4,
       "AbleToScale True SucceededRescale",
       "Ready True Reconciled",
       {"SuccessfulRescale"}},
      {"nothing to do: the decision's own AbleToScale, no Event",
       8,
       Value(40),
       false,
       {},
       {},
       {},
       8,
       8,
       "AbleToScale True ReadyForNewScale",
       "Ready True Reconciled",
       {}},
      {"dry run: a WouldRescale Event, the target's count as current",
       2,
       Value(40),
       true,
       {},
       {},
       {},
       2,
       4,
       "AbleToScale True ReadyForNewScale",
       "Ready True DryRun",
       {"WouldRescale"}},
      {"a failed patch: FailedUpdateScale and a FailedRescale Event each time",
       2,
       Value(40),
       false,
       {},
       conflict,
       {"FailedRescale"},
       2,
       4,
       "AbleToScale False FailedUpdateScale",
       "Ready False FailedRescale",
       {"FailedRescale"}},
      {"the scale cannot be read: FailedGetScale, an Event at the onset",
       2,
       Value(40),
       false,
       down,
       {},
       {},
       -1,
       -1,
       "AbleToScale False FailedGetScale",
       "Ready False FailedGetScale",
       {"FailedGetScale"}},
      {"the scale still cannot be read: no second Event",
       2,
       Value(40),
       false,
       down,
       {},
       {"FailedGetScale"},
       -1,
       -1,
       "AbleToScale False FailedGetScale",
       "Ready False FailedGetScale",
       {}},
      {"a metric fails: held, an Event at the onset",
       3,
       std::nullopt,
       false,
       {},
       {},
       {},
       3,
       3,
       "AbleToScale True SucceededGetScale",
       "Ready False FailedGetExternalMetric",
       {"FailedGetExternalMetric"}},
  };
  for (const Row& row : rows) {
    SECTION(row.name) {
      const api::Autoscaler a = Worker();
      Target target(row.replicas);
      target.get_error = row.get_error;
      target.patch_error = row.patch_error;
      runtime::Reconciler rec("jobs/worker", a.spec, {}, target);
      rec.set_dry_run(row.dry_run);
      live::StatusInput in;
      in.failing = row.failing_before;
      in.generation = 1;
      in.now = At(100);
      in.dry_run = row.dry_run;
      in.autoscaler = &a;
      in.outcome = rec.Reconcile(At(100), {row.reading ? *row.reading : Failed("refused")});
      in.decision = &rec.last_decision();
      in.state = &rec.state();
      const live::StatusReport r = live::BuildStatus(in);
      INFO(DescribeStatus(r.status));
      CHECK(r.status.value("currentReplicas", -1) == row.current);
      CHECK(r.status.value("desiredReplicas", -1) == row.desired);
      CHECK(ConditionLine(r.status, "AbleToScale") == row.able_to_scale);
      CHECK(ConditionLine(r.status, "Ready") == row.ready);
      std::vector<std::string> reasons;
      for (const auto& e : r.events) reasons.push_back(e.reason);
      CHECK(reasons == row.events);
      if (row.patch_error) CHECK(in.outcome.error->code == ErrorCode::kConflict);
    }
  }
}

TEST_CASE("status: the rescale Events say what was (or would be) done", "[unit][status]") {
  const api::Autoscaler a = Worker();
  Target target(2);
  runtime::Reconciler rec("jobs/worker", a.spec, {}, target);
  rec.set_dry_run(true);
  (void)rec.Reconcile(At(0), {Value(40)});
  const live::EventNote would = live::RescaleEvent(a, rec.last_decision(), true);
  CHECK(would.reason == "WouldRescale");
  CHECK(would.message.rfind("Dry run: would rescale from 2 to 4; reason: ", 0) == 0);
  const live::EventNote did = live::RescaleEvent(a, rec.last_decision(), false);
  CHECK(did.message.rfind("New size: 4; reason: ", 0) == 0);
}

TEST_CASE("status: ScalingLimited keeps its last value while a metric fails", "[unit][status]") {
  const api::Autoscaler a = Worker();
  Target target(10);
  runtime::Reconciler rec("jobs/worker", a.spec, {}, target);
  live::StatusInput in;
  in.generation = 1;
  in.autoscaler = &a;
  // 100 tasks / 5 = 20 wanted, capped at maxReplicas 10: ScalingLimited True TooManyReplicas.
  in.now = At(0);
  in.outcome = rec.Reconcile(At(0), {Value(100)});
  in.decision = &rec.last_decision();
  in.state = &rec.state();
  const nlohmann::json limited = live::BuildStatus(in).status;
  REQUIRE(ConditionLine(limited, "ScalingLimited") == "ScalingLimited True TooManyReplicas");

  in.previous = limited;
  in.now = At(30);
  in.outcome = rec.Reconcile(At(30), {Failed("connection refused")});
  const nlohmann::json failing = live::BuildStatus(in).status;
  INFO(DescribeStatus(failing));
  CHECK(ConditionLine(failing, "ScalingActive") == "ScalingActive False FailedGetExternalMetric");
  CHECK(ConditionLine(failing, "ScalingLimited") == "ScalingLimited True TooManyReplicas");
  nlohmann::json before, after;
  for (const auto& c : limited["conditions"])
    if (c["type"] == "ScalingLimited") before = c;
  for (const auto& c : failing["conditions"])
    if (c["type"] == "ScalingLimited") after = c;
  CHECK(before == after);  // as stored: its transition time and message too
}

TEST_CASE("status: a refused target, an invalid spec and a contained throw", "[unit][status]") {
  live::StatusInput in;
  in.generation = 2;
  in.now = At(0);
  in.previous = {{"currentReplicas", 3},
                 {"conditions",
                  {{{"type", "ScalingActive"},
                    {"status", "True"},
                    {"reason", "ValidMetricFound"},
                    {"message", "m"},
                    {"lastTransitionTime", "2027-01-15T08:00:00Z"}}}}};
  SECTION("conflict") {
    in.kind = live::StatusInput::Kind::kConflict;
    in.message = "Deployment worker is also scaled by HorizontalPodAutoscaler jobs/native";
    const auto r = live::BuildStatus(in);
    CHECK(ConditionLine(r.status, "AbleToScale") == "AbleToScale False AmbiguousScaleTarget");
    CHECK(r.status["currentReplicas"] == 3);
    REQUIRE(r.events.size() == 1);
    CHECK(r.events[0].reason == "AmbiguousScaleTarget");
    in.failing = r.failing;
    CHECK(live::BuildStatus(in).events.empty());  // once, at the onset
  }
  SECTION("invalid spec") {
    in.kind = live::StatusInput::Kind::kInvalidSpec;
    in.message = "spec.maxReplicas: must be at least 1";
    const auto r = live::BuildStatus(in);
    CHECK(ConditionLine(r.status, "Ready") == "Ready False InvalidSpec");
    CHECK_FALSE(r.status.contains("currentReplicas"));
  }
  SECTION("contained") {
    in.kind = live::StatusInput::Kind::kContained;
    in.message = "boom";
    const auto r = live::BuildStatus(in);
    CHECK(ConditionLine(r.status, "Ready") == "Ready False ReconcileError");
    CHECK(ConditionLine(r.status, "ScalingActive") == "ScalingActive True ValidMetricFound");
  }
}

namespace {

// One decided input over `reading`, from a target at `replicas`, the failing set as the
// previous reconcile left it (as the engine carries it).
struct Decided {
  api::Autoscaler a = Worker();
  Target target;
  runtime::Reconciler rec;
  live::StatusInput in;
  Decided(int32_t replicas, decision::MetricReading reading, int64_t at_s = 100)
      : target(replicas), rec("jobs/worker", a.spec, {}, target) {
    in.generation = 1;
    in.now = At(at_s);
    in.autoscaler = &a;
    in.outcome = rec.Reconcile(At(at_s), {reading});
    in.decision = &rec.last_decision();
    in.state = &rec.state();
  }
};

}  // namespace

TEST_CASE("status digest: equal digests mean the stored status is built again unchanged",
          "[unit][status]") {
  // The engine skips parsing and building the status when the digest equals the one the stored
  // status was built from; that is right only if building it again from itself changes nothing
  // and records no Event, whatever `now` is.
  struct Case {
    const char* name;
    int32_t replicas;
    decision::MetricReading reading;
  };
  const std::vector<Case> cases = {
      {"steady, within range", 8, Value(40)},
      {"capped at maxReplicas (ScalingLimited True)", 10, Value(100)},
      {"a metric failing", 3, Failed("connection refused")},
  };
  for (const Case& c : cases) {
    SECTION(c.name) {
      Decided d(c.replicas, c.reading);
      const live::StatusReport first = live::BuildStatus(d.in);
      d.in.failing = first.failing;
      const auto digest = live::StatusDigest(d.in);
      REQUIRE(digest);
      d.in.previous = first.status;
      d.in.now = At(100 + 3600);  // an hour on: no condition time may move
      const live::StatusReport again = live::BuildStatus(d.in);
      INFO(DescribeStatus(again.status));
      CHECK(again.status == first.status);
      CHECK(again.events.empty());
      CHECK(live::StatusDigest(d.in) == digest);
    }
  }
}

TEST_CASE("status digest: every input the status shows changes it", "[unit][status]") {
  Decided base(8, Value(40));
  base.in.failing = live::BuildStatus(base.in).failing;
  const auto digest = live::StatusDigest(base.in);
  REQUIRE(digest);
  SECTION("the metric's value (currentMetrics, targets)") {
    Decided d(8, Value(41));
    CHECK(live::StatusDigest(d.in) != digest);
  }
  SECTION("the observed replica count") {
    Decided d(9, Value(40));
    d.in.failing = base.in.failing;
    const auto other = live::StatusDigest(d.in);
    CHECK(other != digest);
  }
  SECTION("the generation") {
    base.in.generation = 2;
    CHECK(live::StatusDigest(base.in) != digest);
  }
  SECTION("shadow mode (the Ready condition)") {
    base.in.dry_run = true;
    CHECK(live::StatusDigest(base.in) != digest);
  }
  SECTION("the decision state to persist") {
    base.in.persisted_state = R"({"recommendations":[]})";
    CHECK(live::StatusDigest(base.in) != digest);
  }
  SECTION("a condition (capped at maxReplicas: ScalingLimited)") {
    Decided d(10, Value(100));
    d.in.failing = base.in.failing;
    CHECK(live::StatusDigest(d.in) != digest);
  }
  SECTION("not reusable: an Event to record, a failing set that changed, another kind") {
    Decided failing(8, Failed("connection refused"));
    CHECK_FALSE(live::StatusDigest(failing.in));  // the onset's Warning Event
    Decided rescale(2, Value(40));
    CHECK_FALSE(live::StatusDigest(rescale.in));  // SuccessfulRescale
    base.in.failing = {"FailedGetScale"};         // recovered: the failing set shrinks
    CHECK_FALSE(live::StatusDigest(base.in));
    base.in.failing.clear();
    base.in.kind = live::StatusInput::Kind::kContained;
    CHECK_FALSE(live::StatusDigest(base.in));
  }
}

// What the API server (or anything in front of it) sends, run through every reader of Kubernetes
// objects at once: an Autoscaler as watched (spec, stored decision state, conditions), a Scale, a
// PodList and a PodMetricsList, an APIResourceList (discovery), and a failed call's body as a
// metav1.Status. Each reader skips or refuses what it cannot use; none throws or invents values.
#include <cstddef>
#include <cstdint>
#include <string>

#include "controller/api/autoscaler.h"
#include "controller/api/state_json.h"
#include "controller/kube/discovery.h"
#include "controller/kube/kube_client.h"
#include "controller/kube/resource_metrics.h"
#include "controller/kube/scale_target.h"
#include "controller/live/status.h"
#include "fuzz/fuzz_check.h"

namespace {

using ebb::fuzz::Check;
using ebb::fuzz::CheckDumps;
using ebb::fuzz::CheckError;

void Autoscaler(const nlohmann::json& obj) {
  const auto a = ebb::api::ParseAutoscaler(obj);
  CheckError(a);
  if (a) {
    Check(a->spec.min_replicas <= a->spec.max_replicas, "minReplicas above maxReplicas");
    Check(a->sources.size() == a->spec.metrics.size(), "sources and metrics differ in number");
  }
  if (!obj.is_object()) return;
  const auto status = obj.find("status");
  if (status == obj.end() || !status->is_object()) return;
  if (const auto st = status->find("decisionState"); st != status->end()) {
    const auto state = ebb::api::StateFromJson(*st, "status.decisionState");
    CheckError(state);
    if (state) CheckDumps(ebb::api::StateToJson(*state));
  }
  if (const auto conds = status->find("conditions"); conds != status->end()) {
    const std::vector<ebb::decision::Condition> now = {
        {"AbleToScale", true, "SucceededGetScale", "ok"}, {"Active", false, "Idle", "0 <= 0"}};
    CheckDumps(ebb::live::ConditionsJson(now, *conds, 3, ebb::FromUnixMillis(1'700'000'000'000)));
  }
}

void Scale(const nlohmann::json& obj) {
  const auto s = ebb::kube::ParseScale(obj);
  CheckError(s);
  if (s) {
    Check(s->info.spec_replicas >= 0 && s->info.status_replicas >= 0, "negative replicas");
    CheckDumps(nlohmann::json{{"selector", s->selector}, {"rv", s->resource_version}});
  }
}

void Pods(const nlohmann::json& obj) {
  for (const auto& p : ebb::kube::PodsFromList(obj)) {
    CheckDumps(nlohmann::json{{"pod", p.name}});
    for (const auto& r : p.requests) Check(r.milli >= 0, "a negative request");
  }
  ebb::decision::MetricSpec cpu;
  cpu.type = ebb::decision::SourceType::kResource;
  cpu.resource = "cpu";
  ebb::decision::MetricSpec memory = cpu;
  memory.type = ebb::decision::SourceType::kContainerResource;
  memory.resource = "memory";
  memory.container = "app";
  for (const auto* m : {&cpu, &memory}) {
    const auto r = ebb::kube::ReadingFromPodMetrics(obj, *m);
    Check(r.ok == !r.pod_samples.empty(), "a reading that is ok without samples");
    Check(r.sample_window.count() >= 0, "a negative metrics window");
  }
}

void Discovery(const nlohmann::json& obj) {
  for (const char* gv : {"apps/v1", "v1"})
    for (const auto& [kind, ref] : ebb::kube::ParseApiResourceList(obj, gv)) {
      Check(!kind.empty() && !ref.resource.empty(), "a kind or resource without a name");
      CheckDumps(nlohmann::json{{"path", ref.ObjectPath("default", "web")}});
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ebb;
  const std::string_view text = fuzz::AsText(data, size);
  // A failed call's body is quoted whatever it is (an HTML page from a proxy, a Status).
  for (const long status : {403L, 503L}) {  // NOLINT(google-runtime-int)
    const std::string msg =
        kube::DescribeFailure(kube::Verb::kGet, "/apis/apps/v1/namespaces/default/deployments/web",
                              kube::ApiResponse{status, std::string(text)});
    fuzz::CheckMessage(msg);
    fuzz::Check(msg.size() <= 4096, "a failure message that quotes too much", msg);
  }
  const auto obj = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (obj.is_discarded()) return 0;
  Autoscaler(obj);
  Scale(obj);
  Pods(obj);
  Discovery(obj);
  return 0;
}

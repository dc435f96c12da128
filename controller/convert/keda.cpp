#include "controller/convert/keda.h"

#include "controller/convert/common.h"
#include "controller/convert/keda_triggers.h"

namespace ebb::convert {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

constexpr const char* kKedaPrefix = "autoscaling.keda.sh/";

std::optional<ordered_json> Trigger(TriggerContext& ctx, const json& t, size_t i) {
  const std::string at = "triggers[" + std::to_string(i) + "]";
  if (!t.is_object()) {
    ctx.Warn(at + ": not an object; dropped");
    return std::nullopt;
  }
  const std::string type = t.value("type", std::string());
  const json md = t.value("metadata", json::object());
  if (t.value("useCachedMetrics", false)) {
    ctx.Warn(at + ": useCachedMetrics is not needed: ebb reads each metric once per poll");
  }
  const auto& table = TriggerConverters();
  if (auto it = table.find(type); it != table.end()) return it->second(ctx, t, md, at);
  std::string known;
  for (const auto& [name, fn] : table) known += (known.empty() ? "" : ", ") + name;
  ctx.Warn(at + ": trigger type \"" + type + "\" is not supported by ebb (" + known +
           "); dropped. If Prometheus has this metric, a Prometheus metric can replace it");
  return std::nullopt;
}

}  // namespace

Result<Conversion> ConvertScaledObject(const json& doc, const std::vector<json>& auths) {
  Converter c("ScaledObject " + ObjectName(doc));
  const json md0 = doc.value("metadata", json::object());
  TriggerContext ctx(c, StringField(md0, "namespace"), auths);
  const std::string who = "ScaledObject " + ObjectName(doc);
  const json spec = doc.value("spec", json::object());
  if (!spec.is_object() || !spec.contains("scaleTargetRef") ||
      !spec["scaleTargetRef"].is_object() || !spec["scaleTargetRef"].contains("name")) {
    return MakeError(ErrorCode::kInvalidConfig, who + ": spec.scaleTargetRef.name is required");
  }
  ordered_json out = BaseDocument(doc);
  // Pause annotations.
  const json md = doc.value("metadata", json::object());
  const json ann = md.is_object() ? md.value("annotations", json::object()) : json::object();
  ordered_json annotations = ordered_json::object();
  if (ann.is_object()) {
    for (const auto& [k, v] : ann.items()) {
      if (k.rfind(kKedaPrefix, 0) != 0) continue;
      const std::string what = k.substr(std::string(kKedaPrefix).size());
      const std::string value = v.is_string() ? v.get<std::string>() : v.dump();
      if (what == "paused" || what == "paused-replicas") {
        annotations["ebb.dev/" + what] = value;
      } else if (what == "paused-scale-in" || what == "paused-scale-out") {
        c.Warn("annotation " + k + " is not converted: set behavior." +
               (what == "paused-scale-in" ? "scaleDown" : "scaleUp") +
               ".selectPolicy: Disabled for the same effect");
      } else {
        c.Warn("annotation " + k + " has no ebb equivalent; dropped");
      }
    }
  }
  if (!annotations.empty()) out["metadata"]["annotations"] = annotations;

  const json ref = spec["scaleTargetRef"];
  if (ref.contains("envSourceContainerName")) {
    c.Warn(
        "scaleTargetRef.envSourceContainerName: ebb reads *FromEnv secrets from its own "
        "environment, not the target's");
  }
  ordered_json s;
  s["scaleTargetRef"] = TargetRef(ref, "Deployment");

  ordered_json metrics = ordered_json::array();
  const json triggers = spec.value("triggers", json::array());
  for (size_t i = 0; triggers.is_array() && i < triggers.size(); ++i) {
    if (auto m = Trigger(ctx, triggers[i], i)) metrics.push_back(*m);
  }
  if (metrics.empty()) {
    std::string why;
    for (const auto& w : c.TakeWarnings()) why += "\n  " + w;
    return MakeError(
        ErrorCode::kInvalidConfig,
        who + ": no trigger ebb can scale on (Prometheus, Redis, RabbitMQ, cpu, memory):" + why);
  }

  // KEDA's defaults differ from ebb's: minReplicaCount 0, maxReplicaCount 100, pollingInterval
  // 30; they are written out so the Autoscaler behaves the same.
  int64_t min = spec.value("minReplicaCount", int64_t{0});
  if (min == 0 && !ctx.can_idle()) {
    c.Warn("minReplicaCount 0 with only cpu/memory triggers cannot scale to zero; using 1");
    min = 1;
  }
  s["minReplicas"] = min;
  s["maxReplicas"] = spec.value("maxReplicaCount", int64_t{100});
  s["pollingInterval"] = spec.value("pollingInterval", int64_t{30});
  if (spec.contains("cooldownPeriod")) s["cooldownPeriod"] = spec["cooldownPeriod"];
  if (spec.contains("initialCooldownPeriod")) {
    s["initialCooldownPeriod"] = spec["initialCooldownPeriod"];
  }
  if (spec.contains("idleReplicaCount")) s["idleReplicas"] = spec["idleReplicaCount"];
  s["metrics"] = metrics;

  const json advanced = spec.value("advanced", json::object());
  if (advanced.is_object()) {
    const json hpa = advanced.value("horizontalPodAutoscalerConfig", json::object());
    if (hpa.is_object() && hpa.contains("behavior") && hpa["behavior"].is_object()) {
      s["behavior"] = ToOrdered(hpa["behavior"]);
    }
    if (hpa.is_object() && hpa.contains("name")) {
      c.Warn("advanced.horizontalPodAutoscalerConfig.name: ebb creates no HPA; ignored");
    }
    if (advanced.contains("scalingModifiers")) {
      c.Warn(
          "advanced.scalingModifiers (formula) is not supported: the converted metrics are "
          "combined like an HPA does (the highest proposal wins). Review the targets, or "
          "compute the formula in one Prometheus query");
    }
    if (advanced.value("restoreToOriginalReplicaCount", false)) {
      c.Warn(
          "advanced.restoreToOriginalReplicaCount: deleting an Autoscaler leaves the current "
          "replica count");
    }
  }
  if (spec.contains("fallback") && spec["fallback"].is_object()) {
    const json& f = spec["fallback"];
    ordered_json fb;
    fb["failureThreshold"] = f.value("failureThreshold", json(3));
    fb["replicas"] = f.value("replicas", json(0));
    const std::string behavior = f.value("behavior", std::string("static"));
    if (behavior == "scalingModifiers") {
      c.Warn("fallback.behavior scalingModifiers is not supported; using static");
    } else if (behavior != "static") {
      fb["behavior"] = behavior;
    }
    s["fallback"] = fb;
  }
  out["spec"] = s;
  c.Warn(
      "delete the ScaledObject once the Autoscaler is applied (KEDA's HPA and ebb would both "
      "scale " +
      s["scaleTargetRef"]["kind"].get<std::string>() + "/" +
      s["scaleTargetRef"]["name"].get<std::string>() +
      "); without advanced.restoreToOriginalReplicaCount the replicas stay where they are");
  return Conversion{out, c.TakeWarnings()};
}

}  // namespace ebb::convert

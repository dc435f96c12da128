#include "controller/convert/hpa.h"

#include <set>

#include "controller/convert/common.h"

namespace ebb::convert {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

// autoscaling/v2beta1 metric -> v2 metric.
// A v2beta1 Object/External target: an AverageValue when `average_key` is set, else a Value.
ordered_json V2Beta1Target(const json& b, const char* average_key) {
  ordered_json t;
  if (b.contains(average_key)) {
    t["type"] = "AverageValue";
    t["averageValue"] = ToOrdered(b[average_key]);
  } else {
    t["type"] = "Value";
    t["value"] = ToOrdered(b.value("targetValue", json("0")));
  }
  return t;
}

std::optional<ordered_json> V2Beta1Metric(const json& m, Converter& c, size_t i) {
  const std::string type = m.value("type", std::string());
  auto average_or_util = [](const json& b) {
    ordered_json t;
    if (b.contains("targetAverageUtilization")) {
      t["type"] = "Utilization";
      t["averageUtilization"] = b["targetAverageUtilization"];
    } else {
      t["type"] = "AverageValue";
      t["averageValue"] = ToOrdered(b.value("targetAverageValue", json("0")));
    }
    return t;
  };
  ordered_json out;
  out["type"] = type;
  if (type == "Resource" || type == "ContainerResource") {
    const bool container = type == "ContainerResource";
    const json b = m.value(container ? "containerResource" : "resource", json::object());
    ordered_json r;
    r["name"] = b.value("name", std::string());
    if (container) r["container"] = b.value("container", std::string());
    r["target"] = average_or_util(b);
    out[container ? "containerResource" : "resource"] = r;
    return out;
  }
  if (type == "Pods") {
    const json b = m.value("pods", json::object());
    ordered_json p;
    p["metric"]["name"] = b.value("metricName", std::string());
    if (b.contains("selector")) p["metric"]["selector"] = ToOrdered(b["selector"]);
    p["target"]["type"] = "AverageValue";
    p["target"]["averageValue"] = ToOrdered(b.value("targetAverageValue", json("0")));
    out["pods"] = p;
    return out;
  }
  if (type == "Object") {
    const json b = m.value("object", json::object());
    ordered_json o;
    o["describedObject"] = ToOrdered(b.value("target", json::object()));
    o["metric"]["name"] = b.value("metricName", std::string());
    if (b.contains("selector")) o["metric"]["selector"] = ToOrdered(b["selector"]);
    o["target"] = V2Beta1Target(b, "averageValue");
    out["object"] = o;
    return out;
  }
  if (type == "External") {
    const json b = m.value("external", json::object());
    ordered_json e;
    e["metric"]["name"] = b.value("metricName", std::string());
    if (b.contains("metricSelector")) e["metric"]["selector"] = ToOrdered(b["metricSelector"]);
    e["target"] = V2Beta1Target(b, "targetAverageValue");
    out["external"] = e;
    return out;
  }
  c.Warn("spec.metrics[" + std::to_string(i) + "]: metric type \"" + type +
         "\" is not supported; dropped");
  return std::nullopt;
}

}  // namespace

Result<Conversion> ConvertHpa(const json& doc) {
  const std::string api = doc.value("apiVersion", std::string());
  Converter c("HorizontalPodAutoscaler " + ObjectName(doc));
  if (!doc.contains("spec") || !doc["spec"].is_object() ||
      !doc["spec"].contains("scaleTargetRef") || !doc["spec"]["scaleTargetRef"].is_object() ||
      !doc["spec"]["scaleTargetRef"].contains("name")) {
    return MakeError(ErrorCode::kInvalidConfig, "HorizontalPodAutoscaler " + ObjectName(doc) +
                                                    ": spec.scaleTargetRef is required");
  }
  const json& spec = doc["spec"];
  ordered_json out = BaseDocument(doc);
  ordered_json s;
  s["scaleTargetRef"] = TargetRef(spec["scaleTargetRef"], "Deployment");
  if (spec.contains("minReplicas")) s["minReplicas"] = spec["minReplicas"];
  s["maxReplicas"] = spec.value("maxReplicas", json(1));
  if (api == "autoscaling/v1") {
    if (spec.contains("targetCPUUtilizationPercentage")) {
      ordered_json m;
      m["type"] = "Resource";
      m["resource"]["name"] = "cpu";
      m["resource"]["target"]["type"] = "Utilization";
      m["resource"]["target"]["averageUtilization"] = spec["targetCPUUtilizationPercentage"];
      s["metrics"] = ordered_json::array({m});
    }
    const json md = doc.value("metadata", json::object());
    const json ann = md.value("annotations", json::object());
    if (ann.is_object() && ann.contains("autoscaling.alpha.kubernetes.io/metrics")) {
      c.Warn(
          "the autoscaling.alpha.kubernetes.io/metrics annotation is not converted; convert the "
          "autoscaling/v2 form of this HPA (kubectl get hpa NAME -o yaml shows v2) instead");
    }
  } else if (spec.contains("metrics") && spec["metrics"].is_array()) {
    ordered_json metrics = ordered_json::array();
    const json& in = spec["metrics"];
    for (size_t i = 0; i < in.size(); ++i) {
      const json& m = in[i];
      const std::string type = m.value("type", std::string());
      if (api == "autoscaling/v2beta1") {
        if (auto v = V2Beta1Metric(m, c, i)) metrics.push_back(*v);
        continue;
      }
      static const std::set<std::string> kTypes = {"Resource", "ContainerResource", "Pods",
                                                   "Object", "External"};
      if (kTypes.count(type) == 0) {
        c.Warn("spec.metrics[" + std::to_string(i) + "]: metric type \"" + type +
               "\" is not supported; dropped");
        continue;
      }
      metrics.push_back(ToOrdered(m));
    }
    if (metrics.empty()) {
      return MakeError(ErrorCode::kInvalidConfig,
                       "HorizontalPodAutoscaler " + ObjectName(doc) + ": no metric ebb can use");
    }
    s["metrics"] = metrics;
  }
  if (spec.contains("behavior") && spec["behavior"].is_object()) {
    s["behavior"] = ToOrdered(spec["behavior"]);
  }
  out["spec"] = s;
  c.Warn("delete the HPA once the Autoscaler is applied: both would scale " +
         s["scaleTargetRef"]["kind"].get<std::string>() + "/" +
         s["scaleTargetRef"]["name"].get<std::string>() + " (ebb reports the conflict)");
  return Conversion{out, c.TakeWarnings()};
}

}  // namespace ebb::convert

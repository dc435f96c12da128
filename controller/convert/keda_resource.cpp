// KEDA cpu / memory triggers -> Resource or ContainerResource metrics.
#include <sstream>

#include "controller/base/text.h"
#include "controller/convert/keda_triggers.h"

namespace ebb::convert {

using nlohmann::json;
using nlohmann::ordered_json;

std::optional<ordered_json> ResourceTrigger(TriggerContext& ctx, const json& t, const json& md,
                                            const std::string& at) {
  const std::string resource = t.value("type", std::string());
  std::string metric_type = t.value("metricType", std::string());
  if (metric_type.empty()) metric_type = Meta(md, "type").value_or("Utilization");
  auto value = Meta(md, "value");
  if (!value) {
    ctx.Warn(at + ": " + resource + " trigger without metadata.value; dropped");
    return std::nullopt;
  }
  ordered_json target;
  if (metric_type == "Utilization") {
    target["type"] = "Utilization";
    auto percent = WholeInt32(*value);
    if (!percent) {
      ctx.Warn(at + ": utilization \"" + SafeText(*value) + "\" is not an integer in [0, " +
               std::to_string(INT32_MAX) + "]; dropped");
      return std::nullopt;
    }
    target["averageUtilization"] = *percent;
  } else {
    target["type"] = "AverageValue";
    target["averageValue"] = Quantity(*value);
  }
  ordered_json m;
  const auto container = Meta(md, "containerName");
  if (container) {
    m["type"] = "ContainerResource";
    m["containerResource"]["name"] = resource;
    m["containerResource"]["container"] = *container;
    m["containerResource"]["target"] = target;
  } else {
    m["type"] = "Resource";
    m["resource"]["name"] = resource;
    m["resource"]["target"] = target;
  }
  const std::string wanted = t.value("name", resource);
  const std::string name = ctx.UniqueName(wanted);
  if (name != resource) m["name"] = name;
  return m;
}

}  // namespace ebb::convert

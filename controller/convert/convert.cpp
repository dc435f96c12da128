#include "controller/convert/convert.h"

#include "controller/convert/common.h"
#include "controller/convert/hpa.h"
#include "controller/convert/keda.h"

namespace ebb::convert {

using nlohmann::json;

std::string KindOf(const json& doc) {
  return StringField(doc, "kind");
}

bool IsConvertible(const json& doc) {
  if (!doc.is_object()) return false;
  const std::string kind = StringField(doc, "kind");
  const std::string api = StringField(doc, "apiVersion");
  return (kind == "HorizontalPodAutoscaler" && api.rfind("autoscaling/", 0) == 0) ||
         (kind == "ScaledObject" && api.rfind("keda.sh/", 0) == 0);
}

Result<Conversion> Convert(const json& doc, const std::vector<json>& trigger_auths) {
  if (!IsConvertible(doc)) {
    return MakeError(ErrorCode::kInvalidConfig,
                     "not a HorizontalPodAutoscaler (autoscaling/*) or ScaledObject (keda.sh/*)");
  }
  if (!doc.contains("metadata") || !doc["metadata"].is_object() ||
      !doc["metadata"].contains("name") || !doc["metadata"]["name"].is_string()) {
    return MakeError(ErrorCode::kInvalidConfig,
                     doc.value("kind", std::string()) + ": metadata.name is required");
  }
  try {
    if (doc["kind"] == "HorizontalPodAutoscaler") return ConvertHpa(doc);
    return ConvertScaledObject(doc, trigger_auths);
  } catch (const json::exception& e) {
    // A field of the wrong JSON type (e.g. a list where an object belongs).
    return MakeError(ErrorCode::kInvalidConfig, doc.value("kind", std::string()) + " " +
                                                    ObjectName(doc) + ": malformed: " + e.what());
  }
}

}  // namespace ebb::convert

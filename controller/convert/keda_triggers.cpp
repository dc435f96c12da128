#include "controller/convert/keda_triggers.h"

namespace ebb::convert {

using nlohmann::json;
using nlohmann::ordered_json;

const std::map<std::string, TriggerConverter>& TriggerConverters() {
  // One line per KEDA trigger type ebb converts.
  static const std::map<std::string, TriggerConverter> kTable = {
      {"cpu", ResourceTrigger},
      {"memory", ResourceTrigger},
      {"prometheus", PrometheusTrigger},
      {"rabbitmq", RabbitMQTrigger},
      {"redis", RedisListTrigger},
      {"redis-cluster", RedisClusterListTrigger},
      {"redis-cluster-streams", RedisClusterStreamTrigger},
      {"redis-sentinel", RedisSentinelListTrigger},
      {"redis-sentinel-streams", RedisSentinelStreamTrigger},
      {"redis-streams", RedisStreamTrigger},
  };
  return kTable;
}

std::string TriggerContext::UniqueName(const std::string& wanted) {
  std::string name = wanted.empty() ? "metric" : wanted;
  for (int n = 2; names_.count(name) != 0; ++n) name = wanted + "-" + std::to_string(n);
  names_.insert(name);
  return name;
}

ordered_json TriggerContext::Target(const json& t, const std::string& value,
                                    bool allow_value_type) {
  ordered_json target;
  const std::string type = t.value("metricType", std::string("AverageValue"));
  if (type == "Value" && allow_value_type) {
    target["type"] = "Value";
    target["value"] = Quantity(value);
  } else {
    target["type"] = "AverageValue";
    target["averageValue"] = Quantity(value);
  }
  return target;
}

void TriggerContext::CarryAuth(const json& t, const std::string& at,
                               const std::vector<Credential>& fields, ordered_json& block) {
  convert::CarryAuth(c_, t, ns_, auths_, at, fields, block);
}

}  // namespace ebb::convert

// KEDA trigger -> Autoscaler metric. Each trigger type is one function; TriggerConverters() is
// the table that names them, so adding a trigger type is one function and one line there.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "controller/convert/common.h"
#include "controller/convert/keda_auth.h"

namespace ebb::convert {

// What every trigger converter shares within one ScaledObject.
class TriggerContext {
 public:
  TriggerContext(Converter& c, std::string ns, const std::vector<nlohmann::json>& auths)
      : c_(c), ns_(std::move(ns)), auths_(auths) {}

  void Warn(const std::string& what) { c_.Warn(what); }
  // The metric's name, made unique within the Autoscaler ("rps", "rps-2").
  std::string UniqueName(const std::string& wanted);
  // KEDA's metricType (AverageValue unless Value is given and allowed) with `value`.
  nlohmann::ordered_json Target(const nlohmann::json& trigger, const std::string& value,
                                bool allow_value_type);
  // The trigger's authenticationRef carried into `block` (keda_auth.h).
  void CarryAuth(const nlohmann::json& trigger, const std::string& at,
                 const std::vector<Credential>& fields, nlohmann::ordered_json& block);
  // A metric that can become inactive exists (so minReplicaCount 0 can stay 0).
  void MarkCanIdle() { can_idle_ = true; }
  bool can_idle() const { return can_idle_; }

 private:
  Converter& c_;
  std::string ns_;
  const std::vector<nlohmann::json>& auths_;
  std::set<std::string> names_;
  bool can_idle_ = false;
};

// One trigger (`at` is "triggers[2]", `metadata` its metadata map) -> one metric of the
// Autoscaler's spec.metrics, or nullopt when it is dropped (after a warning saying why).
using TriggerConverter = std::optional<nlohmann::ordered_json> (*)(TriggerContext& ctx,
                                                                   const nlohmann::json& trigger,
                                                                   const nlohmann::json& metadata,
                                                                   const std::string& at);

std::optional<nlohmann::ordered_json> ResourceTrigger(TriggerContext&, const nlohmann::json&,
                                                      const nlohmann::json&, const std::string&);
std::optional<nlohmann::ordered_json> PrometheusTrigger(TriggerContext&, const nlohmann::json&,
                                                        const nlohmann::json&, const std::string&);
std::optional<nlohmann::ordered_json> RedisListTrigger(TriggerContext&, const nlohmann::json&,
                                                       const nlohmann::json&, const std::string&);
std::optional<nlohmann::ordered_json> RedisStreamTrigger(TriggerContext&, const nlohmann::json&,
                                                         const nlohmann::json&, const std::string&);

std::optional<nlohmann::ordered_json> RedisClusterListTrigger(TriggerContext&,
                                                              const nlohmann::json&,
                                                              const nlohmann::json&,
                                                              const std::string&);
std::optional<nlohmann::ordered_json> RedisClusterStreamTrigger(TriggerContext&,
                                                                const nlohmann::json&,
                                                                const nlohmann::json&,
                                                                const std::string&);
std::optional<nlohmann::ordered_json> RedisSentinelListTrigger(TriggerContext&,
                                                               const nlohmann::json&,
                                                               const nlohmann::json&,
                                                               const std::string&);
std::optional<nlohmann::ordered_json> RedisSentinelStreamTrigger(TriggerContext&,
                                                                 const nlohmann::json&,
                                                                 const nlohmann::json&,
                                                                 const std::string&);
std::optional<nlohmann::ordered_json> RabbitMQTrigger(TriggerContext&, const nlohmann::json&,
                                                      const nlohmann::json&, const std::string&);

// KEDA trigger type ("redis-streams") -> its converter.
const std::map<std::string, TriggerConverter>& TriggerConverters();

}  // namespace ebb::convert

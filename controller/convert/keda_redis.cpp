// KEDA redis (lists) and redis-streams triggers -> Redis metrics.
#include <sstream>

#include "controller/base/text.h"
#include "controller/convert/keda_triggers.h"

namespace ebb::convert {

using nlohmann::json;
using nlohmann::ordered_json;

namespace {

std::optional<ordered_json> Redis(TriggerContext& ctx, const json& t, const json& md,
                                  const std::string& at, bool stream) {
  ordered_json r;
  std::string address;
  if (auto a = Meta(md, "address")) {
    address = *a;
  } else if (auto h = Meta(md, "host")) {
    address = *h + ":" + Meta(md, "port").value_or("6379");
  }
  for (const char* env : {"addressFromEnv", "hostFromEnv", "portFromEnv"}) {
    if (auto e = Meta(md, env)) {
      ctx.Warn(at + ": " + env + " \"" + *e +
               "\" read the address from the target's env; ebb needs it literally in "
               "redis.address");
    }
  }
  if (address.empty()) {
    ctx.Warn(at + ": redis trigger without address (or host and port); dropped");
    return std::nullopt;
  }
  r["address"] = address;
  if (auto db = Meta(md, "databaseIndex"); db && *db != "0") {
    if (auto index = WholeInt32(*db)) {
      r["db"] = *index;
    } else {
      ctx.Warn(at + ": databaseIndex \"" + SafeText(*db) + "\" is not an integer in [0, " +
               std::to_string(INT32_MAX) + "]; dropped");
    }
  }
  if (IsTrue(Meta(md, "enableTLS")) || IsTrue(Meta(md, "unsafeSsl"))) {
    ctx.Warn(at +
             ": enableTLS/unsafeSsl: ebb connects to Redis without TLS; put a TLS proxy in "
             "front or keep this workload on KEDA");
  }
  if (auto u = Meta(md, "usernameFromEnv")) {
    ctx.Warn(at + ": usernameFromEnv \"" + *u +
             "\" was read from the target's env; set redis.username literally");
  }
  if (auto p = Meta(md, "passwordFromEnv")) {
    r["passwordFromEnv"] = *p;
    ctx.Warn(at + ": passwordFromEnv \"" + *p +
             "\" now names an env var of the ebb controller (KEDA read the target container's); "
             "add it to the controller's Deployment");
  }
  std::string value;
  if (stream) {
    auto s = Meta(md, "stream");
    if (!s) {
      ctx.Warn(at + ": redis-streams trigger without stream; dropped");
      return std::nullopt;
    }
    r["stream"] = *s;
    if (auto lag = Meta(md, "lagCount")) {
      ctx.Warn(at + ": lagCount (consumer group lag) is not supported; dropped");
      return std::nullopt;
    }
    if (auto g = Meta(md, "consumerGroup")) {
      r["consumerGroup"] = *g;
      r["streamMetric"] = "Pending";
      value = Meta(md, "pendingEntriesCount").value_or("5");
    } else {
      r["streamMetric"] = "Length";
      value = Meta(md, "streamLength").value_or("5");
    }
    if (auto a = Meta(md, "activationLagCount")) {
      ctx.Warn(at + ": activationLagCount \"" + *a + "\" is not supported; dropped");
    }
  } else {
    auto list = Meta(md, "listName");
    if (!list) {
      ctx.Warn(at + ": redis trigger without listName; dropped");
      return std::nullopt;
    }
    r["lists"] = ordered_json::array({*list});
    value = Meta(md, "listLength").value_or("5");
    if (*list == "celery") {
      ctx.Warn(at +
               ": list \"celery\" looks like a Celery queue: `celery: {queues: [celery]}` instead "
               "of `lists` also counts the priority sub-queues Celery creates");
    }
  }
  ctx.CarryAuth(t, at,
                {{"password", "passwordFromEnv", ""},
                 {"username", "", "set redis.username literally on the metric"},
                 {"host", "", "set redis.address literally"},
                 {"address", "", "set redis.address literally"},
                 {"port", "", "set redis.address literally"},
                 {"tls", "", "TLS is not supported by ebb's Redis client"},
                 {"ca", "", "TLS is not supported by ebb's Redis client"},
                 {"cert", "", "TLS is not supported by ebb's Redis client"},
                 {"key", "", "TLS is not supported by ebb's Redis client"}},
                r);
  r["target"] = ctx.Target(t, value, true);
  const char* activation = stream ? nullptr : "activationListLength";
  if (activation != nullptr) {
    if (auto a = Meta(md, activation)) r["activationThreshold"] = Quantity(*a);
  }
  ordered_json m;
  m["type"] = "Redis";
  const std::string base = stream ? "stream-" + r["stream"].get<std::string>()
                                  : "redis-" + r["lists"][0].get<std::string>();
  m["name"] = ctx.UniqueName(t.value("name", base));
  m["redis"] = r;
  ctx.MarkCanIdle();
  return m;
}

}  // namespace

std::optional<ordered_json> RedisListTrigger(TriggerContext& ctx, const json& t, const json& md,
                                             const std::string& at) {
  return Redis(ctx, t, md, at, false);
}

std::optional<ordered_json> RedisStreamTrigger(TriggerContext& ctx, const json& t, const json& md,
                                               const std::string& at) {
  return Redis(ctx, t, md, at, true);
}

}  // namespace ebb::convert

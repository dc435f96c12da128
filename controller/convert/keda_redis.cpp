// KEDA redis / redis-cluster / redis-sentinel (lists) and redis-streams / redis-cluster-streams /
// redis-sentinel-streams triggers -> Redis metrics. An address that is a Celery broker URL
// (redis://:pw@host:6379/0, rediss://..., or sentinel://...;sentinel://...) is taken apart into the
// block's fields.
#include <sstream>

#include "controller/base/text.h"
#include "controller/convert/keda_triggers.h"
#include "scalers/sentinel.h"

namespace ebb::convert {

using nlohmann::json;
using nlohmann::ordered_json;

namespace {

enum class Topology { kSingle, kCluster, kSentinel };

std::vector<std::string> SplitComma(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string part; std::getline(ss, part, ',');) {
    while (!part.empty() && part.front() == ' ') part.erase(part.begin());
    while (!part.empty() && part.back() == ' ') part.pop_back();
    if (!part.empty()) out.push_back(part);
  }
  return out;
}

// The env var the controller reads a password from when it sat in a URL: the trigger's own
// passwordFromEnv when it has one.
std::string PasswordEnv(const json& md) {
  return Meta(md, "passwordFromEnv").value_or("REDIS_PASSWORD");
}

// A redis:// or rediss:// URL with a user, password or db (Celery's broker_url) -> address, db,
// username, passwordFromEnv. false (after a warning) when the URL cannot be read.
bool RedisUrlInto(TriggerContext& ctx, const std::string& at, const std::string& url,
                  const json& md, ordered_json& r) {
  const bool tls = url.rfind("rediss://", 0) == 0;
  std::string rest = url.substr(tls ? 9 : 8);
  if (auto q = rest.find_first_of("?#"); q != std::string::npos) {
    ctx.Warn(at + ": the address's query string \"" + SafeText(rest.substr(q)) +
             "\" is not carried over (ebb has its own tls and timeout fields)");
    rest = rest.substr(0, q);
  }
  std::string path;
  if (auto slash = rest.find('/'); slash != std::string::npos) {
    path = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
  }
  if (auto at_sign = rest.rfind('@'); at_sign != std::string::npos) {
    const std::string userinfo = rest.substr(0, at_sign);
    rest = rest.substr(at_sign + 1);
    const auto colon = userinfo.find(':');
    const std::string user = userinfo.substr(0, colon);
    if (!user.empty()) r["username"] = user;
    if (colon != std::string::npos && colon + 1 < userinfo.size()) {
      r["passwordFromEnv"] = PasswordEnv(md);
      ctx.Warn(at +
               ": the address's password is not copied into the Autoscaler: it is read "
               "from passwordFromEnv " +
               PasswordEnv(md) + ", an env var of the ebb controller; set it there");
    }
  }
  if (rest.find(':') == std::string::npos || rest.back() == ']') rest += ":6379";
  if (!scalers::ParseHostPort(rest)) {
    ctx.Warn(at + ": address \"" + SafeText(url) + "\" is not a Redis URL ebb can read; dropped");
    return false;
  }
  r["address"] = (tls ? "rediss://" : "") + rest;
  if (!path.empty() && path != "0") {
    if (auto db = WholeInt32(path)) {
      r["db"] = *db;
    } else {
      ctx.Warn(at + ": the address's path \"/" + SafeText(path) + "\" is not a db number; dropped");
    }
  }
  return true;
}

// The address part of the block: cluster seeds, a sentinel:// broker URL, a redis:// URL or
// host:port. false when there is none (warned).
bool AddressInto(TriggerContext& ctx, const json& md, const std::string& at, Topology topology,
                 ordered_json& r) {
  const char* kind = topology == Topology::kCluster    ? "redis-cluster"
                     : topology == Topology::kSentinel ? "redis-sentinel"
                                                       : "redis";
  for (const char* env : {"addressFromEnv", "addressesFromEnv", "hostFromEnv", "hostsFromEnv",
                          "portFromEnv", "portsFromEnv"}) {
    if (auto e = Meta(md, env)) {
      ctx.Warn(at + ": " + env + " \"" + *e +
               "\" read the address from the target's env; ebb needs it literally in the redis "
               "block");
    }
  }
  if (topology != Topology::kSingle) {
    // Cluster seeds or the sentinels: `addresses`, or `hosts` with `ports`, comma-separated.
    std::vector<std::string> seeds;
    if (auto a = Meta(md, "addresses")) {
      seeds = SplitComma(*a);
    } else if (auto h = Meta(md, "hosts")) {
      const auto hosts = SplitComma(*h);
      const auto ports = SplitComma(Meta(md, "ports").value_or(""));
      if (hosts.size() != ports.size()) {
        ctx.Warn(at + ": " + kind + " hosts and ports differ in number; dropped");
        return false;
      }
      for (std::size_t i = 0; i < hosts.size(); ++i) seeds.push_back(hosts[i] + ":" + ports[i]);
    }
    ordered_json addresses = ordered_json::array();
    for (const auto& s : seeds) {
      if (!scalers::ParseHostPort(s)) {
        ctx.Warn(at + ": " + (topology == Topology::kCluster ? "cluster node" : "sentinel") +
                 " \"" + SafeText(s) + "\" is not host:port; left out");
        continue;
      }
      addresses.push_back(s);
    }
    if (addresses.empty()) {
      ctx.Warn(at + ": " + kind + " trigger without addresses (or hosts and ports); dropped");
      return false;
    }
    if (topology == Topology::kCluster) {
      r["cluster"] = {{"addresses", addresses}};
      return true;
    }
    auto master = Meta(md, "sentinelMaster");
    if (!master || master->empty()) {
      ctx.Warn(at + ": redis-sentinel trigger without sentinelMaster (the master's name); dropped");
      return false;
    }
    ordered_json sentinel;
    sentinel["masterName"] = *master;
    sentinel["addresses"] = addresses;
    // The sentinels' own credentials, when KEDA read them from the target's env.
    for (const auto& [meta, field] : {std::pair{"sentinelUsernameFromEnv", "usernameFromEnv"},
                                      std::pair{"sentinelPasswordFromEnv", "passwordFromEnv"}}) {
      if (auto e = Meta(md, meta)) {
        sentinel[field] = *e;
        ctx.Warn(at + ": " + meta + " \"" + *e + "\" is now sentinel." + field +
                 ", an env var of the ebb controller (KEDA read the target container's); add "
                 "it to the controller's Deployment");
      }
    }
    r["sentinel"] = sentinel;
    return true;
  }
  std::string address;
  if (auto a = Meta(md, "address")) {
    address = *a;
  } else if (auto h = Meta(md, "host")) {
    address = *h + ":" + Meta(md, "port").value_or("6379");
  }
  if (address.empty()) {
    ctx.Warn(at + ": " + kind + " trigger without address (or host and port); dropped");
    return false;
  }
  if (address.rfind("sentinel://", 0) == 0) {
    // Celery's Sentinel broker URL; the master's name is broker_transport_options' master_name.
    std::string master = Meta(md, "sentinelMaster").value_or(Meta(md, "masterName").value_or(""));
    auto block = scalers::SentinelBrokerUrlToRedis(address, master, PasswordEnv(md));
    if (!block) {
      ctx.Warn(at + ": address: " + block.error().message +
               (master.empty() ? " (give it as the trigger's sentinelMaster)" : "") + "; dropped");
      return false;
    }
    for (auto& [k, v] : block->redis.items()) r[k] = ToOrdered(v);
    if (block->password_in_url) {
      ctx.Warn(at +
               ": the sentinel:// URL's password (kombu gives it to the master) is read "
               "from passwordFromEnv " +
               PasswordEnv(md) + ", an env var of the ebb controller; set it there");
    }
    return true;
  }
  if (address.rfind("redis://", 0) == 0 || address.rfind("rediss://", 0) == 0) {
    return RedisUrlInto(ctx, at, address, md, r);
  }
  r["address"] = address;
  return true;
}

std::optional<ordered_json> Redis(TriggerContext& ctx, const json& t, const json& md,
                                  const std::string& at, Topology topology, bool stream) {
  ordered_json r;
  if (!AddressInto(ctx, md, at, topology, r)) return std::nullopt;
  if (auto db = Meta(md, "databaseIndex"); db && *db != "0") {
    if (topology == Topology::kCluster) {
      ctx.Warn(at + ": databaseIndex \"" + SafeText(*db) +
               "\": a Redis Cluster has only db 0; dropped");
    } else if (auto index = WholeInt32(*db)) {
      r["db"] = *index;
    } else {
      ctx.Warn(at + ": databaseIndex \"" + SafeText(*db) + "\" is not an integer in [0, " +
               std::to_string(INT32_MAX) + "]; dropped");
    }
  }
  // KEDA: enableTLS turns TLS on; unsafeSsl skips verifying the server (with TLS only).
  const bool url_tls =
      r.contains("address") && r["address"].get<std::string>().rfind("rediss://", 0) == 0;
  if (IsTrue(Meta(md, "enableTLS")) && !url_tls) r["tls"] = ordered_json::object();
  if (IsTrue(Meta(md, "unsafeSsl"))) {
    if (r.contains("tls") || url_tls) {
      r["tls"]["insecureSkipVerify"] = true;
    } else {
      ctx.Warn(at + ": unsafeSsl without enableTLS has no effect; dropped");
    }
  }
  if (auto u = Meta(md, "usernameFromEnv")) {
    r["usernameFromEnv"] = *u;
    ctx.Warn(at + ": usernameFromEnv \"" + *u +
             "\" now names an env var of the ebb controller (KEDA read the target container's); "
             "add it to the controller's Deployment");
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
  const std::string tls_files = "mount it into the controller and set it in redis.tls";
  std::vector<Credential> fields = {{"password", "passwordFromEnv", ""},
                                    {"username", "usernameFromEnv", ""},
                                    {"host", "", "set the address literally"},
                                    {"address", "", "set the address literally"},
                                    {"addresses", "", "set redis.cluster.addresses literally"},
                                    {"hosts", "", "set redis.cluster.addresses literally"},
                                    {"port", "", "set the address literally"},
                                    {"ports", "", "set redis.cluster.addresses literally"},
                                    {"tls", "", "set redis.tls (tls: {} turns TLS on)"},
                                    {"ca", "", "caFile: " + tls_files, "tls.caSecretKeyRef"},
                                    {"cert", "", "certFile: " + tls_files, "tls.certSecretKeyRef"},
                                    {"key", "", "keyFile: " + tls_files, "tls.keySecretKeyRef"}};
  if (topology == Topology::kSentinel) {
    // The sentinels' own ACL user and password (a plain trigger has no sentinels to give them).
    fields.push_back({"sentinelUsername", "sentinel.usernameFromEnv", ""});
    fields.push_back({"sentinelPassword", "sentinel.passwordFromEnv", ""});
  }
  ctx.CarryAuth(t, at, fields, r);
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
  return Redis(ctx, t, md, at, Topology::kSingle, false);
}

std::optional<ordered_json> RedisStreamTrigger(TriggerContext& ctx, const json& t, const json& md,
                                               const std::string& at) {
  return Redis(ctx, t, md, at, Topology::kSingle, true);
}

std::optional<ordered_json> RedisClusterListTrigger(TriggerContext& ctx, const json& t,
                                                    const json& md, const std::string& at) {
  return Redis(ctx, t, md, at, Topology::kCluster, false);
}

std::optional<ordered_json> RedisClusterStreamTrigger(TriggerContext& ctx, const json& t,
                                                      const json& md, const std::string& at) {
  return Redis(ctx, t, md, at, Topology::kCluster, true);
}

std::optional<ordered_json> RedisSentinelListTrigger(TriggerContext& ctx, const json& t,
                                                     const json& md, const std::string& at) {
  return Redis(ctx, t, md, at, Topology::kSentinel, false);
}

std::optional<ordered_json> RedisSentinelStreamTrigger(TriggerContext& ctx, const json& t,
                                                       const json& md, const std::string& at) {
  return Redis(ctx, t, md, at, Topology::kSentinel, true);
}

}  // namespace ebb::convert

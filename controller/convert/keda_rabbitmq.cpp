// KEDA rabbitmq trigger -> RabbitMQ metric. ebb reads the management HTTP API only; KEDA also
// spoke AMQP, where a queue's count is its ready messages (a passive declare's message count
// leaves out the unacknowledged ones), so an AMQP trigger becomes mode Ready on the management
// API of the same host.
#include <cctype>

#include "controller/base/text.h"
#include "controller/convert/keda_triggers.h"

namespace ebb::convert {

using nlohmann::json;
using nlohmann::ordered_json;

namespace {

std::string PercentDecode(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

struct Host {
  bool amqp = false;      // amqp:// or amqps://
  bool tls = false;       // amqps:// or https://
  std::string hostport;   // "rabbit:5672"
  std::string prefix;     // http: the path before the vhost ("/rabbitmq")
  std::string vhost;      // "" when the URL names none
  bool password = false;  // the URL carries a password
  std::string username;
};

std::optional<Host> ParseHost(const std::string& url) {
  Host h;
  std::string rest;
  for (const auto& [scheme, amqp, tls] :
       {std::tuple{"amqp://", true, false}, std::tuple{"amqps://", true, true},
        std::tuple{"http://", false, false}, std::tuple{"https://", false, true}}) {
    if (url.rfind(scheme, 0) == 0) {
      h.amqp = amqp;
      h.tls = tls;
      rest = url.substr(std::string(scheme).size());
    }
  }
  if (rest.empty()) return std::nullopt;
  if (auto q = rest.find_first_of("?#"); q != std::string::npos) rest = rest.substr(0, q);
  std::string path;
  if (auto slash = rest.find('/'); slash != std::string::npos) {
    path = rest.substr(slash);
    rest = rest.substr(0, slash);
  }
  if (auto at = rest.rfind('@'); at != std::string::npos) {
    const std::string userinfo = rest.substr(0, at);
    const auto colon = userinfo.find(':');
    h.username = PercentDecode(userinfo.substr(0, colon));
    h.password = colon != std::string::npos && colon + 1 < userinfo.size();
    rest = rest.substr(at + 1);
  }
  if (rest.empty()) return std::nullopt;
  h.hostport = rest;
  // KEDA: the last path segment is the vhost; for http what precedes it is the API's prefix.
  if (!path.empty()) {
    const auto last = path.rfind('/');
    h.vhost = PercentDecode(path.substr(last + 1));
    h.prefix = path.substr(0, last);
  }
  return h;
}

}  // namespace

std::optional<ordered_json> RabbitMQTrigger(TriggerContext& ctx, const json& t, const json& md,
                                            const std::string& at) {
  ordered_json r;
  if (auto e = Meta(md, "hostFromEnv")) {
    ctx.Warn(at + ": hostFromEnv \"" + *e +
             "\" read the connection string from the target's env; ebb needs the management "
             "API's URL literally in rabbitmq.serverAddress; dropped");
    return std::nullopt;
  }
  auto host_text = Meta(md, "host");
  if (!host_text) {
    ctx.Warn(at +
             ": rabbitmq trigger without host (KEDA may take it from the TriggerAuthentication, "
             "where it holds the password): write the management API's URL as "
             "rabbitmq.serverAddress, the user as username and the password as passwordFromEnv; "
             "dropped");
    return std::nullopt;
  }
  auto host = ParseHost(*host_text);
  if (!host) {
    ctx.Warn(at + ": host \"" + SafeText(*host_text) +
             "\" is not an amqp(s):// or http(s):// URL; dropped");
    return std::nullopt;
  }
  std::string protocol = Meta(md, "protocol").value_or("auto");
  const bool amqp = protocol == "amqp" || (protocol != "http" && host->amqp);
  if (host->amqp) {
    // The management API listens beside AMQP: 15672, 15671 with TLS.
    std::string h = host->hostport;
    const auto colon = h.rfind(':');
    if (colon != std::string::npos && h.back() != ']') h = h.substr(0, colon);
    r["serverAddress"] =
        std::string(host->tls ? "https://" : "http://") + h + (host->tls ? ":15671" : ":15672");
    ctx.Warn(at + ": ebb reads RabbitMQ's management API, not AMQP: serverAddress " +
             r["serverAddress"].get<std::string>() +
             " assumes the management plugin on its default port on the same host; check it");
  } else {
    r["serverAddress"] =
        std::string(host->tls ? "https://" : "http://") + host->hostport + host->prefix;
  }
  std::string vhost = host->vhost;
  if (auto v = Meta(md, "vhostName")) vhost = *v;
  if (!vhost.empty() && vhost != "/") r["vhost"] = vhost;

  auto queue = Meta(md, "queueName");
  if (!queue) {
    ctx.Warn(at + ": rabbitmq trigger without queueName; dropped");
    return std::nullopt;
  }
  if (auto op = Meta(md, "operation")) {
    ctx.Warn(at + ": operation \"" + SafeText(*op) +
             "\" (how useRegex's queues combine) is not carried over: ebb sums its queues");
  }
  if (Meta(md, "pageSize")) {
    ctx.Warn(at + ": pageSize (useRegex's page) is not carried over");
  }
  if (IsTrue(Meta(md, "useRegex"))) {
    ctx.Warn(at + ": useRegex: queueName \"" + SafeText(*queue) +
             "\" is a pattern; ebb reads named queues only: list them in rabbitmq.queues; "
             "dropped");
    return std::nullopt;
  }
  r["queues"] = ordered_json::array({*queue});

  // mode and value; the deprecated queueLength is QueueLength with that value; neither is
  // QueueLength 20 (KEDA's default).
  std::string mode = Meta(md, "mode").value_or("");
  std::string value = Meta(md, "value").value_or("");
  if (mode.empty() && value.empty()) {
    mode = "QueueLength";
    value = Meta(md, "queueLength").value_or("20");
  }
  if (value.empty()) {
    ctx.Warn(at + ": rabbitmq trigger with mode but no value; dropped");
    return std::nullopt;
  }
  const bool exclude_unacked = IsTrue(Meta(md, "excludeUnacknowledged"));
  if (mode == "QueueLength") {
    if (exclude_unacked) {
      r["mode"] = "Ready";
    } else if (amqp) {
      r["mode"] = "Ready";
      ctx.Warn(at +
               ": over AMQP KEDA counted the ready messages only; mode Ready keeps that "
               "(QueueLength would add the unacknowledged ones)");
    } else {
      r["mode"] = "QueueLength";
    }
  } else if (mode == "MessageRate") {
    r["mode"] = "PublishRate";
  } else if (mode == "DeliverGetRate") {
    r["mode"] = "DeliverRate";
  } else {
    ctx.Warn(at + ": mode \"" + SafeText(mode) +
             "\" has no ebb equivalent (QueueLength, MessageRate, DeliverGetRate do); dropped");
    return std::nullopt;
  }
  if (!host->username.empty()) r["username"] = host->username;
  if (auto p = Meta(md, "passwordFromEnv")) {
    r["passwordFromEnv"] = *p;
    ctx.Warn(at + ": passwordFromEnv \"" + *p +
             "\" now names an env var of the ebb controller (KEDA read the target container's); "
             "add it to the controller's Deployment");
  } else if (host->password) {
    r["passwordFromEnv"] = "RABBITMQ_PASSWORD";
    ctx.Warn(at +
             ": the host URL's password is not copied into the Autoscaler: it is read from "
             "passwordFromEnv RABBITMQ_PASSWORD, an env var of the ebb controller; set it there");
  }
  if (auto u = Meta(md, "usernameFromEnv")) {
    ctx.Warn(at + ": usernameFromEnv \"" + *u +
             "\" was read from the target's env; set rabbitmq.username literally");
  }
  if (IsTrue(Meta(md, "unsafeSsl"))) {
    if (r["serverAddress"].get<std::string>().rfind("https://", 0) == 0) {
      r["tls"]["insecureSkipVerify"] = true;
    } else {
      ctx.Warn(at + ": unsafeSsl on an http:// serverAddress has no effect; dropped");
    }
  }
  if (auto to = Meta(md, "timeout")) {
    const bool digits = !to->empty() && to->find_first_not_of("0123456789") == std::string::npos;
    r["timeout"] = digits ? *to + "ms" : *to;  // KEDA: milliseconds, or a Go duration
  }
  for (const char* other : {"workloadIdentityResource", "apiHost", "includeUnacked"}) {
    if (Meta(md, other)) ctx.Warn(at + ": " + other + " is not carried over");
  }
  ctx.CarryAuth(
      t, at,
      {{"password", "passwordFromEnv", ""},
       {"username", "usernameFromEnv", ""},
       {"host", "", "it holds the connection URL: write rabbitmq.serverAddress literally"},
       {"vhostName", "", "set rabbitmq.vhost literally"},
       {"ca", "", "mount the CA into the controller and set rabbitmq.tls.caFile",
        "tls.caSecretKeyRef"},
       {"cert", "", "mount the client certificate into the controller and set it in rabbitmq.tls",
        "tls.certSecretKeyRef"},
       {"key", "", "mount the client key into the controller and set it in rabbitmq.tls",
        "tls.keySecretKeyRef"},
       {"keyPassword", "", "use an unencrypted key"},
       {"tls", "", "use an https:// serverAddress"}},
      r);
  if (r.contains("passwordFromEnv") && !r.contains("username") && !r.contains("usernameFromEnv") &&
      !r.contains("usernameSecretKeyRef")) {
    ctx.Warn(
        at + ": passwordFromEnv " + r["passwordFromEnv"].dump() +
        " is left out because no user name was given for it; add rabbitmq.username to the metric");
    r.erase("passwordFromEnv");
  }
  r["target"] = ctx.Target(t, value, true);
  if (auto a = Meta(md, "activationValue")) r["activationThreshold"] = Quantity(*a);
  ordered_json m;
  m["type"] = "RabbitMQ";
  m["name"] = ctx.UniqueName(t.value("name", "rabbitmq-" + *queue));
  m["rabbitmq"] = r;
  ctx.MarkCanIdle();
  return m;
}

}  // namespace ebb::convert

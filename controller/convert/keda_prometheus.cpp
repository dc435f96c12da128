// KEDA prometheus trigger -> Prometheus metric.
#include <sstream>

#include "controller/base/text.h"
#include "controller/convert/keda_triggers.h"

namespace ebb::convert {

using nlohmann::json;
using nlohmann::ordered_json;

std::optional<ordered_json> PrometheusTrigger(TriggerContext& ctx, const json& t, const json& md,
                                              const std::string& at) {
  auto server = Meta(md, "serverAddress");
  auto query = Meta(md, "query");
  auto threshold = Meta(md, "threshold");
  if (!server || !query || !threshold) {
    ctx.Warn(at + ": prometheus trigger needs serverAddress, query and threshold; dropped");
    return std::nullopt;
  }
  ordered_json p;
  p["serverAddress"] = *server;
  p["query"] = *query;
  if (auto ns = Meta(md, "namespace")) {
    p["namespace"] = *ns;
    ctx.Warn(at + ": namespace \"" + *ns +
             "\": KEDA sent it as the namespace= query parameter, ebb sends it as the "
             "X-Scope-OrgID header (Cortex/Mimir/Thanos tenancy); check your Prometheus accepts "
             "that");
  }
  if (auto h = Meta(md, "customHeaders")) {
    ordered_json headers = ordered_json::object();
    std::stringstream ss(*h);
    std::string kv;
    while (std::getline(ss, kv, ',')) {
      const auto eq = kv.find('=');
      if (eq == std::string::npos) continue;
      auto trim = [](std::string s) {
        while (!s.empty() && s.front() == ' ') s.erase(s.begin());
        while (!s.empty() && s.back() == ' ') s.pop_back();
        return s;
      };
      headers[trim(kv.substr(0, eq))] = trim(kv.substr(eq + 1));
    }
    if (!headers.empty()) p["customHeaders"] = headers;
  }
  if (IsTrue(Meta(md, "unsafeSsl"))) {
    if (server->rfind("https://", 0) == 0) {
      p["tls"]["insecureSkipVerify"] = true;
    } else {
      ctx.Warn(at + ": unsafeSsl on an http:// serverAddress has no effect; dropped");
    }
  }
  if (auto to = Meta(md, "timeout")) {
    const bool digits = !to->empty() && to->find_first_not_of("0123456789") == std::string::npos;
    p["timeout"] = digits ? *to + "ms" : *to;  // KEDA: milliseconds, or a Go duration
  }
  const auto ignore_null = Meta(md, "ignoreNullValues");
  if (!ignore_null || IsTrue(ignore_null)) {
    ctx.Warn(at +
             ": KEDA turned an empty query result into 0 (ignoreNullValues, default true); ebb "
             "counts it as a failed read (fallback applies). Add emptyAsZero: true to the "
             "prometheus block to keep KEDA's behaviour");
  }
  if (Meta(md, "queryParameters")) {
    ctx.Warn(at + ": queryParameters are not supported; dropped");
  }
  for (const char* cloud : {"awsRegion", "identityOwner", "cloudID"}) {
    if (Meta(md, cloud)) {
      ctx.Warn(at + ": " + cloud + " (cloud-managed Prometheus auth) is not supported; dropped");
    }
  }
  if (auto modes = Meta(md, "authModes")) {
    ctx.Warn(at + ": authModes \"" + *modes + "\": configure the prometheus block's auth/tls");
  }
  ctx.CarryAuth(
      t, at,
      {{"bearerToken", "auth.bearerTokenFromEnv", ""},
       {"username", "auth.usernameFromEnv", ""},
       {"password", "auth.passwordFromEnv", ""},
       {"ca", "", "mount the CA into the controller and set tls.caFile on the metric",
        "tls.caSecretKeyRef"},
       {"cert", "", "mount the client certificate into the controller and set tls.certFile",
        "tls.certSecretKeyRef"},
       {"key", "", "mount the client key into the controller and set tls.keyFile",
        "tls.keySecretKeyRef"},
       {"customAuthHeader", "", "set customHeaders on the metric (not Authorization)"},
       {"customAuthValue", "", "set customHeaders on the metric (not Authorization)"}},
      p);
  for (const char* pw : {"passwordFromEnv", "passwordSecretKeyRef"}) {
    if (p.contains("auth") && p["auth"].contains(pw) && !p["auth"].contains("username") &&
        !p["auth"].contains("usernameFromEnv") && !p["auth"].contains("usernameSecretKeyRef")) {
      // Basic auth without the (literal) user name would not validate: the user completes it.
      ctx.Warn(
          at + ": basic auth: auth." + pw + " " + p["auth"][pw].dump() +
          " is left out because no user name was given for it; add auth.username to the metric");
      p["auth"].erase(pw);
      if (p["auth"].empty()) p.erase("auth");
    }
  }
  p["target"] = ctx.Target(t, *threshold, true);
  if (auto a = Meta(md, "activationThreshold")) p["activationThreshold"] = Quantity(*a);
  ordered_json m;
  m["type"] = "Prometheus";
  m["name"] = ctx.UniqueName(t.value("name", std::string("prometheus")));
  m["prometheus"] = p;
  ctx.MarkCanIdle();
  return m;
}

}  // namespace ebb::convert

#include "controller/convert/convert.h"

#include <cctype>
#include <charconv>
#include <cstdint>
#include <map>
#include <set>
#include <sstream>

#include "controller/base/text.h"

namespace ebb::convert {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

constexpr const char* kKedaPrefix = "autoscaling.keda.sh/";

// One conversion's output and warnings; `who` prefixes every warning ("ScaledObject jobs/worker").
class Converter {
 public:
  explicit Converter(std::string who) : who_(std::move(who)) {}

  void Warn(const std::string& what) { warnings_.push_back(who_ + ": " + what); }
  std::vector<std::string> TakeWarnings() { return std::move(warnings_); }

 private:
  std::string who_;
  std::vector<std::string> warnings_;
};

// KEDA trigger metadata is map[string]string; YAML sometimes gives numbers or booleans.
std::optional<std::string> Meta(const json& metadata, const std::string& key) {
  auto it = metadata.find(key);
  if (it == metadata.end() || it->is_null()) return std::nullopt;
  if (it->is_string()) return it->get<std::string>();
  if (it->is_boolean()) return std::string(it->get<bool>() ? "true" : "false");
  return it->dump();
}

// The whole text as a non-negative int32 (std::stoi took "50%" as 50 and threw on 2^31).
std::optional<int32_t> WholeInt32(const std::string& s) {
  int32_t v = 0;
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, v);
  if (ec != std::errc() || ptr != end || v < 0) return std::nullopt;
  return v;
}

bool IsTrue(const std::optional<std::string>& v) {
  if (!v) return false;
  std::string s = *v;
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s == "true" || s == "1" || s == "yes";
}

// KEDA quantities are strings ("5", "0.5"); ebb's schema wants strings or integers.
ordered_json Quantity(const std::string& s) {
  return ordered_json(s);
}

ordered_json ToOrdered(const json& j) {
  return ordered_json(j);  // nlohmann converts between its JSON types directly
}

// A string member, or "" when absent or of another type (a hostile document may put anything).
std::string StringField(const json& obj, const char* key) {
  if (!obj.is_object()) return {};
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string ObjectName(const json& doc) {
  const json md = doc.is_object() ? doc.value("metadata", json::object()) : json::object();
  std::string ns = StringField(md, "namespace");
  std::string name = StringField(md, "name");
  return (ns.empty() ? std::string() : ns + "/") + (name.empty() ? "?" : name);
}

ordered_json BaseDocument(const json& doc) {
  ordered_json out;
  out["apiVersion"] = "ebb.dev/v1alpha1";
  out["kind"] = "Autoscaler";
  ordered_json md = ordered_json::object();
  const json& in = doc.at("metadata");
  md["name"] = in.at("name");
  if (in.contains("namespace")) md["namespace"] = in["namespace"];
  if (in.contains("labels") && in["labels"].is_object() && !in["labels"].empty()) {
    md["labels"] = ToOrdered(in["labels"]);
  }
  out["metadata"] = md;
  return out;
}

ordered_json TargetRef(const json& ref, const char* default_kind) {
  ordered_json out;
  out["apiVersion"] = ref.value("apiVersion", std::string("apps/v1"));
  out["kind"] = ref.value("kind", std::string(default_kind));
  out["name"] = ref.at("name");
  return out;
}

// ---- HorizontalPodAutoscaler -------------------------------------------------------------

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

// ---- KEDA ScaledObject -------------------------------------------------------------------

std::string EnvName(const std::string& s) {
  std::string out;
  for (char ch : s) {
    const auto u = static_cast<unsigned char>(ch);
    out += std::isalnum(u) ? static_cast<char>(std::toupper(u)) : '_';
  }
  return out;
}

// What a TriggerAuthentication provides for each parameter: "secret NAME key KEY" etc.
std::map<std::string, std::string> AuthParameters(const json& ta) {
  std::map<std::string, std::string> out;
  const json spec = ta.value("spec", json::object());
  for (const auto& s : spec.value("secretTargetRef", json::array())) {
    const std::string secret = s.value("name", std::string());
    const std::string key = s.value("key", std::string());
    out[s.value("parameter", std::string())] = "Secret " + secret + " key " + key + "; e.g. env " +
                                               EnvName(secret + "_" + key) +
                                               " on the ebb controller from that Secret key";
  }
  for (const auto& e : spec.value("env", json::array())) {
    out[e.value("parameter", std::string())] =
        "the target's env var " + e.value("name", std::string());
  }
  if (spec.contains("hashiCorpVault")) out["*"] = "HashiCorp Vault";
  if (spec.contains("podIdentity")) out["*"] = "pod identity";
  return out;
}

class KedaConverter {
 public:
  KedaConverter(const json& doc, const std::vector<json>& auths)
      : doc_(doc), auths_(auths), c_("ScaledObject " + ObjectName(doc)) {}

  Result<Conversion> Run();

 private:
  std::optional<ordered_json> Trigger(const json& t, size_t i);
  std::optional<ordered_json> Resource(const json& t, const json& md, const std::string& at);
  std::optional<ordered_json> Prometheus(const json& t, const json& md, const std::string& at);
  std::optional<ordered_json> Redis(const json& t, const json& md, const std::string& at,
                                    bool stream);
  void Auth(const json& t, const std::string& at,
            const std::map<std::string, std::string>& ebb_field_for);
  ordered_json Target(const json& t, const std::string& value, bool allow_value_type);
  std::string UniqueName(const std::string& wanted);

  const json& doc_;
  const std::vector<json>& auths_;
  Converter c_;
  std::set<std::string> names_;
  bool has_inactive_capable_ = false;
};

std::string KedaConverter::UniqueName(const std::string& wanted) {
  std::string name = wanted.empty() ? "metric" : wanted;
  for (int n = 2; names_.count(name) != 0; ++n) name = wanted + "-" + std::to_string(n);
  names_.insert(name);
  return name;
}

ordered_json KedaConverter::Target(const json& t, const std::string& value, bool allow_value_type) {
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

void KedaConverter::Auth(const json& t, const std::string& at,
                         const std::map<std::string, std::string>& ebb_field_for) {
  if (!t.contains("authenticationRef")) return;
  const json ref = t["authenticationRef"];
  const std::string name = ref.value("name", std::string());
  const std::string kind = ref.value("kind", std::string("TriggerAuthentication"));
  std::map<std::string, std::string> given;
  bool found = false;
  for (const json& a : auths_) {
    if (a.value("kind", std::string()) == kind && a.contains("metadata") &&
        a["metadata"].value("name", std::string()) == name) {
      given = AuthParameters(a);
      found = true;
    }
  }
  std::string msg = at + ": authenticationRef " + kind + "/" + name +
                    " is not carried over (ebb reads no Secrets; it takes secrets from its own "
                    "environment or files).";
  if (given.count("*") != 0) {
    msg += " It uses " + given["*"] + ", which ebb does not support.";
  }
  for (const auto& [param, source] : given) {
    if (param == "*") continue;
    auto f = ebb_field_for.find(param);
    if (f == ebb_field_for.end()) {
      msg += " Parameter \"" + param + "\" (" + source + ") has no ebb equivalent.";
      continue;
    }
    msg += " For \"" + param + "\" (" + source + "): " + f->second + ".";
  }
  if (!found) {
    msg += " Give the ebb controller the secret as an env var or a mounted file and set ";
    std::string fields;
    for (const auto& [param, field] : ebb_field_for) {
      fields += (fields.empty() ? "" : "; ") + param + " -> " + field;
    }
    msg += fields.empty() ? "the metric's *FromEnv/*File field." : fields + ".";
  }
  c_.Warn(msg);
}

std::optional<ordered_json> KedaConverter::Resource(const json& t, const json& md,
                                                    const std::string& at) {
  const std::string resource = t.value("type", std::string());
  std::string metric_type = t.value("metricType", std::string());
  if (metric_type.empty()) metric_type = Meta(md, "type").value_or("Utilization");
  auto value = Meta(md, "value");
  if (!value) {
    c_.Warn(at + ": " + resource + " trigger without metadata.value; dropped");
    return std::nullopt;
  }
  ordered_json target;
  if (metric_type == "Utilization") {
    target["type"] = "Utilization";
    auto percent = WholeInt32(*value);
    if (!percent) {
      c_.Warn(at + ": utilization \"" + SafeText(*value) + "\" is not an integer in [0, " +
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
  const std::string name = UniqueName(wanted);
  if (name != resource) m["name"] = name;
  return m;
}

std::optional<ordered_json> KedaConverter::Prometheus(const json& t, const json& md,
                                                      const std::string& at) {
  auto server = Meta(md, "serverAddress");
  auto query = Meta(md, "query");
  auto threshold = Meta(md, "threshold");
  if (!server || !query || !threshold) {
    c_.Warn(at + ": prometheus trigger needs serverAddress, query and threshold; dropped");
    return std::nullopt;
  }
  ordered_json p;
  p["serverAddress"] = *server;
  p["query"] = *query;
  if (auto ns = Meta(md, "namespace")) {
    p["namespace"] = *ns;
    c_.Warn(at + ": namespace \"" + *ns +
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
      c_.Warn(at + ": unsafeSsl on an http:// serverAddress has no effect; dropped");
    }
  }
  if (auto to = Meta(md, "timeout")) {
    const bool digits = !to->empty() && to->find_first_not_of("0123456789") == std::string::npos;
    p["timeout"] = digits ? *to + "ms" : *to;  // KEDA: milliseconds, or a Go duration
  }
  const auto ignore_null = Meta(md, "ignoreNullValues");
  if (!ignore_null || IsTrue(ignore_null)) {
    c_.Warn(at +
            ": KEDA turned an empty query result into 0 (ignoreNullValues, default true); ebb "
            "counts it as a failed read (fallback applies). Add emptyAsZero: true to the "
            "prometheus block to keep KEDA's behaviour");
  }
  if (Meta(md, "queryParameters")) {
    c_.Warn(at + ": queryParameters are not supported; dropped");
  }
  for (const char* cloud : {"awsRegion", "identityOwner", "cloudID"}) {
    if (Meta(md, cloud)) {
      c_.Warn(at + ": " + cloud + " (cloud-managed Prometheus auth) is not supported; dropped");
    }
  }
  if (auto modes = Meta(md, "authModes")) {
    c_.Warn(at + ": authModes \"" + *modes + "\": configure the prometheus block's auth/tls");
  }
  Auth(t, at,
       {{"bearerToken", "set auth.bearerTokenFromEnv (or auth.bearerTokenFile) on the metric"},
        {"username", "set auth.username on the metric"},
        {"password", "set auth.passwordFromEnv (or auth.passwordFile) on the metric"},
        {"ca", "mount the CA in the controller and set tls.caFile on the metric"},
        {"cert", "client certificates are not supported by ebb"},
        {"key", "client certificates are not supported by ebb"},
        {"customAuthHeader", "set customHeaders on the metric (not Authorization: use auth)"},
        {"customAuthValue", "set customHeaders on the metric (not Authorization: use auth)"}});
  p["target"] = Target(t, *threshold, true);
  if (auto a = Meta(md, "activationThreshold")) p["activationThreshold"] = Quantity(*a);
  ordered_json m;
  m["type"] = "Prometheus";
  m["name"] = UniqueName(t.value("name", std::string("prometheus")));
  m["prometheus"] = p;
  has_inactive_capable_ = true;
  return m;
}

std::optional<ordered_json> KedaConverter::Redis(const json& t, const json& md,
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
      c_.Warn(at + ": " + env + " \"" + *e +
              "\" read the address from the target's env; ebb needs it literally in "
              "redis.address");
    }
  }
  if (address.empty()) {
    c_.Warn(at + ": redis trigger without address (or host and port); dropped");
    return std::nullopt;
  }
  r["address"] = address;
  if (auto db = Meta(md, "databaseIndex"); db && *db != "0") {
    if (auto index = WholeInt32(*db)) {
      r["db"] = *index;
    } else {
      c_.Warn(at + ": databaseIndex \"" + SafeText(*db) + "\" is not an integer in [0, " +
              std::to_string(INT32_MAX) + "]; dropped");
    }
  }
  if (IsTrue(Meta(md, "enableTLS")) || IsTrue(Meta(md, "unsafeSsl"))) {
    c_.Warn(at +
            ": enableTLS/unsafeSsl: ebb connects to Redis without TLS; put a TLS proxy in "
            "front or keep this workload on KEDA");
  }
  if (auto u = Meta(md, "usernameFromEnv")) {
    c_.Warn(at + ": usernameFromEnv \"" + *u +
            "\" was read from the target's env; set redis.username literally");
  }
  if (auto p = Meta(md, "passwordFromEnv")) {
    r["passwordFromEnv"] = *p;
    c_.Warn(at + ": passwordFromEnv \"" + *p +
            "\" now names an env var of the ebb controller (KEDA read the target container's); "
            "add it to the controller's Deployment");
  }
  std::string value;
  if (stream) {
    auto s = Meta(md, "stream");
    if (!s) {
      c_.Warn(at + ": redis-streams trigger without stream; dropped");
      return std::nullopt;
    }
    r["stream"] = *s;
    if (auto lag = Meta(md, "lagCount")) {
      c_.Warn(at + ": lagCount (consumer group lag) is not supported; dropped");
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
      c_.Warn(at + ": activationLagCount \"" + *a + "\" is not supported; dropped");
    }
  } else {
    auto list = Meta(md, "listName");
    if (!list) {
      c_.Warn(at + ": redis trigger without listName; dropped");
      return std::nullopt;
    }
    r["lists"] = ordered_json::array({*list});
    value = Meta(md, "listLength").value_or("5");
    if (*list == "celery") {
      c_.Warn(at +
              ": list \"celery\" looks like a Celery queue: `celery: {queues: [celery]}` instead "
              "of `lists` also counts the priority sub-queues Celery creates");
    }
  }
  Auth(t, at,
       {{"password", "set redis.passwordFromEnv (or redis.passwordFile) on the metric"},
        {"username", "set redis.username on the metric"},
        {"host", "set redis.address"},
        {"address", "set redis.address"},
        {"port", "set redis.address"},
        {"tls", "TLS is not supported by ebb's Redis client"},
        {"ca", "TLS is not supported by ebb's Redis client"},
        {"cert", "TLS is not supported by ebb's Redis client"},
        {"key", "TLS is not supported by ebb's Redis client"}});
  r["target"] = Target(t, value, true);
  const char* activation = stream ? nullptr : "activationListLength";
  if (activation != nullptr) {
    if (auto a = Meta(md, activation)) r["activationThreshold"] = Quantity(*a);
  }
  ordered_json m;
  m["type"] = "Redis";
  const std::string base = stream ? "stream-" + r["stream"].get<std::string>()
                                  : "redis-" + r["lists"][0].get<std::string>();
  m["name"] = UniqueName(t.value("name", base));
  m["redis"] = r;
  has_inactive_capable_ = true;
  return m;
}

std::optional<ordered_json> KedaConverter::Trigger(const json& t, size_t i) {
  const std::string at = "triggers[" + std::to_string(i) + "]";
  if (!t.is_object()) {
    c_.Warn(at + ": not an object; dropped");
    return std::nullopt;
  }
  const std::string type = t.value("type", std::string());
  const json md = t.value("metadata", json::object());
  if (t.value("useCachedMetrics", false)) {
    c_.Warn(at + ": useCachedMetrics is not needed: ebb reads each metric once per poll");
  }
  if (type == "cpu" || type == "memory") return Resource(t, md, at);
  if (type == "prometheus") return Prometheus(t, md, at);
  if (type == "redis") return Redis(t, md, at, false);
  if (type == "redis-streams") return Redis(t, md, at, true);
  c_.Warn(at + ": trigger type \"" + type +
          "\" is not supported by ebb (Prometheus, Redis lists/streams, cpu, memory); dropped. "
          "If Prometheus has this metric, a Prometheus metric can replace it");
  return std::nullopt;
}

Result<Conversion> KedaConverter::Run() {
  const std::string who = "ScaledObject " + ObjectName(doc_);
  const json spec = doc_.value("spec", json::object());
  if (!spec.is_object() || !spec.contains("scaleTargetRef") ||
      !spec["scaleTargetRef"].is_object() || !spec["scaleTargetRef"].contains("name")) {
    return MakeError(ErrorCode::kInvalidConfig, who + ": spec.scaleTargetRef.name is required");
  }
  ordered_json out = BaseDocument(doc_);
  // Pause annotations.
  const json md = doc_.value("metadata", json::object());
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
        c_.Warn("annotation " + k + " is not converted: set behavior." +
                (what == "paused-scale-in" ? "scaleDown" : "scaleUp") +
                ".selectPolicy: Disabled for the same effect");
      } else {
        c_.Warn("annotation " + k + " has no ebb equivalent; dropped");
      }
    }
  }
  if (!annotations.empty()) out["metadata"]["annotations"] = annotations;

  const json ref = spec["scaleTargetRef"];
  if (ref.contains("envSourceContainerName")) {
    c_.Warn(
        "scaleTargetRef.envSourceContainerName: ebb reads *FromEnv secrets from its own "
        "environment, not the target's");
  }
  ordered_json s;
  s["scaleTargetRef"] = TargetRef(ref, "Deployment");

  ordered_json metrics = ordered_json::array();
  const json triggers = spec.value("triggers", json::array());
  for (size_t i = 0; triggers.is_array() && i < triggers.size(); ++i) {
    if (auto m = Trigger(triggers[i], i)) metrics.push_back(*m);
  }
  if (metrics.empty()) {
    std::string why;
    for (const auto& w : c_.TakeWarnings()) why += "\n  " + w;
    return MakeError(ErrorCode::kInvalidConfig,
                     who + ": no trigger ebb can scale on (Prometheus, Redis, cpu, memory):" + why);
  }

  // KEDA's defaults differ from ebb's: minReplicaCount 0, maxReplicaCount 100, pollingInterval
  // 30; they are written out so the Autoscaler behaves the same.
  int64_t min = spec.value("minReplicaCount", int64_t{0});
  if (min == 0 && !has_inactive_capable_) {
    c_.Warn("minReplicaCount 0 with only cpu/memory triggers cannot scale to zero; using 1");
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
      c_.Warn("advanced.horizontalPodAutoscalerConfig.name: ebb creates no HPA; ignored");
    }
    if (advanced.contains("scalingModifiers")) {
      c_.Warn(
          "advanced.scalingModifiers (formula) is not supported: the converted metrics are "
          "combined like an HPA does (the highest proposal wins). Review the targets, or "
          "compute the formula in one Prometheus query");
    }
    if (advanced.value("restoreToOriginalReplicaCount", false)) {
      c_.Warn(
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
      c_.Warn("fallback.behavior scalingModifiers is not supported; using static");
    } else if (behavior != "static") {
      fb["behavior"] = behavior;
    }
    s["fallback"] = fb;
  }
  out["spec"] = s;
  c_.Warn(
      "delete the ScaledObject once the Autoscaler is applied (KEDA's HPA and ebb would both "
      "scale " +
      s["scaleTargetRef"]["kind"].get<std::string>() + "/" +
      s["scaleTargetRef"]["name"].get<std::string>() +
      "); without advanced.restoreToOriginalReplicaCount the replicas stay where they are");
  return Conversion{out, c_.TakeWarnings()};
}

// ---- YAML --------------------------------------------------------------------------------

bool PlainSafe(const std::string& s) {
  if (s.empty()) return false;
  static const std::set<std::string> kReserved = {"true", "false", "yes", "no", "on",
                                                  "off",  "null",  "y",   "n",  "~"};
  std::string lower;
  for (char ch : s) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (kReserved.count(lower) != 0) return false;
  // Anything number-like (ints, floats, 1e3, 0x1f, .5, 1_000, +1) would not stay a string.
  const char first = s.front();
  if (std::isdigit(static_cast<unsigned char>(first)) || first == '-' || first == '+' ||
      first == '.') {
    return false;
  }
  for (char ch : s) {
    const auto u = static_cast<unsigned char>(ch);
    if (!(std::isalnum(u) || ch == '-' || ch == '_' || ch == '.' || ch == '/' || ch == '(' ||
          ch == ')' || ch == ' ' || ch == '=')) {
      return false;
    }
  }
  return s.back() != ' ' && s.front() != ' ';
}

std::string Scalar(const ordered_json& v) {
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    return PlainSafe(s) ? s : v.dump();  // JSON strings are valid double-quoted YAML
  }
  return v.dump();
}

void Emit(const ordered_json& v, int indent, std::ostringstream& out);

bool IsCollection(const ordered_json& v) {
  return (v.is_object() || v.is_array()) && !v.empty();
}

void EmitObjectBody(const ordered_json& v, int indent, std::ostringstream& out, bool first_inline) {
  bool first = true;
  for (auto it = v.begin(); it != v.end(); ++it) {
    if (!(first && first_inline)) out << std::string(static_cast<size_t>(indent), ' ');
    first = false;
    out << Scalar(ordered_json(it.key())) << ":";
    if (IsCollection(*it)) {
      out << "\n";
      Emit(*it, it->is_array() ? indent : indent + 2, out);
    } else {
      out << " " << (it->is_object() ? "{}" : it->is_array() ? "[]" : Scalar(*it)) << "\n";
    }
  }
}

void Emit(const ordered_json& v, int indent, std::ostringstream& out) {
  const std::string pad(static_cast<size_t>(indent), ' ');
  if (v.is_object()) {
    EmitObjectBody(v, indent, out, false);
  } else if (v.is_array()) {
    for (const auto& e : v) {
      out << pad << "- ";
      if (e.is_object() && !e.empty()) {
        EmitObjectBody(e, indent + 2, out, true);
      } else if (e.is_array() && !e.empty()) {
        out << "\n";
        Emit(e, indent + 2, out);
      } else {
        out << (e.is_object() ? "{}" : e.is_array() ? "[]" : Scalar(e)) << "\n";
      }
    }
  } else {
    out << pad << Scalar(v) << "\n";
  }
}

}  // namespace

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
    return KedaConverter(doc, trigger_auths).Run();
  } catch (const json::exception& e) {
    // A field of the wrong JSON type (e.g. a list where an object belongs).
    return MakeError(ErrorCode::kInvalidConfig, doc.value("kind", std::string()) + " " +
                                                    ObjectName(doc) + ": malformed: " + e.what());
  }
}

std::string ToYaml(const ordered_json& doc) {
  std::ostringstream out;
  Emit(doc, 0, out);
  return out.str();
}

}  // namespace ebb::convert

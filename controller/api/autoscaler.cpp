#include "controller/api/autoscaler.h"

#include <set>

#include "controller/api/documents.h"
#include "controller/api/field_reader.h"
#include "controller/api/time_zones.h"
#include "controller/api/timestamps.h"
#include "controller/base/text.h"

namespace ebb::api {
namespace {

using decision::MetricSpec;
using decision::ScalingPolicy;
using decision::ScalingRules;
using decision::SourceType;
using decision::TargetType;
using nlohmann::json;

constexpr int64_t kMaxInt32 = INT32_MAX;

struct TargetRules {
  bool utilization = false;
  bool value = false;
  bool average_value = false;
};

void ParseTarget(FieldReader& r, const json& block, const std::string& path, TargetRules allowed,
                 decision::MetricTarget& out) {
  const json* t = r.Object(block, "target", path, true);
  if (t == nullptr) return;
  const std::string tp = Join(path, "target");
  r.Known(*t, tp, {"type", "averageUtilization", "value", "averageValue"});
  auto type = r.String(*t, "type", tp, true);
  if (!type) return;
  if (*type == "Utilization" && allowed.utilization) {
    out.type = TargetType::kUtilization;
    if (auto v = r.Int(*t, "averageUtilization", tp, 1, kMaxInt32, true)) {
      out.average_utilization = static_cast<int32_t>(*v);
    }
  } else if (*type == "Value" && allowed.value) {
    out.type = TargetType::kValue;
    if (auto v = r.QuantityMilli(*t, "value", tp, true)) {
      if (*v <= 0) r.Add(Join(tp, "value"), "must be greater than zero");
      out.value_milli = *v;
    }
  } else if (*type == "AverageValue" && allowed.average_value) {
    out.type = TargetType::kAverageValue;
    if (auto v = r.QuantityMilli(*t, "averageValue", tp, true)) {
      if (*v <= 0) r.Add(Join(tp, "averageValue"), "must be greater than zero");
      out.average_value_milli = *v;
    }
  } else {
    std::string options;
    if (allowed.utilization) options += "Utilization";
    if (allowed.value) options += std::string(options.empty() ? "" : ", ") + "Value";
    if (allowed.average_value) options += std::string(options.empty() ? "" : ", ") + "AverageValue";
    r.Add(Join(tp, "type"), "must be one of: " + options + " (got \"" + *type + "\")");
  }
}

void ParseActivation(FieldReader& r, const json& block, const std::string& path, MetricSpec& m) {
  if (auto v = r.QuantityMilli(block, "activationThreshold", path)) {
    if (*v < 0) r.Add(Join(path, "activationThreshold"), "must not be negative");
    m.activation_threshold_milli = *v;
  }
}

// {name, selector} of Pods/Object/External metrics.
void ParseMetricIdentifier(FieldReader& r, const json& block, const std::string& path,
                           MetricSpec& m) {
  const json* id = r.Object(block, "metric", path, true);
  if (id == nullptr) return;
  const std::string ip = Join(path, "metric");
  r.Known(*id, ip, {"name", "selector"});
  if (auto n = r.String(*id, "name", ip, true)) m.metric_name = *n;
  if (auto it = id->find("selector"); it != id->end() && !it->is_null()) m.selector = it->dump();
}

// spec.metrics[i].predictive. Only a total the pool shares can be forecast and divided by a
// per-replica target: an AverageValue target of Object, External or a scaler's metric. A per-pod
// average or a utilisation moves with the replica count being forecast, so it is refused.
void ParsePredictive(FieldReader& r, const json& entry, const std::string& path, MetricSpec& m) {
  const json* b = r.Object(entry, "predictive", path);
  if (b == nullptr) return;
  const std::string p = Join(path, "predictive");
  r.Known(*b, p,
          {"lookaheadSeconds", "bucketSeconds", "minHistorySeconds", "headroomPercent", "seasons"});
  decision::PredictiveSettings s;
  if (auto v = r.Int(*b, "lookaheadSeconds", p, 0, 3600))
    s.lookahead_seconds = static_cast<int32_t>(*v);
  if (auto v = r.Int(*b, "bucketSeconds", p, 300, 3600)) {
    s.bucket_seconds = static_cast<int32_t>(*v);
    if (86400 % *v != 0)
      r.Add(Join(p, "bucketSeconds"),
            "must divide a day (86400 s) evenly, e.g. 300, 600, 900, 1800, 3600");
  }
  if (auto v = r.Int(*b, "minHistorySeconds", p, 86400, 1209600)) {
    s.min_history_seconds = static_cast<int32_t>(*v);
  }
  if (auto v = r.Int(*b, "headroomPercent", p, 0, 200))
    s.headroom_percent = static_cast<int32_t>(*v);
  if (const json* seasons = r.Array(*b, "seasons", p)) {
    s.daily = false;
    s.weekly = false;
    if (seasons->empty()) r.Add(Join(p, "seasons"), "must list at least one of Daily, Weekly");
    for (size_t i = 0; i < seasons->size(); ++i) {
      const json& v = (*seasons)[i];
      const std::string sp = Index(Join(p, "seasons"), i);
      bool* flag = v == "Daily" ? &s.daily : v == "Weekly" ? &s.weekly : nullptr;
      if (flag == nullptr) {
        r.Add(sp, "must be Daily or Weekly");
      } else if (*flag) {
        r.Add(sp, "duplicate season");
      } else {
        *flag = true;
      }
    }
  }
  const bool total = m.type == SourceType::kObject || m.type == SourceType::kExternal ||
                     m.type == SourceType::kScaler;
  if (!total || m.target.type != TargetType::kAverageValue) {
    r.Add(p,
          "needs an AverageValue target on an Object, External or scaler metric (a total the "
          "replicas share, such as a queue's arrival rate); a per-pod average or a utilisation "
          "changes with the replica count it would forecast");
  }
  m.predictive = s;
}

// spec.schedules: cron-started windows raising the minimum.
void ParseSchedules(FieldReader& r, const json& spec, decision::Spec& out) {
  const json* list = r.Array(spec, "schedules", "spec");
  if (list == nullptr) return;
  if (list->size() > 32) r.Add("spec.schedules", "must have at most 32 windows");
  std::set<std::string> names;
  for (size_t i = 0; i < list->size() && i < 32; ++i) {
    const std::string p = Index("spec.schedules", i);
    const json& e = (*list)[i];
    if (!e.is_object()) {
      r.Add(p, "must be an object");
      continue;
    }
    r.Known(e, p, {"name", "start", "durationSeconds", "timeZone", "minReplicas"});
    decision::Schedule s;
    if (auto n = r.String(e, "name", p, true)) {
      if (n->empty()) r.Add(Join(p, "name"), "must not be empty");
      if (!n->empty() && !names.insert(*n).second) {
        r.Add(Join(p, "name"), "duplicate schedule name \"" + SafeText(*n, 64) + "\"");
      }
      s.name = *n;
    }
    if (auto c = r.String(e, "start", p, true)) {
      s.start = *c;
      auto cron = decision::ParseCron(*c);
      if (cron) {
        s.cron = *cron;
      } else {
        r.Add(Join(p, "start"), "\"" + SafeText(*c, 64) + "\": " + cron.error().message);
      }
    }
    if (auto d = r.Int(e, "durationSeconds", p, 60, 604800, true)) {
      s.duration_seconds = static_cast<int32_t>(*d);
    }
    std::string zone = "UTC";
    if (auto z = r.String(e, "timeZone", p)) zone = *z;
    if (auto z = LoadTimeZone(zone)) {
      s.zone = *z;
    } else {
      r.Add(Join(p, "timeZone"), z.error().message);
    }
    if (auto v = r.Int(e, "minReplicas", p, 1, kMaxInt32, true)) {
      s.min_replicas = static_cast<int32_t>(*v);
    }
    out.schedules.push_back(std::move(s));
  }
}

void ParseMetric(FieldReader& r, const json& entry, const std::string& path, MetricSpec& m,
                 MetricSource& source) {
  if (!entry.is_object()) {
    r.Add(path, "must be an object");
    return;
  }
  std::vector<std::string> known = {"type", "name",   "resource", "containerResource",
                                    "pods", "object", "external", "predictive"};
  for (const scalers::ScalerType& t : scalers::ScalerTypes()) known.emplace_back(t.block);
  r.Known(entry, path, known);
  auto type = r.String(entry, "type", path, true);
  if (!type) return;
  source.type = *type;
  const TargetRules resource_targets{true, false, true};
  const TargetRules value_targets{false, true, true};
  auto block_for = [&](const char* key) -> const json* {
    const json* b = r.Object(entry, key, path, true);
    if (b != nullptr) {
      source.block = *b;
      source.field_path = Join(path, key);
    }
    return b;
  };
  if (*type == "Resource" || *type == "ContainerResource") {
    const bool container = *type == "ContainerResource";
    m.type = container ? SourceType::kContainerResource : SourceType::kResource;
    const json* b = block_for(container ? "containerResource" : "resource");
    if (b == nullptr) return;
    const std::string bp = source.field_path;
    if (container) {
      r.Known(*b, bp, {"name", "container", "target"});
      if (auto c = r.String(*b, "container", bp, true)) m.container = *c;
    } else {
      r.Known(*b, bp, {"name", "target"});
    }
    if (auto n = r.String(*b, "name", bp, true)) m.resource = *n;
    ParseTarget(r, *b, bp, resource_targets, m.target);
    m.name = m.resource;
  } else if (*type == "Pods") {
    m.type = SourceType::kPods;
    const json* b = block_for("pods");
    if (b == nullptr) return;
    r.Known(*b, source.field_path, {"metric", "target", "activationThreshold"});
    ParseMetricIdentifier(r, *b, source.field_path, m);
    ParseTarget(r, *b, source.field_path, {false, false, true}, m.target);
    ParseActivation(r, *b, source.field_path, m);
    m.name = m.metric_name;
  } else if (*type == "Object") {
    m.type = SourceType::kObject;
    const json* b = block_for("object");
    if (b == nullptr) return;
    const std::string bp = source.field_path;
    r.Known(*b, bp, {"describedObject", "metric", "target", "activationThreshold"});
    if (const json* d = r.Object(*b, "describedObject", bp, true)) {
      if (auto k = r.String(*d, "kind", Join(bp, "describedObject"), true)) m.described_kind = *k;
      (void)r.String(*d, "name", Join(bp, "describedObject"), true);
    }
    ParseMetricIdentifier(r, *b, bp, m);
    ParseTarget(r, *b, bp, value_targets, m.target);
    ParseActivation(r, *b, bp, m);
    m.name = m.metric_name;
  } else if (*type == "External") {
    m.type = SourceType::kExternal;
    const json* b = block_for("external");
    if (b == nullptr) return;
    r.Known(*b, source.field_path, {"metric", "target", "activationThreshold"});
    ParseMetricIdentifier(r, *b, source.field_path, m);
    ParseTarget(r, *b, source.field_path, value_targets, m.target);
    ParseActivation(r, *b, source.field_path, m);
    m.name = m.metric_name;
  } else if (const scalers::ScalerType* st = scalers::FindScalerType(*type)) {
    m.type = SourceType::kScaler;
    m.scaler = *type;
    const std::string key(st->block);
    const json* b = block_for(key.c_str());
    if (b == nullptr) return;
    // The whole block, read once by the scaler's reader: target, activation and its own fields.
    std::vector<std::string> problems;
    if (auto parsed = scalers::ParseSource(*st, *b, source.field_path, problems)) {
      m.target = parsed->target;
      m.activation_threshold_milli = parsed->activation_threshold_milli;
      source.config = std::move(parsed->config);
    }
    for (std::string& p : problems) r.Add("", std::move(p));
    m.name = key;
  } else {
    std::string types = "Resource, ContainerResource, Pods, Object, External";
    for (const scalers::ScalerType& t : scalers::ScalerTypes()) types += ", " + std::string(t.type);
    r.Add(Join(path, "type"), "must be one of: " + types + " (got \"" + *type + "\")");
    return;
  }
  if (auto n = r.String(entry, "name", path)) {
    if (n->empty()) r.Add(Join(path, "name"), "must not be empty");
    m.name = *n;
  }
  ParsePredictive(r, entry, path, m);
}

void ParseRules(FieldReader& r, const json& obj, const std::string& path, bool up,
                ScalingRules& rules) {
  // Defaults are filled field by field, as upstream GenerateHPAScale{Up,Down}Rules do.
  rules.select_policy = decision::SelectPolicy::kMax;
  if (up) {
    rules.stabilization_window_seconds = 0;
    rules.policies = {{decision::PolicyType::kPods, 4, 15},
                      {decision::PolicyType::kPercent, 100, 15}};
  } else {
    rules.stabilization_window_seconds.reset();  // the controller's downscale setting
    rules.policies = {{decision::PolicyType::kPercent, 100, 15}};
  }
  const json* o = r.Object(obj, up ? "scaleUp" : "scaleDown", path);
  if (o == nullptr) return;
  const std::string p = Join(path, up ? "scaleUp" : "scaleDown");
  r.Known(*o, p, {"stabilizationWindowSeconds", "selectPolicy", "policies", "tolerance"});
  if (o->contains("stabilizationWindowSeconds") && !(*o)["stabilizationWindowSeconds"].is_null()) {
    if (auto w = r.Int(*o, "stabilizationWindowSeconds", p, 0, 3600)) {
      rules.stabilization_window_seconds = static_cast<int32_t>(*w);
    }
  }
  if (auto s = r.String(*o, "selectPolicy", p)) {
    if (*s == "Max")
      rules.select_policy = decision::SelectPolicy::kMax;
    else if (*s == "Min")
      rules.select_policy = decision::SelectPolicy::kMin;
    else if (*s == "Disabled")
      rules.select_policy = decision::SelectPolicy::kDisabled;
    else
      r.Add(Join(p, "selectPolicy"), "must be one of: Max, Min, Disabled (got \"" + *s + "\")");
  }
  if (const json* policies = r.Array(*o, "policies", p)) {
    rules.policies.clear();
    if (policies->empty()) r.Add(Join(p, "policies"), "must specify at least one policy");
    for (size_t i = 0; i < policies->size(); ++i) {
      const std::string pp = Index(Join(p, "policies"), i);
      const json& pol = (*policies)[i];
      if (!pol.is_object()) {
        r.Add(pp, "must be an object");
        continue;
      }
      r.Known(pol, pp, {"type", "value", "periodSeconds"});
      ScalingPolicy sp;
      if (auto t = r.String(pol, "type", pp, true)) {
        if (*t == "Pods")
          sp.type = decision::PolicyType::kPods;
        else if (*t == "Percent")
          sp.type = decision::PolicyType::kPercent;
        else
          r.Add(Join(pp, "type"), "must be one of: Pods, Percent (got \"" + *t + "\")");
      }
      if (auto v = r.Int(pol, "value", pp, 1, kMaxInt32, true)) sp.value = static_cast<int32_t>(*v);
      if (auto s = r.Int(pol, "periodSeconds", pp, 1, 1800, true)) {
        sp.period_seconds = static_cast<int32_t>(*s);
      }
      rules.policies.push_back(sp);
    }
  }
  if (auto t = r.QuantityMilli(*o, "tolerance", p)) {
    if (*t < 0) r.Add(Join(p, "tolerance"), "must be greater than or equal to zero");
    rules.tolerance = static_cast<double>(*t) / 1000.0;
  }
}

void ParseFallback(FieldReader& r, const json& spec, decision::Spec& out) {
  const json* f = r.Object(spec, "fallback", "spec");
  if (f == nullptr) return;
  const std::string p = "spec.fallback";
  r.Known(*f, p, {"failureThreshold", "replicas", "behavior"});
  decision::Fallback fb;
  if (auto v = r.Int(*f, "failureThreshold", p, 0, kMaxInt32, true)) {
    fb.failure_threshold = static_cast<int32_t>(*v);
  }
  if (auto v = r.Int(*f, "replicas", p, 0, kMaxInt32, true)) fb.replicas = static_cast<int32_t>(*v);
  if (auto b = r.String(*f, "behavior", p)) {
    if (*b == "static")
      fb.behavior = decision::FallbackBehavior::kStatic;
    else if (*b == "currentReplicas")
      fb.behavior = decision::FallbackBehavior::kCurrentReplicas;
    else if (*b == "currentReplicasIfHigher")
      fb.behavior = decision::FallbackBehavior::kCurrentReplicasIfHigher;
    else if (*b == "currentReplicasIfLower")
      fb.behavior = decision::FallbackBehavior::kCurrentReplicasIfLower;
    else
      r.Add(Join(p, "behavior"),
            "must be one of: static, currentReplicas, currentReplicasIfHigher, "
            "currentReplicasIfLower (got \"" +
                *b + "\")");
  }
  out.fallback = fb;
}

void ParseMetadata(FieldReader& r, const json& doc, Autoscaler& a) {
  const json* md = r.Object(doc, "metadata", "", true);
  if (md == nullptr) return;
  if (auto n = r.String(*md, "name", "metadata", true)) a.name = *n;
  if (auto ns = r.String(*md, "namespace", "metadata")) a.namespace_name = *ns;
  if (auto ts = r.String(*md, "creationTimestamp", "metadata")) {
    if (auto t = ParseRfc3339(*ts))
      a.created_at = *t;
    else
      r.Add("metadata.creationTimestamp", "must be an RFC 3339 time");
  }
  const json* ann = r.Object(*md, "annotations", "metadata");
  if (ann == nullptr) return;
  const std::string ap = "metadata.annotations";
  if (auto it = ann->find(kPausedAnnotation); it != ann->end()) {
    const std::string p = ap + "[" + kPausedAnnotation + "]";
    if (!it->is_string() || (*it != "true" && *it != "false")) {
      r.Add(p, "must be \"true\" or \"false\"");
    } else {
      a.spec.paused = *it == "true";
    }
  }
  if (auto it = ann->find(kPausedReplicasAnnotation); it != ann->end()) {
    const std::string p = ap + "[" + kPausedReplicasAnnotation + "]";
    bool digits = it->is_string() && !it->get_ref<const std::string&>().empty();
    if (digits) {
      for (char c : it->get_ref<const std::string&>()) digits = digits && c >= '0' && c <= '9';
    }
    if (!digits) {
      r.Add(p, "must be a non-negative integer in a string, e.g. \"3\"");
    } else if (it->get_ref<const std::string&>().size() > 10 ||
               std::stoll(it->get<std::string>()) > kMaxInt32) {
      r.Add(p, SafeText(it->get<std::string>(), 40) + " is out of range [0, " +
                   std::to_string(kMaxInt32) + "]");
    } else {
      a.spec.paused_replicas = static_cast<int32_t>(std::stoll(it->get<std::string>()));
    }
  }
}

}  // namespace

Result<Autoscaler> ParseAutoscaler(const json& doc) {
  std::vector<Problem> problems;
  FieldReader r(problems);
  Autoscaler a;
  if (!doc.is_object()) {
    return MakeError(ErrorCode::kInvalidConfig, "Autoscaler document: must be an object");
  }
  ParseMetadata(r, doc, a);
  if (auto v = r.String(doc, "apiVersion", "", true); v && *v != kApiVersion) {
    r.Add("apiVersion", std::string("must be ") + kApiVersion + " (got \"" + *v + "\")");
  }
  if (auto k = r.String(doc, "kind", "", true); k && *k != kKind) {
    r.Add("kind", std::string("must be ") + kKind + " (got \"" + *k + "\")");
  }
  decision::Spec& s = a.spec;
  const json* spec = r.Object(doc, "spec", "", true);
  if (spec != nullptr) {
    r.Known(
        *spec, "spec",
        {"scaleTargetRef", "minReplicas", "maxReplicas", "metrics", "behavior", "cooldownPeriod",
         "initialCooldownPeriod", "idleReplicas", "pollingInterval", "fallback", "schedules"});
    if (const json* ref = r.Object(*spec, "scaleTargetRef", "spec", true)) {
      const std::string p = "spec.scaleTargetRef";
      r.Known(*ref, p, {"apiVersion", "kind", "name"});
      if (auto v = r.String(*ref, "apiVersion", p)) a.target.api_version = *v;
      if (auto v = r.String(*ref, "kind", p, true)) a.target.kind = *v;
      if (auto v = r.String(*ref, "name", p, true)) a.target.name = *v;
    }
    if (auto v = r.Int(*spec, "minReplicas", "spec", 0, kMaxInt32)) {
      s.min_replicas = static_cast<int32_t>(*v);
    }
    if (auto v = r.Int(*spec, "maxReplicas", "spec", 1, kMaxInt32, true)) {
      s.max_replicas = static_cast<int32_t>(*v);
      if (s.max_replicas < s.min_replicas) {
        r.Add("spec.maxReplicas", "must be greater than or equal to minReplicas (" +
                                      std::to_string(s.min_replicas) + ")");
      }
    }
    if (const json* metrics = r.Array(*spec, "metrics", "spec")) {
      std::set<std::string> names;
      for (size_t i = 0; i < metrics->size(); ++i) {
        const std::string p = Index("spec.metrics", i);
        MetricSpec m;
        MetricSource src;
        ParseMetric(r, (*metrics)[i], p, m, src);
        if (!m.name.empty() && !names.insert(m.name).second) {
          r.Add(Join(p, "name"),
                "duplicate metric name \"" + m.name + "\": give each metric a distinct name");
        }
        s.metrics.push_back(std::move(m));
        a.sources.push_back(std::move(src));
      }
    }
    if (const json* b = r.Object(*spec, "behavior", "spec")) {
      r.Known(*b, "spec.behavior", {"scaleUp", "scaleDown"});
      decision::Behavior behavior;
      ParseRules(r, *b, "spec.behavior", true, behavior.scale_up);
      ParseRules(r, *b, "spec.behavior", false, behavior.scale_down);
      s.behavior = behavior;
    }
    if (auto v = r.Int(*spec, "cooldownPeriod", "spec", 0, kMaxInt32)) {
      s.cooldown_period_seconds = static_cast<int32_t>(*v);
    }
    if (auto v = r.Int(*spec, "initialCooldownPeriod", "spec", 0, kMaxInt32)) {
      s.initial_cooldown_period_seconds = static_cast<int32_t>(*v);
    }
    if (auto v = r.Int(*spec, "pollingInterval", "spec", 1, 86400)) {
      s.polling_interval_seconds = static_cast<int32_t>(*v);
    }
    if (auto v = r.Int(*spec, "idleReplicas", "spec", 0, kMaxInt32)) {
      s.idle_replicas = static_cast<int32_t>(*v);
      if (*v >= s.min_replicas) {
        r.Add("spec.idleReplicas",
              "must be less than minReplicas (" + std::to_string(s.min_replicas) + ")");
      }
    }
    ParseFallback(r, *spec, s);
    ParseSchedules(r, *spec, s);
  }
  if (s.metrics.empty() && spec != nullptr && !spec->contains("metrics")) {
    // upstream default: cpu at 80 % utilisation.
    MetricSpec cpu;
    cpu.name = "cpu";
    cpu.type = SourceType::kResource;
    cpu.resource = "cpu";
    cpu.target.type = TargetType::kUtilization;
    cpu.target.average_utilization = 80;
    s.metrics.push_back(cpu);
    MetricSource src;
    src.type = "Resource";
    a.sources.push_back(src);
  } else if (s.metrics.empty() && spec != nullptr) {
    r.Add("spec.metrics", "must list at least one metric (omit the field for cpu at 80 %)");
  }
  if (s.min_replicas == 0 && spec != nullptr) {
    bool can_idle = false;
    for (const MetricSpec& m : s.metrics) {
      can_idle =
          can_idle || (m.type != SourceType::kResource && m.type != SourceType::kContainerResource);
    }
    if (!can_idle) {
      std::string kinds = "Pods, Object, External";
      for (const scalers::ScalerType& t : scalers::ScalerTypes())
        kinds += ", " + std::string(t.type);
      r.Add("spec.minReplicas", "0 needs at least one metric that can become inactive (" + kinds +
                                    "); cpu and memory are always active");
    }
  }
  for (size_t i = 0; i < s.schedules.size(); ++i) {
    if (s.schedules[i].min_replicas > s.max_replicas) {
      r.Add(Index("spec.schedules", i) + ".minReplicas",
            "must not exceed maxReplicas (" + std::to_string(s.max_replicas) + ")");
    }
  }
  int predictive = 0;
  for (size_t i = 0; i < s.metrics.size(); ++i) {
    if (s.metrics[i].predictive && ++predictive == 2) {
      r.Add(Index("spec.metrics", i) + ".predictive",
            "only one metric may be predictive (its history is kept in the status)");
    }
  }
  if (s.paused_replicas && *s.paused_replicas > s.max_replicas) {
    r.Add(std::string("metadata.annotations[") + kPausedReplicasAnnotation + "]",
          "must not exceed maxReplicas (" + std::to_string(s.max_replicas) + ")");
  }
  if (!problems.empty()) {
    std::string who = "Autoscaler " + a.namespace_name + "/" + (a.name.empty() ? "?" : a.name);
    std::string msg;
    for (const Problem& p : problems) {
      if (!msg.empty()) msg += "\n";
      msg += who + ": " + (p.path.empty() ? "" : p.path + ": ") + p.message;
    }
    return MakeError(ErrorCode::kInvalidConfig, msg);
  }
  return a;
}

Result<std::vector<Autoscaler>> LoadAutoscalers(const std::string& path,
                                                std::vector<json>* others) {
  auto docs = LoadDocuments(path);
  if (!docs) return docs.error();
  std::vector<Autoscaler> out;
  std::string errors;
  for (size_t i = 0; i < docs->size(); ++i) {
    const json& d = (*docs)[i];
    const bool is_autoscaler = d.is_object() && d.contains("kind") && d["kind"] == kKind;
    if (!is_autoscaler) {
      if (others != nullptr) {
        others->push_back(d);
        continue;
      }
    }
    auto a = ParseAutoscaler(d);
    if (!a) {
      errors += (errors.empty() ? "" : "\n") + path + " (document " + std::to_string(i + 1) +
                "): " + a.error().message;
      continue;
    }
    out.push_back(std::move(*a));
  }
  if (!errors.empty()) return MakeError(ErrorCode::kInvalidConfig, errors);
  if (out.empty()) {
    return MakeError(ErrorCode::kInvalidConfig, path + ": no Autoscaler document found");
  }
  return out;
}

}  // namespace ebb::api

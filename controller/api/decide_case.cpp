#include "controller/api/decide_case.h"

#include <cmath>
#include <optional>

#include "controller/api/field_reader.h"
#include "controller/api/settings.h"
#include "controller/api/state_json.h"
#include "controller/api/timestamps.h"
#include "controller/base/quantity.h"
#include "controller/decision/explain.h"

namespace ebb::api {
namespace {

using nlohmann::json;

const std::string kSecondsRange = "[" + std::to_string(kMinUnixSeconds) + ", " +
                                  std::to_string(kMaxUnixSeconds) + "] (years 1 to 9999)";

Error Invalid(std::string m) {
  return MakeError(ErrorCode::kInvalidConfig, std::move(m));
}

// A time given as `<base>Time` (RFC 3339 or Unix seconds) or as an age relative to `now`
// (`<base>SecondsAgo`). Returns false on a malformed value; leaves `out` alone when absent.
bool ReadTimeField(const json& obj, const std::string& base, Timestamp now, Timestamp& out,
                   bool& present, std::string& err, const std::string& path) {
  present = false;
  if (auto it = obj.find(base + "SecondsAgo"); it != obj.end() && !it->is_null()) {
    auto ms = SecondsToMillis(*it);
    if (!ms) {
      err = path + (path.empty() ? "" : ".") + base +
            "SecondsAgo: must be a number of seconds in " + kSecondsRange;
      return false;
    }
    out = now - Duration(*ms);
    present = true;
    return true;
  }
  const std::string key = base.empty() ? "now" : base + "Time";
  if (auto it = obj.find(key); it != obj.end() && !it->is_null()) {
    if (it->is_string()) {
      auto t = ParseRfc3339(it->get<std::string>());
      if (!t) {
        err = path + (path.empty() ? "" : ".") + key + ": must be an RFC 3339 time";
        return false;
      }
      out = *t;
      present = true;
      return true;
    }
    if (it->is_number()) {
      auto ms = SecondsToMillis(*it);
      if (!ms) {
        err = path + (path.empty() ? "" : ".") + key + ": Unix seconds " + it->dump() +
              " out of range " + kSecondsRange;
        return false;
      }
      out = FromUnixMillis(*ms);
      present = true;
      return true;
    }
    err = path + (path.empty() ? "" : ".") + key + ": must be an RFC 3339 time or Unix seconds";
    return false;
  }
  return true;
}

Result<int64_t> Milli(const json& v, const std::string& path) {
  std::string text;
  if (v.is_string())
    text = v.get<std::string>();
  else if (v.is_number())
    text = v.dump();
  else
    return Invalid(path + ": must be a quantity");
  auto q = ParseQuantityMilli(text);
  if (!q) return Invalid(path + ": " + q.error().message);
  return *q;
}

Result<decision::PodPhase> Phase(const std::string& s, const std::string& path) {
  if (s == "Pending") return decision::PodPhase::kPending;
  if (s == "Running") return decision::PodPhase::kRunning;
  if (s == "Succeeded") return decision::PodPhase::kSucceeded;
  if (s == "Failed") return decision::PodPhase::kFailed;
  if (s == "Unknown") return decision::PodPhase::kUnknown;
  return Invalid(path + ": must be one of Pending, Running, Succeeded, Failed, Unknown");
}

Result<decision::Pod> ParsePod(const json& p, const std::string& path, Timestamp now) {
  decision::Pod pod;
  if (!p.is_object()) return Invalid(path + ": must be an object");
  if (!p.contains("name") || !p["name"].is_string()) return Invalid(path + ".name: required");
  pod.name = p["name"].get<std::string>();
  if (auto it = p.find("phase"); it != p.end()) {
    if (!it->is_string()) return Invalid(path + ".phase: must be a string");
    auto ph = Phase(it->get<std::string>(), path + ".phase");
    if (!ph) return ph.error();
    pod.phase = *ph;
  }
  if (auto it = p.find("ready"); it != p.end()) {
    if (it->is_null())
      pod.ready = decision::ConditionStatus::kNone;
    else if (it->is_boolean())
      pod.ready =
          it->get<bool>() ? decision::ConditionStatus::kTrue : decision::ConditionStatus::kFalse;
    else if (*it == "Unknown")
      pod.ready = decision::ConditionStatus::kUnknown;
    else
      return Invalid(path + ".ready: must be true, false, \"Unknown\" or null");
  }
  std::string err;
  bool present = false;
  Timestamp start{};
  if (!ReadTimeField(p, "start", now, start, present, err, path)) return Invalid(err);
  if (present) pod.start_time = start;
  // Absent: Go's zero time, i.e. very long ago.
  Timestamp transition = FromUnixMillis(-62135596800000);
  if (!ReadTimeField(p, "readyTransition", now, transition, present, err, path)) {
    return Invalid(err);
  }
  pod.ready_transition_time = transition;
  pod.deleting = p.value("deleting", false);
  if (auto it = p.find("requests"); it != p.end() && !it->is_null()) {
    if (!it->is_object()) return Invalid(path + ".requests: must be a map of resource to quantity");
    for (auto r = it->begin(); r != it->end(); ++r) {
      if (r->is_null()) continue;  // a container without this request
      auto m = Milli(*r, path + ".requests." + r.key());
      if (!m) return m.error();
      pod.requests.push_back({r.key(), "", *m});
    }
  }
  if (auto it = p.find("containerRequests"); it != p.end() && !it->is_null()) {
    if (!it->is_object()) return Invalid(path + ".containerRequests: must be a map");
    for (auto c = it->begin(); c != it->end(); ++c) {
      if (!c->is_object())
        return Invalid(path + ".containerRequests." + c.key() + ": must be a map");
      for (auto r = c->begin(); r != c->end(); ++r) {
        auto m = Milli(*r, path + ".containerRequests." + c.key() + "." + r.key());
        if (!m) return m.error();
        pod.requests.push_back({r.key(), c.key(), *m});
      }
    }
  }
  return pod;
}

Result<decision::MetricReading> ParseReading(const json& r, const std::string& path,
                                             Timestamp now) {
  decision::MetricReading m;
  if (!r.is_object()) {
    // A bare number is a value.
    if (r.is_number()) {
      auto q = Milli(r, path);
      if (!q) return q.error();
      m.ok = true;
      m.value_milli = *q;
      return m;
    }
    return Invalid(path + ": must be {value}, {pods}, {error} or a number");
  }
  if (auto it = r.find("error"); it != r.end() && !it->is_null()) {
    m.ok = false;
    m.error = it->is_string() ? it->get<std::string>() : it->dump();
    return m;
  }
  if (auto it = r.find("value"); it != r.end()) {
    // NaN and the infinities stand for a source's garbage: they fail the metric as a scaler's
    // conversion to milli-units would (SampleToMilli), with the same message.
    std::optional<double> garbage;
    if (*it == "NaN")
      garbage = std::nan("");
    else if (*it == "+Inf" || *it == "Inf")
      garbage = HUGE_VAL;
    else if (*it == "-Inf")
      garbage = -HUGE_VAL;
    if (garbage) {
      m.ok = false;
      m.error = SampleToMilli(*garbage).error().message;
      return m;
    }
    if (!it->is_number() && !it->is_string()) {
      return Invalid(path + ".value: must be a number, a quantity, \"NaN\" or \"+Inf\"");
    }
    // Numbers and strings alike are read as decimal text straight to milli-units (rounded up
    // like MilliValue): 1.011 and "1011m" are both 1011, never a binary64 1010.999...
    auto q = Milli(*it, path + ".value");
    if (!q) return q.error();
    m.ok = true;
    m.value_milli = *q;
    return m;
  }
  if (auto it = r.find("pods"); it != r.end()) {
    if (!it->is_object()) return Invalid(path + ".pods: must be a map of pod name to quantity");
    m.ok = true;
    for (auto p = it->begin(); p != it->end(); ++p) {
      auto q = Milli(*p, path + ".pods." + p.key());
      if (!q) return q.error();
      m.pod_samples.push_back({p.key(), *q});
    }
    std::string err;
    bool present = false;
    m.sample_time = now;
    if (!ReadTimeField(r, "sample", now, m.sample_time, present, err, path)) return Invalid(err);
    m.sample_window = Seconds(30);
    if (auto w = r.find("sampleWindowSeconds"); w != r.end() && !w->is_null()) {
      // metrics-server's windows are seconds to minutes; a day is far beyond any real one.
      if (!w->is_number() || !std::isfinite(w->get<double>()) || w->get<double>() < 0 ||
          w->get<double>() > 86400) {
        return Invalid(path + ".sampleWindowSeconds: must be a number of seconds in [0, 86400]");
      }
      m.sample_window = Duration(static_cast<int64_t>(std::llround(w->get<double>() * 1000.0)));
    }
    return m;
  }
  return Invalid(path + ": must contain value, pods or error");
}

const char* BoolStatus(bool b) {
  return b ? "True" : "False";
}

}  // namespace

Result<DecideCase> ParseDecideCase(const json& doc) {
  DecideCase c;
  if (!doc.is_object()) return Invalid("decide input: must be a JSON object");
  auto it = doc.find("autoscaler");
  if (it == doc.end() || !it->is_object())
    return Invalid("autoscaler: required (an Autoscaler document)");
  json a = *it;
  // Allow a bare {spec: ...} for brevity.
  if (!a.contains("kind")) a["kind"] = kKind;
  if (!a.contains("apiVersion")) a["apiVersion"] = kApiVersion;
  if (!a.contains("metadata")) a["metadata"] = {{"name", "decide"}};
  auto parsed = ParseAutoscaler(a);
  if (!parsed) return parsed.error();
  c.autoscaler = std::move(*parsed);

  auto settings = ParseSettings(doc.value("settings", json()), "settings");
  if (!settings) return settings.error();
  c.settings = *settings;

  {
    std::string err;
    bool present = false;
    if (!ReadTimeField(doc, "", Timestamp{}, c.now, present, err, "")) return Invalid(err);
    if (!present) {
      return Invalid("now: required (RFC 3339 time or Unix seconds); the core never reads a clock");
    }
  }
  decision::Observation& obs = c.observation;
  if (!doc.contains("currentReplicas") || doc["currentReplicas"].is_null()) {
    return Invalid("currentReplicas: required, an integer >= 0 (the scale's spec.replicas)");
  }
  auto current = ReadInt(doc, "currentReplicas", "", 0, INT32_MAX, true);
  if (!current) return current.error();
  obs.spec_replicas = static_cast<int32_t>(**current);
  obs.status_replicas = obs.spec_replicas;
  obs.ready_replicas = obs.spec_replicas;
  for (const char* key : {"statusReplicas", "readyReplicas"}) {
    auto v = ReadInt(doc, key, "", 0, INT32_MAX);
    if (!v) return v.error();
    if (*v) {
      (std::string(key) == "statusReplicas" ? obs.status_replicas : obs.ready_replicas) =
          static_cast<int32_t>(**v);
    }
  }
  if (auto p = doc.find("pods"); p != doc.end() && !p->is_null()) {
    if (!p->is_array()) return Invalid("pods: must be a list");
    obs.pods_known = true;
    for (size_t i = 0; i < p->size(); ++i) {
      auto pod = ParsePod((*p)[i], "pods[" + std::to_string(i) + "]", c.now);
      if (!pod) return pod.error();
      obs.pods.push_back(std::move(*pod));
    }
  }
  const auto& metrics = c.autoscaler.spec.metrics;
  obs.readings.resize(metrics.size());
  const json readings = doc.value("readings", json::object());
  if (!readings.is_object()) return Invalid("readings: must be a map of metric name to reading");
  for (auto r = readings.begin(); r != readings.end(); ++r) {
    bool found = false;
    for (size_t i = 0; i < metrics.size(); ++i) {
      if (metrics[i].name != r.key()) continue;
      auto reading = ParseReading(*r, "readings." + r.key(), c.now);
      if (!reading) return reading.error();
      obs.readings[i] = std::move(*reading);
      found = true;
    }
    if (!found) {
      std::string names;
      for (const auto& m : metrics) names += (names.empty() ? "" : ", ") + m.name;
      return Invalid("readings." + r.key() +
                     ": no metric of that name in the spec (have: " + names + ")");
    }
  }
  for (size_t i = 0; i < metrics.size(); ++i) {
    if (!obs.readings[i].ok && obs.readings[i].error.empty()) {
      obs.readings[i].error = "no reading given for metric " + metrics[i].name;
    }
  }
  if (auto s = doc.find("state"); s != doc.end()) {
    auto st = StateFromJson(*s, "state");
    if (!st) return st.error();
    c.state = std::move(*st);
  }
  if (c.autoscaler.created_at) obs.created_at = c.autoscaler.created_at;
  return c;
}

json MetricsToJson(const decision::Spec& spec, const decision::Decision& d) {
  json arr = json::array();
  for (size_t i = 0; i < d.metrics.size() && i < spec.metrics.size(); ++i) {
    const auto& m = d.metrics[i];
    const auto& s = spec.metrics[i];
    json o = {{"name", s.name},
              {"type", decision::SourceName(s)},
              {"status", decision::ToString(m.status)}};
    if (m.status == decision::MetricStatus::kFailed) {
      o["error"] = m.error;
    } else {
      o["proposal"] = m.proposal;
      o["active"] = m.active;
      if (m.status == decision::MetricStatus::kOk) {
        o["value"] = FormatMilli(m.value_milli);
        o["usageRatio"] = std::isfinite(m.usage_ratio) ? json(m.usage_ratio) : json(nullptr);
        if (m.utilization >= 0) o["utilization"] = m.utilization;
        o["replicasCounted"] = m.ready_pods;
      }
    }
    json target = json::object();
    switch (s.target.type) {
      case decision::TargetType::kUtilization:
        target = {{"type", "Utilization"}, {"averageUtilization", s.target.average_utilization}};
        break;
      case decision::TargetType::kValue:
        target = {{"type", "Value"}, {"value", FormatMilli(s.target.value_milli)}};
        break;
      case decision::TargetType::kAverageValue:
        target = {{"type", "AverageValue"},
                  {"averageValue", FormatMilli(s.target.average_value_milli)}};
        break;
    }
    o["target"] = target;
    arr.push_back(std::move(o));
  }
  return arr;
}

json DecisionToJson(const Autoscaler& a, const decision::Decision& d,
                    const decision::DecisionState& state) {
  json conditions = json::array();
  for (const auto& c : decision::Conditions(a.spec, d)) {
    conditions.push_back({{"type", c.type},
                          {"status", BoolStatus(c.status)},
                          {"reason", c.reason},
                          {"message", c.message}});
  }
  json explanation = {
      {"proposal", d.proposal >= 0 ? json(d.proposal) : json(nullptr)},
      {"stabilized", d.stabilized >= 0 ? json(d.stabilized) : json(nullptr)},
      {"stabilization", decision::ToString(d.stabilization)},
      {"limitedBy", decision::ToString(d.reason)},
      {"winningMetric", d.winning_metric >= 0
                            ? json(a.spec.metrics[static_cast<size_t>(d.winning_metric)].name)
                            : json(nullptr)},
      {"invalidMetrics", d.invalid_metrics},
      {"active", d.active},
      {"fallback", d.fallback},
      {"paused", d.paused},
      {"metrics", MetricsToJson(a.spec, d)},
  };
  return {{"name", a.name},
          {"currentReplicas", d.current_replicas},
          {"desiredReplicas", d.desired_replicas},
          {"scale", d.scale},
          {"reason", decision::ToString(d.reason)},
          {"rescaleReason", decision::RescaleReason(a.spec, d)},
          {"summary", decision::Summary(a.spec, d)},
          {"conditions", std::move(conditions)},
          {"explanation", std::move(explanation)},
          {"state", StateToJson(state)}};
}

}  // namespace ebb::api

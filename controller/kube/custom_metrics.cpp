#include "controller/kube/custom_metrics.h"

#include <algorithm>
#include <cstdint>
#include <set>
#include <unordered_map>

#include "controller/api/timestamps.h"
#include "controller/base/quantity.h"
#include "controller/base/text.h"
#include "controller/kube/discovery.h"
#include "controller/kube/resource_metrics.h"
#include "controller/net/http_client.h"

namespace ebb::kube {
namespace {

using decision::SourceType;
using decision::TargetType;
using nlohmann::json;

// Upstream's client re-reads discovery periodically; between reads a 404 from the version in
// use (an adapter downgraded or its v1beta2 APIService removed) triggers a read at once.
constexpr auto kVersionTtl = std::chrono::minutes(5);
// The default when an item has no window (upstream's metricServerDefaultMetricWindow).
constexpr Duration kDefaultWindow = Seconds(60);

decision::MetricReading Failed(std::string why) {
  decision::MetricReading r;
  r.ok = false;
  r.error = std::move(why);
  return r;
}

const json& Member(const json& j, const char* key) {
  static const json kNull;
  if (!j.is_object()) return kNull;
  const auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

std::string Text(const json& j, const char* key) {
  const json& v = Member(j, key);
  return v.is_string() ? v.get<std::string>() : std::string();
}

const json& Items(const json& list) {
  static const json kEmpty = json::array();
  const json& items = Member(list, "items");
  return items.is_array() ? items : kEmpty;
}

// A Quantity as the API serialises it: a string, or (accepted by Quantity's decoder) a number.
Result<int64_t> QuantityOf(const json& item, std::size_t index) {
  const json& v = Member(item, "value");
  const std::string where = "items[" + std::to_string(index) + "].value";
  std::string text;
  if (v.is_string())
    text = v.get<std::string>();
  else if (v.is_number())
    text = v.dump();
  else
    return MakeError(ErrorCode::kParse, where + ": missing or not a quantity");
  auto milli = ParseQuantityMilli(text);
  if (!milli)
    return MakeError(ErrorCode::kParse,
                     where + ": \"" + SafeText(text, 64) + "\" is not a quantity");
  return *milli;
}

// v1beta2 names it windowSeconds, v1beta1 window; both are whole seconds.
Duration WindowOf(const json& item) {
  for (const char* key : {"windowSeconds", "window"}) {
    const json& w = Member(item, key);
    if (w.is_number_integer() && w.get<int64_t>() >= 0 && w.get<int64_t>() < 86400LL * 365)
      return Seconds(w.get<int64_t>());
  }
  return kDefaultWindow;
}

int64_t SaturatingAdd(int64_t a, int64_t b) {
  int64_t sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) return b > 0 ? INT64_MAX : INT64_MIN;
  return sum;
}

// A label value: empty, or at most 63 of [A-Za-z0-9-_.] starting and ending alphanumeric.
bool IsLabelValue(const std::string& v) {
  if (v.empty()) return true;
  if (v.size() > 63) return false;
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (!alnum(v.front()) || !alnum(v.back())) return false;
  return std::all_of(v.begin(), v.end(),
                     [&](char c) { return alnum(c) || c == '-' || c == '_' || c == '.'; });
}

// A label key: [DNS-subdomain prefix "/"] name, the name a non-empty label value.
bool IsLabelKey(const std::string& k) {
  const auto slash = k.find('/');
  const std::string name = slash == std::string::npos ? k : k.substr(slash + 1);
  if (name.empty() || !IsLabelValue(name)) return false;
  if (slash == std::string::npos) return true;
  const std::string prefix = k.substr(0, slash);
  if (prefix.empty() || prefix.size() > 253) return false;
  return std::all_of(prefix.begin(), prefix.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
  });
}

// Upstream's CrossVersionObjectReference group: "apps/v1" -> "apps", "v1" or "" -> core.
std::string GroupOf(const std::string& api_version) {
  const auto slash = api_version.find('/');
  return slash == std::string::npos ? std::string() : api_version.substr(0, slash);
}

}  // namespace

Result<std::string> LabelSelectorText(const json& selector, const std::string& path) {
  if (selector.is_null()) return std::string();
  if (!selector.is_object())
    return MakeError(ErrorCode::kInvalidConfig, path + ": must be an object");
  struct Requirement {
    std::string key;
    std::string text;
  };
  std::vector<Requirement> reqs;
  auto bad = [&](const std::string& field, const std::string& why) {
    return MakeError(ErrorCode::kInvalidConfig, path + "." + field + ": " + why);
  };
  const json& labels = Member(selector, "matchLabels");
  if (!labels.is_null()) {
    if (!labels.is_object()) return bad("matchLabels", "must be an object");
    for (auto it = labels.begin(); it != labels.end(); ++it) {
      const std::string field = "matchLabels." + SafeText(it.key(), 80);
      if (!IsLabelKey(it.key())) return bad(field, "not a valid label key");
      if (!it->is_string()) return bad(field, "must be a string");
      const std::string v = it->get<std::string>();
      if (!IsLabelValue(v))
        return bad(field, "\"" + SafeText(v, 80) + "\" is not a valid label value");
      reqs.push_back({it.key(), it.key() + "=" + v});
    }
  }
  const json& exprs = Member(selector, "matchExpressions");
  if (!exprs.is_null()) {
    if (!exprs.is_array()) return bad("matchExpressions", "must be a list");
    for (std::size_t i = 0; i < exprs.size(); ++i) {
      const std::string f = "matchExpressions[" + std::to_string(i) + "]";
      const json& e = exprs[i];
      const std::string key = Text(e, "key");
      if (!IsLabelKey(key)) return bad(f + ".key", "not a valid label key");
      const std::string op = Text(e, "operator");
      std::vector<std::string> values;
      const json& vs = Member(e, "values");
      if (!vs.is_null() && !vs.is_array()) return bad(f + ".values", "must be a list");
      if (vs.is_array()) {
        for (std::size_t j = 0; j < vs.size(); ++j) {
          const std::string vf = f + ".values[" + std::to_string(j) + "]";
          if (!vs[j].is_string()) return bad(vf, "must be a string");
          values.push_back(vs[j].get<std::string>());
          if (!IsLabelValue(values.back()))
            return bad(vf, "\"" + SafeText(values.back(), 80) + "\" is not a valid label value");
        }
      }
      if (op == "In" || op == "NotIn") {
        if (values.empty()) return bad(f + ".values", "must be non-empty for " + op);
        std::sort(values.begin(), values.end());
        values.erase(std::unique(values.begin(), values.end()), values.end());
        std::string list;
        for (const auto& v : values) list += (list.empty() ? "" : ",") + v;
        reqs.push_back({key, key + (op == "In" ? " in (" : " notin (") + list + ")"});
      } else if (op == "Exists" || op == "DoesNotExist") {
        if (!values.empty()) return bad(f + ".values", "must be empty for " + op);
        reqs.push_back({key, (op == "Exists" ? "" : "!") + key});
      } else {
        return bad(f + ".operator", "must be one of: In, NotIn, Exists, DoesNotExist (got \"" +
                                        SafeText(op, 40) + "\")");
      }
    }
  }
  std::stable_sort(reqs.begin(), reqs.end(),
                   [](const Requirement& a, const Requirement& b) { return a.key < b.key; });
  std::string out;
  for (const auto& r : reqs) out += (out.empty() ? "" : ",") + r.text;
  return out;
}

Result<std::string> ChooseCustomMetricsVersion(const json& api_group) {
  static const std::set<std::string> kKnown = {std::string(kCustomMetricsGroup) + "/v1beta2",
                                               std::string(kCustomMetricsGroup) + "/v1beta1"};
  auto version_of = [](const std::string& gv) { return gv.substr(gv.find('/') + 1); };
  const std::string preferred = Text(Member(api_group, "preferredVersion"), "groupVersion");
  if (kKnown.count(preferred)) return version_of(preferred);
  const json& versions = Member(api_group, "versions");
  if (versions.is_array())
    for (const auto& v : versions)
      if (kKnown.count(Text(v, "groupVersion"))) return version_of(Text(v, "groupVersion"));
  return MakeError(ErrorCode::kNotFound, "no known available metric versions found");
}

decision::MetricReading ReadingFromPodsMetricList(const json& list) {
  const json& items = Items(list);
  if (items.empty()) return Failed("no metrics returned from custom metrics API");
  decision::MetricReading r;
  r.ok = true;
  std::unordered_map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < items.size(); ++i) {
    auto v = QuantityOf(items[i], i);
    if (!v) return Failed("unable to fetch metrics from custom metrics API: " + v.error().message);
    const std::string pod = SafeText(Text(Member(items[i], "describedObject"), "name"), 253);
    if (auto [it, added] = index.emplace(pod, r.pod_samples.size()); !added)
      r.pod_samples[it->second].milli = *v;
    else
      r.pod_samples.push_back({pod, *v});
    if (i == 0) {
      if (auto t = api::ParseRfc3339(Text(items[i], "timestamp"))) r.sample_time = *t;
      r.sample_window = WindowOf(items[i]);
    }
  }
  return r;
}

decision::MetricReading ReadingFromObjectMetricList(const json& list) {
  const json& items = Items(list);
  if (items.size() != 1)
    return Failed(
        "unable to fetch metrics from custom metrics API: the custom metrics API server returned " +
        std::to_string(items.size()) + " results when we asked for exactly one");
  auto v = QuantityOf(items[0], 0);
  if (!v) return Failed("unable to fetch metrics from custom metrics API: " + v.error().message);
  decision::MetricReading r;
  r.ok = true;
  r.value_milli = *v;
  if (auto t = api::ParseRfc3339(Text(items[0], "timestamp"))) r.sample_time = *t;
  return r;
}

decision::MetricReading ReadingFromExternalMetricList(const json& list) {
  const json& items = Items(list);
  if (items.empty()) return Failed("no metrics returned from external metrics API");
  decision::MetricReading r;
  r.ok = true;
  for (std::size_t i = 0; i < items.size(); ++i) {
    auto v = QuantityOf(items[i], i);
    if (!v)
      return Failed("unable to fetch metrics from external metrics API: " + v.error().message);
    r.value_milli = SaturatingAdd(r.value_milli, *v);
  }
  if (auto t = api::ParseRfc3339(Text(items[0], "timestamp"))) r.sample_time = *t;
  return r;
}

CustomMetricsReader::CustomMetricsReader(runtime::MetricReader& inner, KubeClient& client,
                                         const api::Autoscaler& autoscaler,
                                         std::function<std::string()> selector)
    : inner_(inner), client_(client), autoscaler_(autoscaler), selector_(std::move(selector)) {
  for (const auto& m : autoscaler_.spec.metrics) {
    const bool custom = m.type == SourceType::kPods || m.type == SourceType::kObject ||
                        m.type == SourceType::kExternal;
    needs_ = needs_ || custom;
    // Pods metrics are matched against the pods; Value targets count the ready ones, as
    // upstream's getReadyPodsCount (AverageValue uses status.replicas).
    needs_pods_ = needs_pods_ || m.type == SourceType::kPods ||
                  (custom && m.target.type == TargetType::kValue);
  }
}

Result<std::string> CustomMetricsReader::CustomVersion(bool refresh) {
  const auto now = std::chrono::steady_clock::now();
  if (!refresh && !version_.empty() && now - version_at_ < kVersionTtl) return version_;
  auto group = client_.Get(std::string("/apis/") + kCustomMetricsGroup);
  if (!group) {
    if (group.error().code == ErrorCode::kNotFound)
      return MakeError(ErrorCode::kNotFound, std::string("no custom metrics API (") +
                                                 kCustomMetricsGroup + ") registered");
    return group.error();
  }
  auto v = ChooseCustomMetricsVersion(*group);
  if (!v) return v.error();
  version_ = *v;
  version_at_ = now;
  return version_;
}

Result<json> CustomMetricsReader::GetCustom(const std::string& rest) {
  auto v = CustomVersion(false);
  if (!v) return v.error();
  const std::string base = std::string("/apis/") + kCustomMetricsGroup + "/";
  auto r = client_.Get(base + *v + rest);
  if (!r && r.error().code == ErrorCode::kNotFound) {
    // The version may have stopped being served: look again, and retry once if it changed.
    const std::string used = *v;
    if (auto again = CustomVersion(true); again && *again != used)
      r = client_.Get(base + *again + rest);
  }
  return r;
}

Result<std::string> CustomMetricsReader::ObjectResource(const std::string& api_version,
                                                        const std::string& kind) {
  const std::string gv = api_version.empty() ? "v1" : api_version;
  const std::string key = gv + "/" + kind;
  if (auto it = resources_.find(key); it != resources_.end()) return it->second;
  const std::string group = GroupOf(gv);
  const std::string group_kind = kind + (group.empty() ? "" : "." + group);
  auto list = client_.Get(group.empty() ? "/api/" + gv : "/apis/" + gv);
  if (!list)
    return MakeError(list.error().code,
                     "unable to map kind " + group_kind + " to resource: " + list.error().message);
  const auto kinds = ParseApiResourceList(*list, gv);
  const auto it = kinds.find(kind);
  if (it == kinds.end())
    return MakeError(ErrorCode::kNotFound, "unable to map kind " + group_kind +
                                               " to resource: no matches for kind in " + gv);
  const std::string qualified = it->second.resource + (group.empty() ? "" : "." + group);
  resources_[key] = qualified;
  return qualified;
}

decision::MetricReading CustomMetricsReader::ReadPods(std::size_t i,
                                                      const std::string& pod_selector) {
  const auto& m = autoscaler_.spec.metrics[i];
  const auto& src = autoscaler_.sources[i];
  auto msel = LabelSelectorText(Member(Member(src.block, "metric"), "selector"),
                                src.field_path + ".metric.selector");
  if (!msel) return Failed(msel.error().message);
  std::string rest = "/namespaces/" + net::UrlEncode(autoscaler_.namespace_name) + "/pods/*/" +
                     net::UrlEncode(m.metric_name) +
                     "?labelSelector=" + net::UrlEncode(pod_selector);
  if (!msel->empty()) rest += "&metricLabelSelector=" + net::UrlEncode(*msel);
  auto list = GetCustom(rest);
  if (!list)
    return Failed("unable to fetch metrics from custom metrics API: " + list.error().message);
  return ReadingFromPodsMetricList(*list);
}

decision::MetricReading CustomMetricsReader::ReadObject(std::size_t i) {
  const auto& m = autoscaler_.spec.metrics[i];
  const auto& src = autoscaler_.sources[i];
  const json& described = Member(src.block, "describedObject");
  const std::string api_version = Text(described, "apiVersion");
  const std::string kind = Text(described, "kind");
  const std::string name = Text(described, "name");
  const std::string& ns = autoscaler_.namespace_name;
  auto msel = LabelSelectorText(Member(Member(src.block, "metric"), "selector"),
                                src.field_path + ".metric.selector");
  if (!msel) return Failed(msel.error().message);
  const std::string query = msel->empty() ? "" : "?metricLabelSelector=" + net::UrlEncode(*msel);
  const std::string what = " on " + kind + " " + ns + "/" + name;
  std::string rest = "/namespaces/" + net::UrlEncode(ns) + "/";
  if (kind == "Namespace" && GroupOf(api_version).empty()) {
    // Upstream reads the Autoscaler's own namespace (a reference may not leave it).
    rest += "metrics/" + net::UrlEncode(m.metric_name) + query;
  } else {
    auto resource = ObjectResource(api_version, kind);
    if (!resource)
      return Failed("unable to fetch metrics from custom metrics API" + what + ": " +
                    resource.error().message);
    rest += net::UrlEncode(*resource) + "/" + net::UrlEncode(name) + "/" +
            net::UrlEncode(m.metric_name) + query;
  }
  auto list = GetCustom(rest);
  if (!list)
    return Failed("unable to fetch metrics from custom metrics API" + what + ": " +
                  list.error().message);
  auto r = ReadingFromObjectMetricList(*list);
  if (!r.ok) r.error += what;
  return r;
}

decision::MetricReading CustomMetricsReader::ReadExternal(std::size_t i) {
  const auto& m = autoscaler_.spec.metrics[i];
  const auto& src = autoscaler_.sources[i];
  auto msel = LabelSelectorText(Member(Member(src.block, "metric"), "selector"),
                                src.field_path + ".metric.selector");
  if (!msel) return Failed(msel.error().message);
  std::string path = std::string("/apis/") + kExternalMetricsGroupVersion + "/namespaces/" +
                     net::UrlEncode(autoscaler_.namespace_name) + "/" +
                     net::UrlEncode(m.metric_name);
  if (!msel->empty()) path += "?labelSelector=" + net::UrlEncode(*msel);
  auto list = client_.Get(path);
  if (!list)
    return Failed("unable to fetch metrics from external metrics API: " + list.error().message);
  return ReadingFromExternalMetricList(*list);
}

void CustomMetricsReader::Read(Timestamp now, const runtime::ScaleInfo& scale,
                               decision::Observation& obs) {
  inner_.Read(now, scale, obs);
  if (!needs_) return;
  const auto& metrics = autoscaler_.spec.metrics;
  obs.readings.resize(metrics.size());
  const std::string pod_selector = selector_();
  std::string pods_error;
  if (needs_pods_ && !obs.pods_known) {
    if (pod_selector.empty()) {
      pods_error = "the target's scale has no status.selector";
    } else {
      auto pods = client_.Get("/api/v1/namespaces/" + autoscaler_.namespace_name +
                              "/pods?labelSelector=" + net::UrlEncode(pod_selector));
      if (pods) {
        obs.pods = PodsFromList(*pods);
        obs.pods_known = true;
      } else {
        pods_error = "unable to list the target's pods: " + pods.error().message;
      }
    }
  }
  for (std::size_t i = 0; i < metrics.size() && i < autoscaler_.sources.size(); ++i) {
    switch (metrics[i].type) {
      case SourceType::kPods:
        // A Value-target Object/External without the pod list falls back to status.replicas
        // in the core; a Pods metric cannot be matched without it.
        obs.readings[i] = obs.pods_known ? ReadPods(i, pod_selector) : Failed(pods_error);
        break;
      case SourceType::kObject:
        obs.readings[i] = ReadObject(i);
        break;
      case SourceType::kExternal:
        obs.readings[i] = ReadExternal(i);
        break;
      default:
        break;
    }
  }
}

}  // namespace ebb::kube

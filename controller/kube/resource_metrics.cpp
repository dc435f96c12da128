#include "controller/kube/resource_metrics.h"

#include <cstdint>
#include <map>
#include <string_view>
#include <unordered_set>

#include "controller/api/timestamps.h"
#include "controller/base/quantity.h"
#include "controller/kube/pod_metrics_cache.h"
#include "controller/net/http_client.h"

namespace ebb::kube {
namespace {

using decision::SourceType;

decision::MetricReading Failed(std::string why) {
  decision::MetricReading r;
  r.ok = false;
  r.error = std::move(why);
  return r;
}

// A member by reference, or an empty object/array: json::value() would copy whole subtrees (a
// PodList per reconcile) and a const operator[] on a missing key is undefined.
const nlohmann::json& Member(const nlohmann::json& j, const char* key, bool array = false) {
  static const nlohmann::json kObject = nlohmann::json::object();
  static const nlohmann::json kArray = nlohmann::json::array();
  if (j.is_object())
    if (auto it = j.find(key); it != j.end() && (array ? it->is_array() : it->is_object()))
      return *it;
  return array ? kArray : kObject;
}

// A string member, or "" when absent or not a string (json::value() throws on a mistyped one).
std::string Text(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return {};
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Requests and usage are summed over containers; absurd quantities saturate instead of wrapping.
int64_t SaturatingAdd(int64_t a, int64_t b) {
  int64_t sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) return b > 0 ? INT64_MAX : INT64_MIN;
  return sum;
}

bool IsResource(SourceType t) {
  return t == SourceType::kResource || t == SourceType::kContainerResource;
}

// Adds a container's requests; `missing` collects resources some container does not request.
void AddRequests(const nlohmann::json& container, std::map<std::string, int64_t>& total,
                 std::map<std::string, bool>& missing,
                 std::vector<decision::ResourceRequest>& per) {
  const auto& req = Member(Member(container, "resources"), "requests");
  const std::string name = Text(container, "name");
  for (const char* res : {"cpu", "memory"}) {
    auto it = req.find(res);
    int64_t milli = -1;
    if (it != req.end() && it->is_string()) {
      if (auto q = ParseQuantityMilli(it->get<std::string>())) milli = *q;
    }
    if (milli < 0) {
      missing[res] = true;
      continue;
    }
    total[res] = SaturatingAdd(total[res], milli);
    per.push_back({res, name, milli});
  }
}

}  // namespace

std::vector<decision::Pod> PodsFromList(const nlohmann::json& list) {
  std::vector<decision::Pod> pods;
  for (const auto& p : Member(list, "items", /*array=*/true)) pods.push_back(PodFromJson(p));
  return pods;
}

decision::Pod PodFromJson(const nlohmann::json& p) {
  decision::Pod pod;
  const auto& md = Member(p, "metadata");
  pod.name = Text(md, "name");
  pod.deleting = md.contains("deletionTimestamp") && !md["deletionTimestamp"].is_null();
  const auto& status = Member(p, "status");
  const std::string phase = Text(status, "phase");
  pod.phase = phase == "Pending"     ? decision::PodPhase::kPending
              : phase == "Running"   ? decision::PodPhase::kRunning
              : phase == "Succeeded" ? decision::PodPhase::kSucceeded
              : phase == "Failed"    ? decision::PodPhase::kFailed
                                     : decision::PodPhase::kUnknown;
  if (auto st = api::ParseRfc3339(Text(status, "startTime"))) pod.start_time = *st;
  pod.ready = decision::ConditionStatus::kNone;
  for (const auto& c : Member(status, "conditions", /*array=*/true)) {
    if (Text(c, "type") != "Ready") continue;
    const std::string s = Text(c, "status");
    pod.ready = s == "True"    ? decision::ConditionStatus::kTrue
                : s == "False" ? decision::ConditionStatus::kFalse
                               : decision::ConditionStatus::kUnknown;
    if (auto t = api::ParseRfc3339(Text(c, "lastTransitionTime"))) pod.ready_transition_time = *t;
  }
  std::map<std::string, int64_t> total;
  std::map<std::string, bool> missing;
  const auto& pspec = Member(p, "spec");
  for (const auto& c : Member(pspec, "containers", /*array=*/true))
    AddRequests(c, total, missing, pod.requests);
  // Sidecars (restartable init containers) run alongside and count, as upstream since 1.29.
  for (const auto& c : Member(pspec, "initContainers", /*array=*/true))
    if (Text(c, "restartPolicy") == "Always") AddRequests(c, total, missing, pod.requests);
  for (const auto& [res, milli] : total)
    if (!missing.count(res)) pod.requests.push_back({res, "", milli});
  return pod;
}

std::vector<PodUsage> PodUsageFromList(const nlohmann::json& list) {
  std::vector<PodUsage> out;
  const auto& items = Member(list, "items", /*array=*/true);
  out.reserve(items.size());
  for (const auto& item : items) {
    PodUsage pod;
    pod.name = Text(Member(item, "metadata"), "name");
    pod.timestamp = api::ParseRfc3339(Text(item, "timestamp"));
    // "30s", "15.5s": seconds in milli-units are milliseconds.
    const std::string w = Text(item, "window");
    if (auto ms = ParseQuantityMilli(w.empty() || w.back() != 's' ? w : w.substr(0, w.size() - 1));
        ms && *ms >= 0)
      pod.window = Duration(*ms);
    for (const auto& c : Member(item, "containers", /*array=*/true)) {
      PodUsage::Container container{Text(c, "name"), {}};
      const auto& usage = Member(c, "usage");
      for (auto it = usage.begin(); it != usage.end(); ++it) {
        if (!it->is_string()) continue;  // garbage: no sample
        if (auto v = ParseQuantityMilli(it->get<std::string>()))
          container.usage.emplace_back(it.key(), *v);
      }
      pod.containers.push_back(std::move(container));
    }
    out.push_back(std::move(pod));
  }
  return out;
}

decision::MetricReading ReadingFromPodUsage(const std::vector<const PodUsage*>& pods,
                                            const decision::MetricSpec& metric) {
  decision::MetricReading r;
  r.ok = true;
  for (const PodUsage* pod : pods) {
    int64_t sum = 0;
    bool found = false;
    for (const auto& c : pod->containers) {
      if (metric.type == SourceType::kContainerResource && c.name != metric.container) continue;
      for (const auto& [resource, milli] : c.usage) {
        if (resource != metric.resource) continue;
        sum = SaturatingAdd(sum, milli);
        found = true;
      }
    }
    if (!found) continue;
    r.pod_samples.push_back({pod->name, sum});
    if (pod->timestamp) r.sample_time = *pod->timestamp;
    if (pod->window) r.sample_window = *pod->window;
  }
  if (r.pod_samples.empty()) return Failed("no metrics returned from resource metrics API");
  return r;
}

decision::MetricReading ReadingFromPodMetrics(const nlohmann::json& list,
                                              const decision::MetricSpec& metric) {
  const auto usage = PodUsageFromList(list);
  std::vector<const PodUsage*> pods;
  pods.reserve(usage.size());
  for (const auto& p : usage) pods.push_back(&p);
  return ReadingFromPodUsage(pods, metric);
}

ResourceMetricsReader::ResourceMetricsReader(KubeClient& client, std::string ns,
                                             const decision::Spec& spec,
                                             std::function<std::string()> selector, PodCache* pods,
                                             PodMetricsCache* metrics)
    : client_(client),
      ns_(std::move(ns)),
      spec_(spec),
      selector_(std::move(selector)),
      pods_(pods),
      metrics_(metrics) {
  for (const auto& m : spec_.metrics) needs_ = needs_ || IsResource(m.type);
  if (needs_ && pods_) pods_lease_ = pods_->Acquire(ns_);
  if (needs_ && pods_ && metrics_) metrics_lease_ = metrics_->Acquire(ns_);
}

std::optional<std::vector<decision::Pod>> ResourceMetricsReader::CachedPods(
    const std::string& selector) {
  if (!pods_) return std::nullopt;
  if (selector != parsed_text_ || !parsed_) {
    auto parsed = LabelSelector::Parse(selector);
    if (!parsed) return std::nullopt;  // the LIST below reports what the server makes of it
    parsed_ = std::move(*parsed);
    parsed_text_ = selector;
  }
  return pods_->Select(ns_, *parsed_, kCacheSyncWait);
}

void ResourceMetricsReader::Read(Timestamp now, const runtime::ScaleInfo&,
                                 decision::Observation& obs) {
  obs.readings.resize(spec_.metrics.size());
  if (!needs_) return;
  auto fail_all = [&](const std::string& why) {
    for (std::size_t i = 0; i < spec_.metrics.size(); ++i)
      if (IsResource(spec_.metrics[i].type)) obs.readings[i] = Failed(why);
  };
  const std::string sel = selector_();
  if (sel.empty()) return fail_all("the target's scale has no status.selector");
  const std::string q = "?labelSelector=" + net::UrlEncode(sel);
  auto cached = CachedPods(sel);
  std::vector<decision::Pod> pods;
  if (cached) {
    pods = std::move(*cached);
  } else {
    auto listed = client_.Get("/api/v1/namespaces/" + ns_ + "/pods" + q);
    if (!listed) return fail_all("unable to list the target's pods: " + listed.error().message);
    pods = PodsFromList(*listed);
  }
  // The namespace's shared read needs the pods' names to select from it: only with cached pods
  // (a LIST above means the pod cache cannot answer, and a selector read is as cheap then).
  PodMetricsCache::Usage shared;
  std::vector<PodUsage> own;
  std::vector<const PodUsage*> usage;
  if (cached && metrics_ && metrics_->Shared(ns_)) {
    auto got = metrics_->Get(ns_, now);
    if (!got)
      return fail_all("unable to get metrics from resource metrics API: " + got.error().message);
    shared = std::move(*got);
    std::unordered_set<std::string_view> names;
    names.reserve(pods.size());
    for (const auto& p : pods) names.insert(p.name);
    for (const auto& u : *shared)
      if (names.count(u.name)) usage.push_back(&u);
  } else {
    auto metrics = client_.Get("/apis/metrics.k8s.io/v1beta1/namespaces/" + ns_ + "/pods" + q);
    if (!metrics)
      return fail_all("unable to get metrics from resource metrics API: " +
                      metrics.error().message);
    own = PodUsageFromList(*metrics);
    for (const auto& u : own) usage.push_back(&u);
  }
  obs.pods = std::move(pods);
  obs.pods_known = true;
  for (std::size_t i = 0; i < spec_.metrics.size(); ++i) {
    const auto& m = spec_.metrics[i];
    if (!IsResource(m.type)) continue;
    obs.readings[i] = ReadingFromPodUsage(usage, m);
  }
}

}  // namespace ebb::kube

#include "controller/api/state_json.h"

#include <cmath>

#include "controller/api/field_reader.h"
#include "controller/api/timestamps.h"
#include "controller/decision/forecast.h"

namespace ebb::api {
namespace {

using nlohmann::json;

json Events(const std::vector<decision::ScaleEvent>& events) {
  json a = json::array();
  for (const auto& e : events) {
    json o = {{"time", FormatRfc3339(e.at)}, {"change", e.change}};
    if (e.outdated) o["outdated"] = true;
    a.push_back(std::move(o));
  }
  return a;
}

bool ReadTime(const json& j, Timestamp& out) {
  if (j.is_string()) {
    auto t = ParseRfc3339(j.get<std::string>());
    if (!t) return false;
    out = *t;
    return true;
  }
  if (auto ms = SecondsToMillis(j)) {
    out = FromUnixMillis(*ms);
    return true;
  }
  return false;
}

bool ReadEvents(const json& j, const std::string& path, std::vector<decision::ScaleEvent>& out,
                std::string& err) {
  if (j.is_null()) return true;
  if (!j.is_array()) {
    err = path + ": must be a list";
    return false;
  }
  for (size_t i = 0; i < j.size(); ++i) {
    const json& e = j[i];
    decision::ScaleEvent ev;
    const std::string p = path + "[" + std::to_string(i) + "]";
    if (!e.is_object() || !e.contains("time") || !ReadTime(e["time"], ev.at)) {
      err = p + ".time: must be an RFC 3339 time";
      return false;
    }
    auto change = ReadInt(e, "change", p, 0, INT32_MAX, true);
    if (!change) {
      err = change.error().message;
      return false;
    }
    ev.change = static_cast<int32_t>(**change);
    if (const auto o = e.find("outdated"); o != e.end() && !o->is_null()) {
      if (!o->is_boolean()) {
        err = p + ".outdated: must be true or false";
        return false;
      }
      ev.outdated = o->get<bool>();
    }
    out.push_back(ev);
  }
  return true;
}

json History(const decision::MetricHistory& h) {
  if (h.bucket_seconds <= 0) return nullptr;
  json o = {{"bucketSeconds", h.bucket_seconds},
            {"start", FormatRfc3339(FromUnixMillis(h.first_bucket * h.bucket_seconds * 1000))},
            {"values", h.values}};
  if (h.open_bucket >= 0 && h.open_count > 0) {
    o["open"] = {{"start", FormatRfc3339(FromUnixMillis(h.open_bucket * h.bucket_seconds * 1000))},
                 {"sum", h.open_sum},
                 {"count", h.open_count}};
  }
  return o;
}

// A bucket start: an RFC 3339 time on a bucket boundary, as an index.
bool ReadBucket(const json& j, int32_t bucket_seconds, int64_t& out) {
  Timestamp t{};
  if (!ReadTime(j, t)) return false;
  const int64_t ms = ToUnixMillis(t);
  const int64_t width = int64_t{bucket_seconds} * 1000;
  if (ms % width != 0) return false;
  out = ms / width;
  return true;
}

Result<decision::MetricHistory> ReadHistory(const json& j, const std::string& p) {
  auto fail = [](std::string m) { return MakeError(ErrorCode::kInvalidConfig, std::move(m)); };
  decision::MetricHistory h;
  if (j.is_null()) return h;
  if (!j.is_object()) return fail(p + ": must be an object or null");
  auto width = ReadInt(j, "bucketSeconds", p, 300, 3600, true);
  if (!width) return width.error();
  h.bucket_seconds = static_cast<int32_t>(**width);
  if (!j.contains("start") || !ReadBucket(j["start"], h.bucket_seconds, h.first_bucket)) {
    return fail(p + ".start: must be an RFC 3339 time on a bucket boundary");
  }
  const json& values = j.value("values", json());
  if (!values.is_array()) return fail(p + ".values: must be a list of integers");
  if (values.size() > decision::kMaxHistoryBuckets) {
    return fail(p + ".values: must have at most " + std::to_string(decision::kMaxHistoryBuckets) +
                " entries (got " + std::to_string(values.size()) + ")");
  }
  h.values.reserve(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    auto v = ReadIntValue(values[i], p + ".values[" + std::to_string(i) + "]", -1, INT64_MAX);
    if (!v) return v.error();
    h.values.push_back(*v);
  }
  if (auto o = j.find("open"); o != j.end() && !o->is_null()) {
    const std::string op = p + ".open";
    if (!o->is_object() || !o->contains("start") ||
        !ReadBucket((*o)["start"], h.bucket_seconds, h.open_bucket)) {
      return fail(op + ".start: must be an RFC 3339 time on a bucket boundary");
    }
    auto count = ReadInt(*o, "count", op, 1, INT32_MAX, true);
    if (!count) return count.error();
    h.open_count = static_cast<int32_t>(**count);
    const json& sum = o->value("sum", json());
    if (!sum.is_number() || !std::isfinite(sum.get<double>()) || sum.get<double>() < 0) {
      return fail(op + ".sum: must be a non-negative number");
    }
    h.open_sum = sum.get<double>();
    if (h.open_bucket < h.first_bucket + static_cast<int64_t>(h.values.size())) {
      return fail(op + ".start: must be after the last closed bucket");
    }
  }
  return h;
}

}  // namespace

json StateToJson(const decision::DecisionState& s) {
  json j = json::object();
  if (s.has_recommendations) {
    json recs = json::array();
    for (const auto& r : s.recommendations) {
      recs.push_back({{"time", FormatRfc3339(r.at)}, {"replicas", r.replicas}});
    }
    j["recommendations"] = std::move(recs);
  }
  j["scaleUpEvents"] = Events(s.scale_up_events);
  j["scaleDownEvents"] = Events(s.scale_down_events);
  j["consecutiveFailures"] = s.consecutive_failures;
  if (s.last_active_time) j["lastActiveTime"] = FormatRfc3339(*s.last_active_time);
  if (s.last_scale_time) j["lastScaleTime"] = FormatRfc3339(*s.last_scale_time);
  bool any_history = false;
  for (const auto& h : s.histories) any_history = any_history || h.bucket_seconds > 0;
  if (any_history) {
    json a = json::array();
    for (const auto& h : s.histories) a.push_back(History(h));
    j["histories"] = std::move(a);
  }
  return j;
}

Result<decision::DecisionState> StateFromJson(const json& j, const std::string& path) {
  decision::DecisionState s;
  if (j.is_null()) return s;
  auto fail = [](std::string m) { return MakeError(ErrorCode::kInvalidConfig, std::move(m)); };
  if (!j.is_object()) return fail(path + ": must be an object");
  if (auto it = j.find("recommendations"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) return fail(path + ".recommendations: must be a list");
    s.has_recommendations = true;
    for (size_t i = 0; i < it->size(); ++i) {
      const json& r = (*it)[i];
      const std::string p = path + ".recommendations[" + std::to_string(i) + "]";
      decision::Recommendation rec;
      if (!r.is_object() || !r.contains("time") || !ReadTime(r["time"], rec.at)) {
        return fail(p + ".time: must be an RFC 3339 time");
      }
      auto replicas = ReadInt(r, "replicas", p, 0, INT32_MAX, true);
      if (!replicas) return replicas.error();
      rec.replicas = static_cast<int32_t>(**replicas);
      s.recommendations.push_back(rec);
    }
  }
  std::string err;
  if (!ReadEvents(j.value("scaleUpEvents", json()), path + ".scaleUpEvents", s.scale_up_events,
                  err) ||
      !ReadEvents(j.value("scaleDownEvents", json()), path + ".scaleDownEvents",
                  s.scale_down_events, err)) {
    return fail(err);
  }
  if (auto it = j.find("consecutiveFailures"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) return fail(path + ".consecutiveFailures: must be a list of integers");
    for (size_t i = 0; i < it->size(); ++i) {
      auto v = ReadIntValue((*it)[i], path + ".consecutiveFailures[" + std::to_string(i) + "]", 0,
                            INT32_MAX);
      if (!v) return v.error();
      s.consecutive_failures.push_back(static_cast<int32_t>(*v));
    }
  }
  for (const char* key : {"lastActiveTime", "lastScaleTime"}) {
    if (auto it = j.find(key); it != j.end() && !it->is_null()) {
      Timestamp t{};
      if (!ReadTime(*it, t)) return fail(path + "." + key + ": must be an RFC 3339 time");
      (std::string(key) == "lastActiveTime" ? s.last_active_time : s.last_scale_time) = t;
    }
  }
  if (auto it = j.find("histories"); it != j.end() && !it->is_null()) {
    // One per spec metric; 16 is far above any spec and bounds what a stored status can hold.
    if (!it->is_array() || it->size() > 16) {
      return fail(path + ".histories: must be a list of at most 16 entries");
    }
    for (size_t i = 0; i < it->size(); ++i) {
      auto h = ReadHistory((*it)[i], path + ".histories[" + std::to_string(i) + "]");
      if (!h) return h.error();
      s.histories.push_back(std::move(*h));
    }
  }
  return s;
}

}  // namespace ebb::api

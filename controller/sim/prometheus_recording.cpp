#include "controller/sim/prometheus_recording.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

namespace ebb::sim {
namespace {

// Prometheus writes sample values as strings: "1.5", "NaN", "+Inf", "-Inf".
bool ParsePromValue(std::string_view s, double& out) {
  if (s == "+Inf" || s == "Inf") {
    out = HUGE_VAL;
    return true;
  }
  if (s == "-Inf") {
    out = -HUGE_VAL;
    return true;
  }
  if (s == "NaN") {
    out = std::nan("");
    return true;
  }
  const char* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, out);
  return ec == std::errc() && p == end && !s.empty();
}

std::string LabelsText(const nlohmann::json& metric) {
  std::string s = metric.dump();
  return s.size() > 120 ? s.substr(0, 117) + "..." : s;
}

}  // namespace

Result<std::unique_ptr<PrometheusRecording>> PrometheusRecording::Open(
    const std::string& path, const std::string& metric_name) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return MakeError(ErrorCode::kNotFound, path + ": cannot open recording");
  std::ostringstream ss;
  ss << in.rdbuf();
  return FromText(ss.str(), path, metric_name);
}

Result<std::unique_ptr<PrometheusRecording>> PrometheusRecording::FromText(
    std::string_view text, std::string name, const std::string& metric_name) {
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded()) {
    return MakeError(ErrorCode::kParse, name +
                                            ": not valid JSON (expected a Prometheus "
                                            "query_range answer)");
  }
  return FromJson(doc, std::move(name), metric_name);
}

Result<std::unique_ptr<PrometheusRecording>> PrometheusRecording::FromJson(
    const nlohmann::json& doc, std::string name, const std::string& metric_name) {
  const std::string source = name;  // `name` moves into the recording below
  auto fail = [&source](const std::string& path, const std::string& what) {
    return MakeError(ErrorCode::kParse, source + ": " + path + ": " + what);
  };
  if (!doc.is_object()) return fail("$", "expected an object");
  const auto status = doc.find("status");
  if (status == doc.end() || !status->is_string() || *status != "success") {
    return fail("status", "expected \"success\"");
  }
  const auto data = doc.find("data");
  if (data == doc.end() || !data->is_object()) return fail("data", "missing");
  const auto type = data->find("resultType");
  if (type == data->end() || *type != "matrix") {
    return fail("data.resultType", "expected \"matrix\" (a query_range answer)");
  }
  const auto result = data->find("result");
  if (result == data->end() || !result->is_array()) return fail("data.result", "expected a list");

  std::unique_ptr<PrometheusRecording> rec(new PrometheusRecording(std::move(name)));
  for (size_t i = 0; i < result->size(); ++i) {
    const std::string path = "data.result[" + std::to_string(i) + "]";
    const auto& s = (*result)[i];
    if (!s.is_object()) return fail(path, "expected an object");
    const auto metric = s.find("metric");
    if (metric == s.end() || !metric->is_object()) return fail(path + ".metric", "missing");
    Series series;
    if (auto it = metric->find("ebb_metric"); it != metric->end() && it->is_string()) {
      series.metric = it->get<std::string>();
    } else if (!metric_name.empty()) {
      series.metric = metric_name;
    } else if (auto n = metric->find("__name__"); n != metric->end() && n->is_string()) {
      series.metric = n->get<std::string>();
    } else {
      return fail(path, "series " + LabelsText(*metric) +
                            " has no name: add an ebb_metric label (label_replace) or pass "
                            "--metric-name");
    }
    for (const auto& other : rec->series_) {
      if (other.metric == series.metric) {
        return fail(path, "a second series named \"" + series.metric +
                              "\": aggregate in the query (sum by ...) or set ebb_metric labels");
      }
    }
    const auto values = s.find("values");
    if (values == s.end() || !values->is_array()) return fail(path + ".values", "expected a list");
    series.points.reserve(values->size());
    for (size_t j = 0; j < values->size(); ++j) {
      const auto& v = (*values)[j];
      const std::string vpath = path + ".values[" + std::to_string(j) + "]";
      if (!v.is_array() || v.size() != 2 || !v[0].is_number() || !v[1].is_string()) {
        return fail(vpath, "expected [<unix seconds>, \"<value>\"]");
      }
      const double secs = v[0].get<double>();
      double value = 0;
      // Beyond ±9e15 s the milliseconds would overflow.
      if (!std::isfinite(secs) || std::fabs(secs) > 9e15 ||
          !ParsePromValue(v[1].get_ref<const std::string&>(), value)) {
        return fail(vpath, "bad sample " + v.dump());
      }
      const Timestamp at = FromUnixMillis(static_cast<int64_t>(std::llround(secs * 1000.0)));
      if (!series.points.empty() && at < series.points.back().at) {
        return fail(vpath, "timestamps must increase");
      }
      series.points.push_back({at, value});
    }
    rec->series_.push_back(std::move(series));
  }
  return rec;
}

Result<bool> PrometheusRecording::Next(RawSample& out) {
  Series* best = nullptr;
  for (size_t i = 0; i < series_.size(); ++i) {
    Series& s = series_[i];
    if (s.next < s.points.size() &&
        (best == nullptr || s.points[s.next].at < best->points[best->next].at)) {
      best = &s;
      last_series_ = i;
    }
  }
  if (best == nullptr) return false;
  const Point& p = best->points[best->next++];
  out.at = p.at;
  out.metric = best->metric;
  out.value = p.value;
  return true;
}

std::string PrometheusRecording::Position() const {
  if (last_series_ >= series_.size()) return name_;
  const Series& s = series_[last_series_];
  return name_ + ": data.result[" + std::to_string(last_series_) + "].values[" +
         std::to_string(s.next - 1) + "]";
}

}  // namespace ebb::sim

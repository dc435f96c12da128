// Prometheus `query_range` answers (resultType matrix) as a recording. The answer is one JSON
// value, so it is read whole; Prometheus caps a range query at 11,000 points per series, which
// keeps that small. Naming rule for a series, first match wins:
//   1. its `ebb_metric` label (add it with label_replace in the query);
//   2. the --metric-name option;
//   3. its `__name__` label.
// Two series with the same name are an error: aggregate them in the query (sum by ...).
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "controller/sim/sample_source.h"

namespace ebb::sim {

class PrometheusRecording final : public SampleSource {
 public:
  static Result<std::unique_ptr<PrometheusRecording>> Open(const std::string& path,
                                                           const std::string& metric_name);
  static Result<std::unique_ptr<PrometheusRecording>> FromText(std::string_view text,
                                                               std::string name,
                                                               const std::string& metric_name);
  static Result<std::unique_ptr<PrometheusRecording>> FromJson(const nlohmann::json& doc,
                                                               std::string name,
                                                               const std::string& metric_name);

  Result<bool> Next(RawSample& out) override;
  const std::string& name() const override { return name_; }
  std::string Position() const override;

 private:
  struct Point {
    Timestamp at;
    double value;
  };
  struct Series {
    std::string metric;
    std::vector<Point> points;
    size_t next = 0;
  };

  explicit PrometheusRecording(std::string name) : name_(std::move(name)) {}

  std::string name_;
  std::vector<Series> series_;  // in the answer's order: series_[i] is data.result[i]
  size_t last_series_ = SIZE_MAX;
};

}  // namespace ebb::sim

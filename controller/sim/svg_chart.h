// Inline SVG time-series charts for the HTML report: no scripts, no fonts or styles from the
// network. Downsampled buckets draw as a min..max band under a mean line, so spikes stay visible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "controller/base/time.h"
#include "controller/sim/report_series.h"

namespace ebb::sim {

enum class SeriesStyle { kLine, kArea, kStep };

struct ChartSeries {
  std::string label;
  std::string color;  // CSS colour
  const MinMaxSeries* data = nullptr;
  SeriesStyle style = SeriesStyle::kLine;
  bool dashed = false;
  bool band = true;  // draw min..max where buckets hold several ticks
};

struct ChartLine {
  double value = 0;
  std::string label;
  std::string color;
};

// A stretch of time shaded behind the series (flapping).
struct ChartRegion {
  int64_t t0_ms = 0;
  int64_t t1_ms = 0;
  std::string color;
};

struct ChartOptions {
  // Non-empty: the chart can be zoomed and panned by the report's script (its plot is clipped
  // to the frame and carries its time range); unique within the page.
  std::string id;
  std::vector<ChartRegion> regions;
  std::string title;
  std::string unit;  // y-axis caption
  Timestamp start{};
  Timestamp end{};
  std::vector<ChartLine> lines;  // horizontal reference lines (targets, limits)
  std::optional<double> y_max;
  bool integer_axis = false;
  int width = 1160;
  int height = 250;
};

std::string RenderChart(const ChartOptions& options, const std::vector<ChartSeries>& series);

// A distribution: x against y, both linear, from (x, y) points drawn as a line.
struct XYSeries {
  std::string label;
  std::string color;
  std::vector<std::pair<double, double>> points;
};

struct XYChartOptions {
  std::string title;
  std::string x_unit;
  std::string y_unit;
  double x_max = 1;  // points beyond are cut at the frame
  double y_min = 0;
  double y_max = 1;
  bool y_percent = false;          // y labels as percent of 1
  std::vector<ChartLine> x_lines;  // vertical reference lines at x = value
  std::vector<ChartLine> y_lines;  // horizontal reference lines
  int width = 1160;
  int height = 260;
};

std::string RenderXYChart(const XYChartOptions& options, const std::vector<XYSeries>& series);

// Escapes text for HTML element content and attribute values.
std::string HtmlEscape(std::string_view text);

}  // namespace ebb::sim

// Inline SVG time-series charts for the HTML report: no scripts, no fonts or styles from the
// network. Downsampled buckets draw as a min..max band under a mean line, so spikes stay visible.
#pragma once

#include <optional>
#include <string>
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

struct ChartOptions {
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

// Escapes text for HTML element content and attribute values.
std::string HtmlEscape(std::string_view text);

}  // namespace ebb::sim

#include "controller/sim/svg_chart.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>

#include "controller/sim/number_text.h"
#include "controller/sim/timestamp_text.h"

namespace ebb::sim {
namespace {

constexpr double kLeft = 64;
constexpr double kRight = 16;
constexpr double kTop = 34;
constexpr double kBottom = 28;

std::string Num(double v) {  // SVG coordinates: one decimal is plenty
  return FormatFixed(v, 1);
}

std::string AxisLabel(double v) {
  char buf[32];
  const double a = std::fabs(v);
  if (a >= 1e9) {
    std::snprintf(buf, sizeof buf, "%.3gG", v / 1e9);
  } else if (a >= 1e6) {
    std::snprintf(buf, sizeof buf, "%.3gM", v / 1e6);
  } else if (a >= 1e4) {
    std::snprintf(buf, sizeof buf, "%.3gk", v / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%.4g", v);
  }
  return buf;
}

// 1, 2, 2.5 or 5 times a power of ten, so that about `target` steps cover `range`.
double NiceStep(double range, int target, bool integer) {
  if (!(range > 0)) return 1;
  const double raw = range / target;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    step = m * mag;
    if (step >= raw) break;
  }
  if (integer) step = std::max(1.0, std::ceil(step));
  return step;
}

struct TimeAxis {
  int64_t step_ms;
  bool with_time;
};

TimeAxis ChooseTimeStep(int64_t span_ms) {
  static constexpr std::array<int64_t, 14> kSteps = {
      60'000,     300'000,    600'000,    900'000,    1'800'000,   3'600'000,   7'200'000,
      10'800'000, 21'600'000, 43'200'000, 86'400'000, 172'800'000, 604'800'000, 2'592'000'000};
  for (int64_t s : kSteps) {
    if (span_ms / s <= 10) return {s, s < 86'400'000};
  }
  return {kSteps.back(), false};
}

std::string TimeLabel(int64_t ms, bool with_time, bool show_date) {
  const std::string iso = FormatRfc3339(FromUnixMillis(ms));  // YYYY-MM-DDTHH:MM:SSZ
  if (!with_time) return iso.substr(5, 5);
  if (show_date) return iso.substr(5, 5) + " " + iso.substr(11, 5);
  return iso.substr(11, 5);
}

}  // namespace

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string RenderChart(const ChartOptions& o, const std::vector<ChartSeries>& series) {
  const double w = o.width;
  const double h = o.height;
  const double pw = w - kLeft - kRight;
  const double ph = h - kTop - kBottom;
  const int64_t t0 = ToUnixMillis(o.start);
  const int64_t t1 = std::max(ToUnixMillis(o.end), t0 + 1);

  double ymax = 0;
  for (const auto& s : series) {
    if (s.data != nullptr) ymax = std::max(ymax, s.data->Max());
  }
  for (const auto& l : o.lines) ymax = std::max(ymax, l.value);
  if (o.y_max) ymax = *o.y_max;
  if (!(ymax > 0)) ymax = 1;
  const double step = NiceStep(ymax * 1.05, 5, o.integer_axis);
  const double ytop = std::ceil(ymax * 1.05 / step) * step;

  auto X = [&](int64_t t) {
    return kLeft + pw * static_cast<double>(t - t0) / static_cast<double>(t1 - t0);
  };
  auto Y = [&](double v) { return kTop + ph * (1.0 - std::clamp(v / ytop, 0.0, 1.0)); };

  const bool zoom = !o.id.empty();
  std::string svg;
  svg += "<svg class=\"chart\" viewBox=\"0 0 " + Num(w) + " " + Num(h) +
         "\" role=\"img\" aria-label=\"" + HtmlEscape(o.title) + "\"";
  if (zoom) {
    // What the script needs to map time to x and to redraw the time axis.
    svg += " data-t0=\"" + std::to_string(t0) + "\" data-t1=\"" + std::to_string(t1) +
           "\" data-l=\"" + Num(kLeft) + "\" data-pw=\"" + Num(pw) + "\" data-top=\"" + Num(kTop) +
           "\" data-ph=\"" + Num(ph) + "\" data-h=\"" + Num(h) + "\"";
  }
  svg += ">";
  if (zoom) {
    svg += "<defs><clipPath id=\"c-" + HtmlEscape(o.id) + "\"><rect x=\"" + Num(kLeft) + "\" y=\"" +
           Num(kTop - 1) + "\" width=\"" + Num(pw) + "\" height=\"" + Num(ph + 2) +
           "\"/></clipPath></defs>";
  }
  svg += "<text class=\"ct\" x=\"" + Num(kLeft) + "\" y=\"18\">" + HtmlEscape(o.title);
  if (!o.unit.empty()) svg += "<tspan class=\"cu\" dx=\"10\">" + HtmlEscape(o.unit) + "</tspan>";
  svg += "</text>";
  // Grid and y labels.
  for (double v = 0; v <= ytop + step * 0.01; v += step) {
    const double y = Y(v);
    svg += "<line class=\"grid\" x1=\"" + Num(kLeft) + "\" x2=\"" + Num(w - kRight) + "\" y1=\"" +
           Num(y) + "\" y2=\"" + Num(y) + "\"/>";
    svg += "<text class=\"yl\" x=\"" + Num(kLeft - 8) + "\" y=\"" + Num(y + 4) +
           "\" text-anchor=\"end\">" + AxisLabel(v) + "</text>";
  }
  // Time axis.
  svg += "<g class=\"xa\">";
  const TimeAxis axis = ChooseTimeStep(t1 - t0);
  const int64_t first = (t0 / axis.step_ms + (t0 % axis.step_ms != 0 ? 1 : 0)) * axis.step_ms;
  bool first_label = true;
  for (int64_t t = first; t <= t1; t += axis.step_ms) {
    const double x = X(t);
    const bool midnight = t % 86'400'000 == 0;
    svg += "<line class=\"vgrid" + std::string(midnight && axis.with_time ? " day" : "") +
           "\" x1=\"" + Num(x) + "\" x2=\"" + Num(x) + "\" y1=\"" + Num(kTop) + "\" y2=\"" +
           Num(kTop + ph) + "\"/>";
    svg += "<text class=\"xl\" x=\"" + Num(x) + "\" y=\"" + Num(h - 8) +
           "\" text-anchor=\"middle\">" +
           TimeLabel(t, axis.with_time, axis.with_time && (first_label || midnight)) + "</text>";
    first_label = false;
  }
  svg += "</g>";
  svg += "<rect class=\"frame\" x=\"" + Num(kLeft) + "\" y=\"" + Num(kTop) + "\" width=\"" +
         Num(pw) + "\" height=\"" + Num(ph) + "\"/>";

  svg += zoom ? "<g clip-path=\"url(#c-" + HtmlEscape(o.id) + ")\"><g class=\"zx\">" : "<g>";
  for (const auto& r : o.regions) {
    const double xa = X(std::max(r.t0_ms, t0));
    const double xb = std::max(X(std::min(r.t1_ms, t1)), xa + 0.5);
    svg += "<rect class=\"flap\" x=\"" + Num(xa) + "\" y=\"" + Num(kTop) + "\" width=\"" +
           Num(xb - xa) + "\" height=\"" + Num(ph) + "\" fill=\"" + r.color +
           "\" fill-opacity=\"0.18\"/>";
  }
  for (const auto& s : series) {
    if (s.data == nullptr || s.data->empty()) continue;
    const auto& b = s.data->buckets();
    const bool downsampled = s.data->ticks_per_bucket() > 1;
    // min..max band, per run of buckets without gaps.
    if (downsampled && s.band) {
      std::string d;
      size_t i = 0;
      while (i < b.size()) {
        while (i < b.size() && b[i].n == 0) ++i;
        size_t j = i;
        while (j < b.size() && b[j].n > 0) ++j;
        if (j > i) {
          for (size_t k = i; k < j; ++k) {
            d += (k == i ? "M" : "L") + Num(X(b[k].t0_ms)) + "," + Num(Y(b[k].max));
            d += "L" + Num(X(b[k].t1_ms)) + "," + Num(Y(b[k].max));
          }
          for (size_t k = j; k-- > i;) {
            d += "L" + Num(X(b[k].t1_ms)) + "," + Num(Y(b[k].min));
            d += "L" + Num(X(b[k].t0_ms)) + "," + Num(Y(b[k].min));
          }
          d += "Z";
        }
        i = j;
      }
      svg +=
          "<path d=\"" + d + "\" fill=\"" + s.color + "\" fill-opacity=\"0.22\" stroke=\"none\"/>";
    }
    // The mean (or the value itself) as a line; a step line for replica counts.
    std::string d;
    std::string area;
    bool pen = false;
    double last_x = 0;
    for (size_t k = 0; k < b.size(); ++k) {
      if (b[k].n == 0) {
        if (pen && s.style == SeriesStyle::kArea) area += "L" + Num(last_x) + "," + Num(Y(0)) + "Z";
        pen = false;
        continue;
      }
      const double v = b[k].mean();
      const double xa = X(b[k].t0_ms);
      // A bucket spans up to the next tick, so its line reaches the next bucket's start.
      const double xb = k + 1 < b.size() ? X(b[k + 1].t0_ms) : X(b[k].t1_ms);
      const double y = Y(v);
      if (s.style == SeriesStyle::kStep) {
        d += (pen ? "L" : "M") + Num(xa) + "," + Num(y) + "L" + Num(xb) + "," + Num(y);
      } else {
        const double xm = downsampled ? (xa + xb) / 2 : xa;
        d += (pen ? "L" : "M") + Num(xm) + "," + Num(y);
        if (s.style == SeriesStyle::kArea) {
          area += (pen ? "L" : "M" + Num(xm) + "," + Num(Y(0)) + "L") + Num(xm) + "," + Num(y);
        }
        last_x = xm;
      }
      pen = true;
    }
    if (pen && s.style == SeriesStyle::kArea) area += "L" + Num(last_x) + "," + Num(Y(0)) + "Z";
    if (!area.empty()) {
      svg += "<path d=\"" + area + "\" fill=\"" + s.color + "\" fill-opacity=\"0.16\"/>";
    }
    svg += "<path d=\"" + d + "\" fill=\"none\" stroke=\"" + s.color +
           "\" stroke-width=\"1.6\" stroke-linejoin=\"round\"" +
           (s.dashed ? " stroke-dasharray=\"5 4\"" : "") + "/>";
  }
  svg += zoom ? "</g></g>" : "</g>";
  for (const auto& l : o.lines) {
    const double y = Y(l.value);
    svg += "<line x1=\"" + Num(kLeft) + "\" x2=\"" + Num(w - kRight) + "\" y1=\"" + Num(y) +
           "\" y2=\"" + Num(y) + "\" stroke=\"" + l.color +
           "\" stroke-width=\"1.2\" stroke-dasharray=\"6 4\"/>";
    svg += "<text class=\"ll\" x=\"" + Num(w - kRight - 4) + "\" y=\"" + Num(y - 4) +
           "\" text-anchor=\"end\" fill=\"" + l.color + "\">" + HtmlEscape(l.label) + "</text>";
  }
  // Legend, top right.
  double lx = w - kRight;
  std::string legend;
  for (size_t k = series.size(); k-- > 0;) {
    const auto& s = series[k];
    const double text_w = 7.0 * static_cast<double>(s.label.size());
    lx -= text_w + 26;
    legend += "<rect x=\"" + Num(lx) + "\" y=\"10\" width=\"14\" height=\"4\" rx=\"2\" fill=\"" +
              s.color + "\"/><text class=\"lg\" x=\"" + Num(lx + 18) + "\" y=\"16\">" +
              HtmlEscape(s.label) + "</text>";
  }
  svg += legend;
  svg += "</svg>";
  return svg;
}

std::string RenderXYChart(const XYChartOptions& o, const std::vector<XYSeries>& series) {
  const double w = o.width;
  const double h = o.height;
  const double pw = w - kLeft - kRight;
  const double ph = h - kTop - kBottom - 10;
  const double xmax = o.x_max > 0 ? o.x_max : 1;
  const double yspan = o.y_max > o.y_min ? o.y_max - o.y_min : 1;
  auto X = [&](double v) { return kLeft + pw * std::clamp(v / xmax, 0.0, 1.0); };
  auto Y = [&](double v) {
    return kTop + ph * (1.0 - std::clamp((v - o.y_min) / yspan, 0.0, 1.0));
  };
  std::string svg = "<svg class=\"chart\" viewBox=\"0 0 " + Num(w) + " " + Num(h) +
                    "\" role=\"img\" aria-label=\"" + HtmlEscape(o.title) + "\">";
  svg += "<text class=\"ct\" x=\"" + Num(kLeft) + "\" y=\"18\">" + HtmlEscape(o.title);
  if (!o.y_unit.empty())
    svg += "<tspan class=\"cu\" dx=\"10\">" + HtmlEscape(o.y_unit) + "</tspan>";
  svg += "</text>";
  const double ystep = NiceStep(yspan, 5, false);
  for (double v = std::ceil(o.y_min / ystep) * ystep; v <= o.y_max + ystep * 0.01; v += ystep) {
    const double y = Y(v);
    svg += "<line class=\"grid\" x1=\"" + Num(kLeft) + "\" x2=\"" + Num(w - kRight) + "\" y1=\"" +
           Num(y) + "\" y2=\"" + Num(y) + "\"/><text class=\"yl\" x=\"" + Num(kLeft - 8) +
           "\" y=\"" + Num(y + 4) + "\" text-anchor=\"end\">" +
           (o.y_percent ? FormatFixed(v * 100, ystep * 100 < 1 ? 1 : 0) + " %" : AxisLabel(v)) +
           "</text>";
  }
  const double xstep = NiceStep(xmax, 10, false);
  for (double v = 0; v <= xmax + xstep * 0.01; v += xstep) {
    const double x = X(v);
    svg += "<line class=\"vgrid\" x1=\"" + Num(x) + "\" x2=\"" + Num(x) + "\" y1=\"" + Num(kTop) +
           "\" y2=\"" + Num(kTop + ph) + "\"/><text class=\"xl\" x=\"" + Num(x) + "\" y=\"" +
           Num(kTop + ph + 16) + "\" text-anchor=\"middle\">" + AxisLabel(v) + "</text>";
  }
  svg += "<text class=\"xl\" x=\"" + Num(kLeft + pw / 2) + "\" y=\"" + Num(h - 4) +
         "\" text-anchor=\"middle\">" + HtmlEscape(o.x_unit) + "</text>";
  svg += "<rect class=\"frame\" x=\"" + Num(kLeft) + "\" y=\"" + Num(kTop) + "\" width=\"" +
         Num(pw) + "\" height=\"" + Num(ph) + "\"/>";
  for (const auto& s : series) {
    std::string d;
    for (const auto& [x, y] : s.points) {
      if (!std::isfinite(x) || !std::isfinite(y)) continue;
      d += (d.empty() ? "M" : "L") + Num(X(x)) + "," + Num(Y(y));
      if (x > xmax) break;  // cut at the frame
    }
    if (d.empty()) continue;
    svg += "<path d=\"" + d + "\" fill=\"none\" stroke=\"" + s.color +
           "\" stroke-width=\"1.8\" stroke-linejoin=\"round\"/>";
  }
  for (const auto& l : o.x_lines) {
    const double x = X(l.value);
    svg += "<line x1=\"" + Num(x) + "\" x2=\"" + Num(x) + "\" y1=\"" + Num(kTop) + "\" y2=\"" +
           Num(kTop + ph) + "\" stroke=\"" + l.color +
           "\" stroke-width=\"1.2\" stroke-dasharray=\"6 4\"/><text class=\"ll\" x=\"" +
           Num(x + 4) + "\" y=\"" + Num(kTop + 12) + "\" fill=\"" + l.color + "\">" +
           HtmlEscape(l.label) + "</text>";
  }
  for (const auto& l : o.y_lines) {
    const double y = Y(l.value);
    svg += "<line x1=\"" + Num(kLeft) + "\" x2=\"" + Num(w - kRight) + "\" y1=\"" + Num(y) +
           "\" y2=\"" + Num(y) + "\" stroke=\"" + l.color +
           "\" stroke-width=\"1.2\" stroke-dasharray=\"6 4\"/><text class=\"ll\" x=\"" +
           Num(w - kRight - 4) + "\" y=\"" + Num(y + 14) + "\" text-anchor=\"end\" fill=\"" +
           l.color + "\">" + HtmlEscape(l.label) + "</text>";
  }
  double lx = w - kRight;
  for (size_t k = series.size(); k-- > 0;) {
    const auto& s = series[k];
    lx -= 7.0 * static_cast<double>(s.label.size()) + 26;
    svg += "<rect x=\"" + Num(lx) + "\" y=\"10\" width=\"14\" height=\"4\" rx=\"2\" fill=\"" +
           s.color + "\"/><text class=\"lg\" x=\"" + Num(lx + 18) + "\" y=\"16\">" +
           HtmlEscape(s.label) + "</text>";
  }
  svg += "</svg>";
  return svg;
}

}  // namespace ebb::sim

#include <algorithm>
#include <catch2/catch.hpp>
#include <cctype>
#include <sstream>

#include "controller/sim/csv_recording.h"
#include "controller/sim/html_report.h"
#include "controller/sim/svg_chart.h"
#include "tests/sim/sim_test_support.h"

namespace ebb::sim {
namespace {

// The attributes in `html` that point at another host ("src=", "href=", "url("), if any.
// std::regex is avoided: g++ 12 warns inside it under the sanitizers.
std::string RemoteReferences(std::string html) {
  std::transform(html.begin(), html.end(), html.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  html.erase(std::remove_if(html.begin(), html.end(),
                            [](char c) { return c == ' ' || c == '\n' || c == '\t'; }),
             html.end());
  std::string found;
  for (const std::string key : {"src=", "href=", "url(", "@import"}) {
    for (size_t at = html.find(key); at != std::string::npos; at = html.find(key, at + 1)) {
      size_t v = at + key.size();
      while (v < html.size() && (html[v] == '"' || html[v] == '\'')) ++v;
      const std::string rest = html.substr(v, 8);
      if (key == "@import" || rest.rfind("http:", 0) == 0 || rest.rfind("https:", 0) == 0 ||
          rest.rfind("//", 0) == 0) {
        found += key;
      }
    }
  }
  return found;
}

std::string RunAndReport(size_t ticks) {
  SimulationInput input;
  input.autoscaler = "worker <&>";
  input.spec = testing::SpecWith(testing::QueueMetric("backlog", 5), 1, 8);
  ModelConfig q;
  q.type = ModelType::kQueue;
  q.service_rate = 0.5;
  q.interval_seconds = 60;
  input.models = {q};
  input.initial_replicas = 1;
  std::string csv = "timestamp,metric,value\n";
  for (size_t i = 0; i < ticks / 4; ++i) {
    csv += std::to_string(1'700'000'000 + 60 * i) + ",backlog," +
           std::to_string((i / 30) % 2 ? 200 : 10) + "\n";
  }
  auto src = CsvRecording::FromText(csv, "rec.csv");
  SummaryBuilder summary(input);
  ReportBuilder report(input, 500);
  TickObserver* obs[] = {&summary, &report};
  auto info = RunSimulation(input, *src, obs);
  REQUIRE(info.has_value());
  std::ostringstream html;
  ReportDocuments docs;
  docs.autoscaler = {{"kind", "Autoscaler"}, {"metadata", {{"name", "worker"}}}};
  docs.spec_file = "w.yaml";
  docs.recordings = {"rec.csv"};
  report.Write(html, summary.Finish(*info), docs);
  return html.str();
}

TEST_CASE("the HTML report is one self-contained page", "[sim][report]") {
  const std::string html = RunAndReport(4000);
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK_THAT(html, Catch::Contains("<svg"));
  CHECK_THAT(html, Catch::Contains("Replicas"));
  CHECK_THAT(html, Catch::Contains("Backlog · backlog"));
  CHECK_THAT(html, Catch::Contains("Scale events"));
  CHECK_THAT(html, Catch::Contains("0.10 · 300 / 30 / 300 s"));  // the settings it assumed
  CHECK_THAT(html, Catch::Contains("worker &lt;&amp;&gt;"));     // escaped
  CHECK_THAT(html, !Catch::Contains("worker <&>"));
  // Nothing is fetched: no remote src/href/url(), no external scripts or stylesheets.
  CHECK(RemoteReferences(html).empty());
  CHECK(RemoteReferences("<img src = 'https://x/y.png'>") == "src=");  // the check itself works
  CHECK(RemoteReferences("<a href=//cdn/x>") == "href=");
  CHECK_THAT(html, !Catch::Contains("<script src"));
  CHECK_THAT(html, !Catch::Contains("<link"));
}

TEST_CASE("long runs are downsampled to a bounded page", "[sim][report]") {
  const std::string small = RunAndReport(2000);
  const std::string large = RunAndReport(40000);
  // 20x the ticks, but the charts hold at most 500 buckets each.
  CHECK(large.size() < small.size() * 3);
}

TEST_CASE("a chart draws a band for downsampled buckets and the reference lines", "[sim][report]") {
  MinMaxSeries s(10);
  const Timestamp t0 = FromUnixMillis(0);
  for (int i = 0; i < 100; ++i) s.Add(t0 + Seconds(15 * i), i == 50 ? 40 : 5);
  ChartOptions o;
  o.title = "t";
  o.start = t0;
  o.end = t0 + Seconds(15 * 99);
  o.lines = {{20, "target", "#f00"}};
  const std::string svg = RenderChart(o, {{"load", "#00f", &s, SeriesStyle::kLine, false, true}});
  CHECK_THAT(svg, Catch::Contains("fill-opacity=\"0.22\""));  // the min..max band
  CHECK_THAT(svg, Catch::Contains(">target</text>"));
  CHECK_THAT(svg, Catch::Contains(">load</text>"));
}

}  // namespace
}  // namespace ebb::sim

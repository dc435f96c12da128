// The report a person reads: compared policies overlaid, the wait distribution, flapping shaded,
// zoom and pan without the network, and a bounded size for 14 days.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "controller/sim/simulate_command.h"
#include "tests/sim/sim_test_support.h"

namespace ebb::sim {
namespace {

using testing::ReadFile;
using testing::SourceDir;
using testing::TempDir;

int Simulate(std::vector<std::string> args) {
  std::ostringstream out, err;
  const int code = SimulateMain(args, out, err);
  if (code != 0) UNSCOPED_INFO(err.str());
  return code;
}

std::string Autoscaler(const std::string& name, const std::string& target,
                       const std::string& extra = "") {
  return "apiVersion: ebb.dev/v1alpha1\nkind: Autoscaler\nmetadata: {name: " + name +
         "}\nspec:\n  scaleTargetRef: {kind: Deployment, name: worker}\n  minReplicas: 1\n"
         "  maxReplicas: 12\n  metrics:\n    - type: External\n      external:\n"
         "        metric: {name: backlog}\n        target: {type: AverageValue, averageValue: \"" +
         target + "\"}\n" + extra;
}

constexpr const char* kSimulation = R"(apiVersion: ebb.dev/v1alpha1
kind: Simulation
metadata: {name: two-hours}
spec:
  startupDelaySeconds: 30
  seed: 7
  slo: {waitSeconds: 60, percentile: 95}
  models:
    backlog: {type: queue, queueModel: pool, serviceRate: 0.5, intervalSeconds: 60}
)";

std::string Recording() {
  std::string csv = "timestamp,metric,value\n";
  for (int i = 0; i < 120; ++i) {
    csv += std::to_string(1'700'000'000 + 60 * i) + ",backlog," +
           std::to_string((i / 20) % 2 ? 150 : 20) + "\n";
  }
  return csv;
}

const std::string kFlappy =
    Autoscaler("flappy", "2",
               "  behavior:\n    scaleDown:\n      stabilizationWindowSeconds: 0\n"
               "      policies: [{type: Percent, value: 100, periodSeconds: 15}]\n");
// Scale-downs wait 15 minutes of lower recommendations: no flapping on these bursts.
const std::string kCalm =
    Autoscaler("calm", "4", "  behavior:\n    scaleDown:\n      stabilizationWindowSeconds: 900\n");

std::string Report(const std::string& spec_text, std::vector<std::string> extra = {}) {
  TempDir dir;
  const std::string spec = dir.File("policies.yaml", spec_text);
  const std::string rec = dir.File("rec.csv", Recording());
  const std::string html = dir.File("r.html");
  std::vector<std::string> args = {"-f", spec, "--metrics", rec, "--report", html};
  args.insert(args.end(), extra.begin(), extra.end());
  REQUIRE(Simulate(args) == 0);
  return ReadFile(html);
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// The part of `html` between the first <tag> and its </tag>.
std::string Between(const std::string& html, const std::string& open, const std::string& close,
                    size_t from = 0) {
  const size_t a = html.find(open, from);
  if (a == std::string::npos) return "";
  const size_t b = html.find(close, a + open.size());
  return html.substr(a + open.size(),
                     b == std::string::npos ? std::string::npos : b - a - open.size());
}

// Everything in `html` that a browser could fetch: any "http:", "https:" or "//host" outside
// the SVG namespace name (which names, and fetches nothing), and src/href/url()/@import
// pointing anywhere but the page itself.
std::string ExternalReferences(const std::string& html) {
  std::string found;
  std::string lower = html;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const std::string ns = "http://www.w3.org/2000/svg";
  for (const std::string scheme : {"http:", "https:", "ftp:", "ws:", "wss:"}) {
    for (size_t at = lower.find(scheme); at != std::string::npos; at = lower.find(scheme, at + 1)) {
      if (lower.compare(at, ns.size(), ns) != 0) found += lower.substr(at, 40) + " ";
    }
  }
  for (const std::string key : {"src=", "href=", "@import", "<link", "fetch(", "xmlhttprequest",
                                "import(", "websocket", "sendbeacon"}) {
    if (lower.find(key) != std::string::npos) found += key + " ";
  }
  for (size_t at = lower.find("url("); at != std::string::npos; at = lower.find("url(", at + 1)) {
    if (lower.compare(at, 5, "url(#") != 0) found += lower.substr(at, 20) + " ";
  }
  return found;
}

TEST_CASE("the no-network check finds what a browser would fetch", "[sim][report]") {
  CHECK(ExternalReferences("<p>ok</p><g clip-path=\"url(#c-t1)\">").empty());
  CHECK(ExternalReferences("createElementNS('http://www.w3.org/2000/svg', 'g')").empty());
  CHECK_FALSE(ExternalReferences("<img src=x.png>").empty());
  CHECK_FALSE(ExternalReferences("<a href='#'>").empty());
  CHECK_FALSE(ExternalReferences("fetch('/data')").empty());
  CHECK_FALSE(ExternalReferences("background:url(x.png)").empty());
  CHECK_FALSE(ExternalReferences("'https://cdn.example/x.js'").empty());
  CHECK_FALSE(ExternalReferences("'http://example.org'").empty());
}

TEST_CASE("a compared report overlays every policy and the ideal", "[sim][report][compare]") {
  const std::string html = Report(kFlappy + "---\n" + kCalm + "---\n" + kSimulation);
  CHECK_THAT(html, Catch::Contains("<title>ebb simulate · comparison of 2 policies</title>"));
  CHECK_THAT(html, Catch::Contains("Compared on the same recording, models and seed"));
  // The replicas chart: a line per policy (in its colour) and the ideal schedule.
  const std::string replicas = Between(html, "aria-label=\"Replicas\"", "</svg>");
  REQUIRE(!replicas.empty());
  CHECK(Count(replicas, "stroke=\"#059669\"") >= 1);  // flappy
  CHECK(Count(replicas, "stroke=\"#6366f1\"") >= 1);  // calm
  CHECK_THAT(replicas, Catch::Contains(">flappy</text>"));
  CHECK_THAT(replicas, Catch::Contains(">calm</text>"));
  CHECK_THAT(replicas, Catch::Contains(">ideal (clairvoyant)</text>"));
  // Capacity, backlog, oldest wait and metric per policy.
  for (const std::string what : {"capacity", "backlog", "oldest wait", "as compared"}) {
    CHECK_THAT(html, Catch::Contains(">" + what + " · flappy</text>"));
    CHECK_THAT(html, Catch::Contains(">" + what + " · calm</text>"));
  }
  // Targets on the metric chart, one line per distinct target.
  CHECK_THAT(html, Catch::Contains(">target 2 per replica</text>"));
  CHECK_THAT(html, Catch::Contains(">target 4 per replica</text>"));
  // A summary block per policy.
  CHECK(Count(html, "<h2>Summary</h2>") == 2);
  CHECK(Count(html, "<h2>Spec used</h2>") == 2);
  // Only the flappy policy's regions are shaded, in its colour.
  CHECK(Count(replicas, "class=\"flap\"") >= 1);
  CHECK(Count(replicas, "fill=\"#6366f1\" fill-opacity=\"0.18\"") == 0);
  CHECK(Count(replicas, "fill=\"#059669\" fill-opacity=\"0.18\"") >= 1);
}

TEST_CASE("the report charts the wait distribution with the SLO", "[sim][report]") {
  const std::string html = Report(kCalm + "---\n" + kSimulation);
  CHECK_THAT(html, Catch::Contains("<h2>Wait distribution</h2>"));
  const std::string cdf = Between(html, "aria-label=\"Wait per task · backlog\"", "</svg>");
  REQUIRE(!cdf.empty());
  CHECK_THAT(cdf, Catch::Contains(">SLO 60 s</text>"));
  CHECK_THAT(cdf, Catch::Contains(">p95</text>"));
  CHECK_THAT(cdf, Catch::Contains(">wait</text>"));
  CHECK_THAT(cdf, Catch::Contains("100 %"));
  // The curve: 0 s first, then the 100 percentiles, 99.5, 99.9 and the max.
  const std::string path = Between(cdf, "<path d=\"", "\"");
  CHECK(Count(path, "L") == 103);
}

TEST_CASE("flapping is flagged in the report and its summary", "[sim][report]") {
  const std::string flappy = Report(kFlappy + "---\n" + kSimulation);
  CHECK_THAT(flappy, Catch::Contains("flapping: "));
  CHECK_THAT(flappy, Catch::Contains("class=\"flap\""));
  const std::string calm = Report(kCalm + "---\n" + kSimulation);
  CHECK_THAT(calm, !Catch::Contains("class=\"flap\""));
  CHECK_THAT(calm, !Catch::Contains("⚠ flapping"));
  // A looser rule does not flag the same run.
  const std::string loose =
      Report(kFlappy + "---\n" + kSimulation, {"--flap-reversals", "1000", "--flap-window", "60"});
  CHECK_THAT(loose, !Catch::Contains("class=\"flap\""));
}

TEST_CASE("every time chart is zoomable, the script is inline and nothing is fetched",
          "[sim][report]") {
  const std::string html = Report(kFlappy + "---\n" + kCalm + "---\n" + kSimulation);
  // The overview strip, then replicas and four charts for the queue metric.
  CHECK(Count(html, "data-t0=") == 6);
  CHECK(Count(html, "<g class=\"zx\">") == 6);
  CHECK(Count(html, "<g class=\"xa\">") == 6);
  CHECK_THAT(html, Catch::Contains("id=\"zreset\""));
  CHECK_THAT(html, Catch::Contains("id=\"ovw\""));
  CHECK(Count(html, "<script>") == 1);
  CHECK(ExternalReferences(html).empty());
  INFO(ExternalReferences(html));

  // The script parses (node, when the machine has it).
  if (std::system("node --version >/dev/null 2>&1") != 0) {
    WARN("node not found: the script's syntax is not checked");
    return;
  }
  TempDir dir;
  const std::string js = dir.File("report.js", Between(html, "<script>", "</script>"));
  CHECK(std::system(("node --check " + js).c_str()) == 0);
  // And node's check does fail on a broken script.
  const std::string bad = dir.File("bad.js", "(function () { var x = ; })();");
  CHECK(std::system(("node --check " + bad + " 2>/dev/null").c_str()) != 0);
}

TEST_CASE("the bundled 14-day example's report stays small", "[sim][report][size]") {
  TempDir dir;
  const std::string html = dir.File("celery.html");
  REQUIRE(Simulate({"-f", SourceDir() + "/examples/celery-worker.yaml", "--metrics",
                    SourceDir() + "/examples/recordings/celery-arrivals.csv", "--report", html}) ==
          0);
  const std::string page = ReadFile(html);
  // 14 days at 15 s ticks (80,640 ticks): every chart's series are bounded buckets.
  CHECK_THAT(page, Catch::Contains("80641 ticks of 15 s"));
  CHECK(page.size() < 1'500'000);
  CHECK(ExternalReferences(page).empty());
}

}  // namespace
}  // namespace ebb::sim

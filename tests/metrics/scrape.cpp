#include "tests/metrics/scrape.h"

#include <cstdlib>
#include <sstream>

#include "tests/support/local.h"

namespace ebb::testing {

std::string HttpGet(int port, const std::string& path) {
  return Shell("curl -sS --fail -m 10 http://127.0.0.1:" + std::to_string(port) + path);
}

std::map<std::string, double> Samples(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const auto space = line.rfind(' ');
    if (space == std::string::npos) continue;
    out[line.substr(0, space)] = std::strtod(line.c_str() + space + 1, nullptr);
  }
  return out;
}

std::optional<double> Sample(const std::string& text, const std::string& series) {
  const auto all = Samples(text);
  auto it = all.find(series);
  if (it == all.end()) return std::nullopt;
  return it->second;
}

int CountSeries(const std::string& text, const std::string& prefix) {
  int n = 0;
  for (const auto& [series, value] : Samples(text))
    if (series.rfind(prefix, 0) == 0) ++n;
  return n;
}

}  // namespace ebb::testing

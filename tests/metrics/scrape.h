// Scrapes a real /metrics endpoint over HTTP and reads its samples.
#pragma once

#include <map>
#include <optional>
#include <string>

namespace ebb::testing {

// The body of GET http://127.0.0.1:<port><path> (curl; fails the test when nothing answers).
std::string HttpGet(int port, const std::string& path);

// Samples of a Prometheus text exposition: "name{labels}" (as written) -> value.
std::map<std::string, double> Samples(const std::string& text);

// The value of the sample written exactly as `series`, if present.
std::optional<double> Sample(const std::string& text, const std::string& series);

// How many samples start with `prefix` (a family name, or a name and its first labels).
int CountSeries(const std::string& text, const std::string& prefix);

}  // namespace ebb::testing

// The process_* series every Prometheus Go client exports (client_golang's process collector,
// same names, help and units), read from /proc/self at each scrape.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <string>
#include <vector>

namespace ebb::metrics {

class ProcessCollector final : public prometheus::Collectable {
 public:
  // `proc`: the /proc/<pid> directory to read (tests point it elsewhere).
  explicit ProcessCollector(std::string proc = "/proc/self");
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  std::string proc_;
};

}  // namespace ebb::metrics

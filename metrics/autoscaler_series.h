// The per-Autoscaler series ({namespace, autoscaler}): one compact snapshot per Autoscaler, turned
// into samples only when scraped. One prometheus-cpp Gauge per series (a Labels map per series,
// twice: in the family and in the index that drops it) cost ~25 KB per Autoscaler, measured with
// bench/controller/memory_bench.cpp; a snapshot costs ~1 KB.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "metrics/autoscaler_snapshot.h"

namespace ebb::metrics {

class AutoscalerSeries final : public prometheus::Collectable {
 public:
  // The Autoscaler's gauges become what the snapshot says (series it no longer has are gone);
  // every metric that is not ok counts one failed read.
  void Observe(AutoscalerSnapshot s);
  void RecordScale(const std::string& ns, const std::string& name, const std::string& direction,
                   const std::string& reason, bool dry_run);
  void Forget(const std::string& ns, const std::string& name);
  void Clear();
  // Families in the order they were registered before (gauges, then the two counters), each
  // present only when it has a series, as prometheus-cpp's families are.
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  struct Scale {
    std::string direction, reason;
    bool dry_run = false;
    double count = 0;
  };
  struct Entry {
    bool observed = false;  // RecordScale may come before any Observe
    AutoscalerSnapshot snapshot;
    std::vector<std::pair<std::string, double>> errors;  // metric name -> failed reads
    std::vector<Scale> scales;
  };
  static std::string Key(const std::string& ns, const std::string& name);
  mutable std::mutex mu_;
  std::map<std::string, Entry> entries_;  // "ns/name"
};

}  // namespace ebb::metrics

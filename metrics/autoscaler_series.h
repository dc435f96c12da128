// The per-Autoscaler series ({namespace, autoscaler}): one compact snapshot per Autoscaler, turned
// into samples only when scraped. One prometheus-cpp Gauge per series (a Labels map per series,
// twice: in the family and in the index that drops it) cost ~25 KB per Autoscaler, measured with
// bench/controller/memory_bench.cpp; a snapshot costs ~1 KB.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <functional>
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
  // The same exposition text as prometheus::TextSerializer over Collect(), handed to `out` a few
  // hundred Autoscalers at a time: Collect() at 10,000 Autoscalers built ~100 MB of samples
  // for one scrape (heaptrack, bench/controller). The lock is held per chunk, never while `out`
  // writes.
  void WriteText(const std::function<void(const std::string&)>& out, std::size_t chunk = 256) const;

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
  // The families (`only`: that one alone; -1: all) of the entries after key `after` ("" from
  // the first), at most `max` of them; `*last` is the last key read ("" when none was left).
  std::vector<prometheus::MetricFamily> CollectChunk(const std::string& after, std::size_t max,
                                                     int only, std::string* last) const;
  mutable std::mutex mu_;
  std::map<std::string, Entry> entries_;  // "ns/name"
};

}  // namespace ebb::metrics

// metrics.k8s.io read once per namespace for every Resource Autoscaler in it, instead of once per
// Autoscaler. The HPA sends one selector-filtered read per HPA per sync: at 10,000 Autoscalers on
// a 15 s interval that is ~670 proxied requests per second through the aggregation layer. Here,
// in a namespace with two or more Resource Autoscalers, the first reconcile reads the whole
// namespace's PodMetricsList and the reconciles that follow within `max_age` select their pods'
// entries from it (by the pod names the pod cache selected), so a namespace costs at most
// interval / max_age reads per interval however many Autoscalers it holds. A namespace with one
// keeps its selector read: a whole namespace's reply for one Autoscaler would only cost bytes.
// The reply is kept compact (names and parsed quantities, not JSON).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "controller/base/result.h"
#include "controller/base/time.h"
#include "controller/kube/kube_client.h"
#include "controller/kube/resource_metrics.h"

namespace ebb::kube {

class PodMetricsCache {
 public:
  // A read is reused by every reconcile in its namespace that starts within `max_age` of it; a
  // failed read too, so a metrics API that is down is asked once per `max_age`, not by everyone.
  static constexpr Duration kDefaultMaxAge = Seconds(5);
  explicit PodMetricsCache(KubeClient& client, Duration max_age = kDefaultMaxAge);

  using Lease = std::shared_ptr<void>;
  // A Resource Autoscaler's interest in `ns`; the namespace's entry goes with its last lease.
  Lease Acquire(const std::string& ns);
  // Two or more leases on `ns`: its readers should share the namespace's read.
  bool Shared(const std::string& ns) const;

  using Usage = std::shared_ptr<const std::vector<PodUsage>>;
  // The namespace's pod metrics, read now unless a read at or after `now - max_age` exists.
  // Concurrent callers for one namespace wait for the one read in flight. Without a lease on
  // `ns`, every call reads.
  Result<Usage> Get(const std::string& ns, Timestamp now);

  std::size_t namespaces() const;
  uint64_t reads() const { return reads_.load(); }

 private:
  struct Entry {
    int interest = 0;  // guarded by Entries::mu
    std::mutex mu;     // held across the read: the single flight
    bool filled = false;
    Timestamp read_at{};
    std::optional<Error> error;
    Usage usage;
  };
  // Shared with the leases, which may outlive the cache (a target handed out and kept).
  struct Entries {
    std::mutex mu;
    std::map<std::string, std::shared_ptr<Entry>> by_namespace;
  };
  Result<Usage> Read(const std::string& ns);

  KubeClient& client_;
  const Duration max_age_;
  std::shared_ptr<Entries> entries_ = std::make_shared<Entries>();
  std::atomic<uint64_t> reads_{0};
};

}  // namespace ebb::kube

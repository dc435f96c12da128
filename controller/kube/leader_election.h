// Leader election on a coordination.k8s.io/v1 Lease with client-go's algorithm and defaults
// (lease 15 s, renew deadline 10 s, retry 2 s): a candidate takes the lease only after the
// holder's record has not changed for a whole lease duration as timed by the candidate's own
// clock (no trust in the other side's clock); the leader steps down when it could not renew
// within the renew deadline; Release() on shutdown hands over at once.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "controller/base/time.h"
#include "controller/kube/kube_client.h"
#include "controller/kube/lease_lock.h"

namespace ebb::kube {

struct LeaderElectionConfig {
  std::string ns = "default";
  std::string name = "ebb-controller";
  std::string identity;  // unique per process: hostname + random suffix
  Duration lease_duration = Seconds(15);
  Duration renew_deadline = Seconds(10);
  Duration retry_period = Seconds(2);
};

class LeaderElector {
 public:
  using OnChange = std::function<void(bool leading)>;
  LeaderElector(KubeClient& client, LeaderElectionConfig config, OnChange on_change);
  ~LeaderElector();
  LeaderElector(const LeaderElector&) = delete;
  LeaderElector& operator=(const LeaderElector&) = delete;

  void Start();
  // Stops campaigning; when leading and `release`, clears the holder so a peer takes over now.
  void Stop(bool release);
  bool is_leader() const { return leader_.load(); }

 private:
  void Run();
  void SetLeader(bool v);

  LeaderElectionConfig config_;
  LeaseLock lock_;
  OnChange on_change_;
  std::atomic<bool> leader_{false};
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  std::thread thread_;
};

}  // namespace ebb::kube

// One coordination.k8s.io/v1 Lease taken and renewed with client-go's rules: a lease held by
// someone else is taken only after its record has not changed for a whole lease duration as timed
// by OUR clock (no trust in the other side's clock); writes carry the resourceVersion read, so
// two candidates racing for it get one 200 and one 409. Leader election holds one such lease;
// sharding holds one per shard plus a membership lease per replica.
#pragma once

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "controller/base/time.h"
#include "controller/kube/kube_client.h"

namespace ebb::kube {

struct LeaseLockConfig {
  std::string ns = "default";
  std::string name;
  std::string identity;
  Duration lease_duration = Seconds(15);
  std::map<std::string, std::string> labels;  // set on create, so peers can list by label
};

// MicroTime as the API server parses it: exactly six fraction digits.
std::string FormatMicroTime(Timestamp t);

// The part of a Lease whose change means its holder renewed it (or it changed hands): its spec.
std::string LeaseRecord(const nlohmann::json& lease);

// What we last saw of a lease and when it last changed, by our steady clock.
class LeaseObservation {
 public:
  // Returns the holder recorded in `lease`.
  std::string Observe(const nlohmann::json& lease, std::chrono::steady_clock::time_point now);
  // Held by someone (maybe us) whose record changed within its lease duration, by our clock.
  bool Live(std::chrono::steady_clock::time_point now) const;
  // Live, and seen to change since we first saw it: its holder is renewing now. A first sighting
  // proves nothing (a holder that died a second before looks the same), so safety decisions use
  // Live() and wait the lease out, while fairness decisions may use this to skip the dead.
  bool Renewing(std::chrono::steady_clock::time_point now) const {
    return changes_ >= 2 && Live(now);
  }
  const std::string& holder() const { return holder_; }
  // When it stops being Live() unless its record changes again.
  std::chrono::steady_clock::time_point expires_at() const {
    return changed_at_ + std::chrono::seconds(duration_s_);
  }

 private:
  std::string record_;
  std::string holder_;
  int32_t duration_s_ = 0;
  int changes_ = 0;  // records seen (capped): 1 after the first sighting
  std::chrono::steady_clock::time_point changed_at_{};
};

class LeaseLock {
 public:
  LeaseLock(KubeClient& client, LeaseLockConfig config);

  // Takes or renews the lease when it is free, expired by our clock, or ours. `seen` is a copy
  // read moments ago (e.g. from a list) to spare a GET; null reads it. True: we hold it now.
  bool TryAcquireOrRenew(const nlohmann::json* seen = nullptr);
  // Gives the lease up at once if we hold it (client-go's release: an empty holder and a 1 s
  // lease, so a candidate takes over without waiting out the duration).
  void Release();
  // Notes a copy read elsewhere (a list) without writing; `seen`: when its record was first seen.
  void Observe(const nlohmann::json& lease, std::chrono::steady_clock::time_point seen) {
    observed_.Observe(lease, seen);
  }
  const LeaseObservation& observation() const { return observed_; }
  std::string Path() const;

 private:
  KubeClient& client_;
  LeaseLockConfig config_;
  LeaseObservation observed_;
};

}  // namespace ebb::kube

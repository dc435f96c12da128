// A keyed due-time queue (client-go's delaying work queue, keyed): each key has at most one due
// time; a key is never handed out twice at once (re-scheduling it while a worker holds it takes
// effect when the worker calls Done). Workers block in Take() until a key is due; no thread per
// key. PopDue()/NextDue() drive it without threads in tests.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "controller/base/time.h"

namespace ebb::live {

struct DueItem {
  std::string key;
  Timestamp due{};
};

class DueQueue {
 public:
  // Sets (or replaces) the key's due time.
  void Schedule(const std::string& key, Timestamp due);
  // Forgets the key; a worker holding it finishes, and Done() will not re-add it.
  void Remove(const std::string& key);
  // Every key due at or before `now`, up to `max`, marked as being processed.
  std::vector<DueItem> PopDue(Timestamp now, std::size_t max);
  // Blocks until a key is due by `clock` (or Shutdown); marks it as being processed.
  std::optional<DueItem> Take(const Clock& clock);
  // The worker is finished with the key; a Schedule() made meanwhile applies now.
  void Done(const std::string& key);
  // Blocks until no worker holds any of `keys` (e.g. before the shard they belong to is handed
  // to another replica).
  void WaitIdle(const std::vector<std::string>& keys);
  // Blocks until fewer than `max` keys are being processed (or Shutdown): the dispatcher's
  // backpressure, so an overloaded process leaves due keys here, in due order, instead of in an
  // unbounded backlog of taken ones that a shard hand-over (WaitIdle) would have to wait for.
  void WaitProcessingBelow(std::size_t max);
  std::size_t processing() const;
  std::optional<Timestamp> NextDue() const;
  std::size_t size() const;
  void Shutdown();

 private:
  void Insert(const std::string& key, Timestamp due);  // mu_ held
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable idle_cv_;  // Done() was called
  std::set<std::pair<Timestamp, std::string>> order_;
  std::map<std::string, Timestamp> due_;
  std::set<std::string> processing_;
  std::map<std::string, Timestamp> deferred_;  // scheduled while processing
  bool shutdown_ = false;
};

}  // namespace ebb::live

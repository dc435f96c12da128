// List + watch of one collection into a local cache, client-go's reflector in small: list (paged)
// for a resourceVersion, watch from it with bookmarks, re-watch from the last seen version when
// the stream ends, re-list on 410 Gone, back off exponentially on errors (Retry-After is honoured
// by the client). Changes are delivered on the informer's own thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "controller/kube/kube_client.h"

namespace ebb::kube {

struct InformerOptions {
  Duration initial_backoff = Duration(800);
  Duration max_backoff = Seconds(30);
  int64_t list_page_size = 500;
  // One list page may take this long (the API server's own request timeout): a loaded server
  // answered 500 of 30,000 Autoscalers after the client's 10 s, and the list never completed.
  Duration list_page_timeout = Seconds(60);
  Duration idle_timeout = Seconds(90);  // no byte for this long: the watch is dead
  // Keep whole objects for Get(); a consumer with its own copy keeps only the keys
  // (thousands of objects as JSON trees are most of a controller's memory).
  bool keep_objects = true;
  // Without objects, a consumer that holds every key it was given (and forgets the deleted ones)
  // may hand them back for a re-list to find the deletions in; the informer then keeps nothing
  // per object (a key set is ~0.1 KB per object: 3.6 MB per informer at 30,000).
  std::function<std::vector<std::string>()> keys;
};

struct InformerStats {
  std::atomic<uint64_t> lists{0};
  std::atomic<uint64_t> watches{0};
  std::atomic<uint64_t> gone{0};  // 410 answers that forced a re-list
  std::atomic<uint64_t> errors{0};
  std::atomic<uint64_t> bookmarks{0};
  std::atomic<uint64_t> idle_rewatches{0};  // quiet watches re-opened, staying healthy
  std::atomic<uint64_t> page_retries{0};    // list pages after the first asked for again
};

class Informer {
 public:
  // obj == nullptr: deleted. Called for every change, and for every object after a (re)list.
  using OnChange = std::function<void(const std::string& key, const nlohmann::json* obj)>;

  Informer(KubeClient& client, std::string collection_path, OnChange on_change,
           InformerOptions options = {});
  ~Informer();
  Informer(const Informer&) = delete;
  Informer& operator=(const Informer&) = delete;

  void Start();
  void Stop();
  bool synced() const { return synced_.load(); }
  // Listed and watching: false until the first list succeeds, and from a failed list or watch
  // until a list succeeds or a watch is established again (the cache may be going stale).
  bool healthy() const { return healthy_.load(); }
  // Why it is not healthy (the last list or watch error); empty when it never failed.
  std::string last_error() const;
  // Waits until the first list has been delivered (or the timeout passes).
  bool WaitForSync(Duration timeout);

  std::optional<nlohmann::json> Get(const std::string& key) const;
  std::string resource_version() const;
  const InformerStats& stats() const { return stats_; }

  // "namespace/name" (or "name" for cluster-scoped objects).
  static std::string KeyOf(const nlohmann::json& obj);

 private:
  void Run();
  Result<void> Relist();
  Result<void> WatchOnce(bool* opened);  // *opened: the server answered 200
  void Sleep(Duration d);
  void Apply(const std::string& key, const nlohmann::json* obj);
  void Failed(const Error& e);

  KubeClient& client_;
  std::string path_;
  OnChange on_change_;
  InformerOptions options_;
  InformerStats stats_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> synced_{false};
  std::atomic<bool> healthy_{false};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, nlohmann::json> cache_;
  std::string rv_;
  std::string last_error_;
  std::thread thread_;
};

}  // namespace ebb::kube

// Shared Redis connections: one per (address, db, user) for the whole process, however many
// autoscalers read from it. A broken connection is dropped and re-made on next use; a request
// that fails on a reused connection at the transport is retried once on a fresh one (the server
// may have restarted since the last poll). A cluster endpoint (`cluster:`) keeps one slot map per
// cluster and one connection per master (redis_cluster.h).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "scalers/redis_connection.h"

namespace ebb::scalers {

class RedisPool {
 public:
  struct Stats {
    uint64_t connects = 0;            // successful connects
    uint64_t round_trips = 0;         // pipelines sent
    uint64_t commands = 0;            // commands sent
    uint64_t redirects = 0;           // cluster MOVED/ASK replies followed
    uint64_t slot_map_refreshes = 0;  // cluster CLUSTER SLOTS answers taken
  };

  RedisPool() = default;
  RedisPool(const RedisPool&) = delete;
  RedisPool& operator=(const RedisPool&) = delete;

  // Runs `commands` on the endpoint's shared connection as one pipelined round trip. Calls for
  // the same connection are serialised (waiting for the connection counts against the deadline);
  // different connections run in parallel. Connecting, AUTH, SELECT, the commands and the one
  // retry on a stale connection all end by `deadline`. For a cluster endpoint each command goes to
  // the master serving its key (one pipeline per master, the masters at once), MOVED and ASK are
  // followed, and a command whose master cannot be reached gets an error reply of its own (the
  // call fails as a whole only when no node gives a slot map).
  Result<std::vector<RedisReply>> Execute(const RedisEndpoint& endpoint,
                                          std::span<const RedisCommand> commands,
                                          SteadyTime deadline);

  // Drops every connection (they are re-made on next use).
  void Reset();
  std::size_t connection_count() const;
  Stats stats() const;

 private:
  struct Slot {
    std::timed_mutex mu;
    std::unique_ptr<RedisConnection> conn;
  };
  std::shared_ptr<Slot> SlotFor(const std::string& key);
  struct ClusterState;  // redis_cluster.cpp
  std::shared_ptr<ClusterState> ClusterFor(const std::string& key);
  Result<std::vector<RedisReply>> ExecuteCluster(const RedisEndpoint& endpoint,
                                                 std::span<const RedisCommand> commands,
                                                 SteadyTime deadline);
  Result<std::shared_ptr<const SlotMap>> RefreshSlotMap(const RedisEndpoint& endpoint,
                                                        ClusterState& state, SteadyTime deadline);

  mutable std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<Slot>> slots_;
  std::unordered_map<std::string, std::shared_ptr<ClusterState>> clusters_;
  std::atomic<uint64_t> connects_{0};
  std::atomic<uint64_t> round_trips_{0};
  std::atomic<uint64_t> commands_{0};
  std::atomic<uint64_t> redirects_{0};
  std::atomic<uint64_t> slot_map_refreshes_{0};
};

}  // namespace ebb::scalers

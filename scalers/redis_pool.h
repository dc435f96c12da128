// Shared Redis connections: one per (address, db, user) for the whole process, however many
// autoscalers read from it. A broken connection is dropped and re-made on next use; a request
// that fails on a reused connection at the transport is retried once on a fresh one (the server
// may have restarted since the last poll).
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
    uint64_t connects = 0;     // successful connects
    uint64_t round_trips = 0;  // pipelines sent
    uint64_t commands = 0;     // commands sent
  };

  RedisPool() = default;
  RedisPool(const RedisPool&) = delete;
  RedisPool& operator=(const RedisPool&) = delete;

  // Runs `commands` on the endpoint's shared connection as one pipelined round trip. Calls for
  // the same connection are serialised (waiting for the connection counts against the deadline);
  // different connections run in parallel. Connecting, AUTH, SELECT, the commands and the one
  // retry on a stale connection all end by `deadline`.
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

  mutable std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<Slot>> slots_;
  std::atomic<uint64_t> connects_{0};
  std::atomic<uint64_t> round_trips_{0};
  std::atomic<uint64_t> commands_{0};
};

}  // namespace ebb::scalers

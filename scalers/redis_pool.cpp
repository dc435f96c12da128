#include "scalers/redis_pool.h"

namespace ebb::scalers {

std::shared_ptr<RedisPool::Slot> RedisPool::SlotFor(const std::string& key) {
  std::lock_guard lock(mu_);
  auto& slot = slots_[key];
  if (!slot) slot = std::make_shared<Slot>();
  return slot;
}

Result<std::vector<RedisReply>> RedisPool::Execute(const RedisEndpoint& endpoint,
                                                   std::span<const RedisCommand> commands,
                                                   SteadyTime deadline) {
  if (commands.empty()) return std::vector<RedisReply>{};
  if (endpoint.cluster.enabled()) return ExecuteCluster(endpoint, commands, deadline);
  std::shared_ptr<Slot> slot = SlotFor(endpoint.Key());
  std::unique_lock lock(slot->mu, std::defer_lock);
  if (!lock.try_lock_until(deadline)) {
    return MakeError(ErrorCode::kTimeout,
                     endpoint.Describe() + ": timed out waiting for the shared connection");
  }
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool reused = slot->conn != nullptr && !slot->conn->broken();
    if (!reused) {
      slot->conn.reset();
      auto conn = RedisConnection::Connect(endpoint, deadline);
      if (!conn) return conn.error();
      slot->conn = std::move(conn).value();
      connects_.fetch_add(1, std::memory_order_relaxed);
    }
    round_trips_.fetch_add(1, std::memory_order_relaxed);
    commands_.fetch_add(commands.size(), std::memory_order_relaxed);
    auto replies = slot->conn->Pipeline(commands, deadline);
    if (replies) return replies;
    slot->conn.reset();
    // A stale connection (server restarted, idle socket closed) gets one fresh try within what
    // is left of the deadline; a timeout does not.
    if (!reused || replies.error().code == ErrorCode::kTimeout) return replies.error();
  }
  return MakeError(ErrorCode::kUnavailable, endpoint.Describe() + ": unreachable");
}

void RedisPool::Reset() {
  std::lock_guard lock(mu_);
  slots_.clear();
  clusters_.clear();
}

std::size_t RedisPool::connection_count() const {
  std::lock_guard lock(mu_);
  std::size_t n = 0;
  for (const auto& [key, slot] : slots_) {
    std::lock_guard slot_lock(slot->mu);
    if (slot->conn) ++n;
  }
  return n;
}

RedisPool::Stats RedisPool::stats() const {
  return Stats{connects_.load(), round_trips_.load(), commands_.load(), redirects_.load(),
               slot_map_refreshes_.load()};
}

}  // namespace ebb::scalers

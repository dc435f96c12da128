// Redis list length: the sum of LLEN over plain lists, or a Celery (kombu Redis transport) queue
// counted the way kombu stores it -- the queue's list plus its priority sub-lists, optionally
// plus the tasks delivered to workers but not yet acknowledged (kombu's `unacked` hash), routed
// to queues the way kombu's virtual exchanges do (direct: equal keys; topic: the binding pattern).
// Tasks a worker holds for a later ETA/countdown are not backlog until they are due, unless
// countScheduled. A queue that shows no trace under the configured prefix/separator/steps fails
// the reading (kNotFound) instead of reading as an empty queue.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scalers/redis_backed.h"

namespace ebb::scalers {

struct CeleryConfig {
  std::vector<std::string> queues;
  std::vector<int> priority_steps = {0, 3, 6, 9};  // kombu PRIORITY_STEPS
  std::string separator = "\x06\x16";              // kombu transport option `sep`
  std::string global_keyprefix;                    // kombu transport option `global_keyprefix`
  std::string unacked_key = "unacked";             // kombu transport option `unacked_key`
  bool include_unacked = false;
  bool count_scheduled = false;  // count unacked tasks whose ETA is still in the future
};

struct RedisListConfig {
  RedisEndpoint endpoint;
  Duration timeout = Seconds(3);
  std::vector<std::string> lists;      // plain mode: LLEN of each, summed
  std::optional<CeleryConfig> celery;  // celery mode
};

// Parses a `redis:` block in list or celery mode. Errors name `path` and list every problem.
Result<RedisListConfig> ParseRedisListConfig(const nlohmann::json& block, std::string_view path);

// The Redis keys kombu uses for `queue`: step 0 is the bare name, step s is name + sep + s, all
// behind the global key prefix (kombu Channel._q_for_pri).
std::vector<std::string> CeleryQueueKeys(const CeleryConfig& celery, const std::string& queue);

class RedisListScaler final : public RedisBackedScaler {
 public:
  RedisListScaler(RedisListConfig config, RedisPool& pool);

  const RedisEndpoint& endpoint() const override { return config_.endpoint; }
  Duration timeout() const override { return config_.timeout; }
  Step Next(std::span<const std::vector<RedisReply>> rounds, Timestamp now) const override;
  std::string Describe() const override;
  const RedisListConfig& config() const { return config_; }

 private:
  Step CountUnacked(const RedisReply& hvals, std::span<const std::vector<RedisReply>> rounds,
                    double lengths, Timestamp now) const;
  // A failed reading when a queue's keys are not where the config says kombu put them.
  std::optional<Error> CheckQueuesFound(std::span<const RedisReply> lengths,
                                        std::span<const RedisReply> checks) const;

  RedisListConfig config_;
  std::vector<RedisCommand> length_commands_;  // LLEN per key, computed once
  std::vector<RedisCommand> check_commands_;   // celery: per queue SMEMBERS binding + EXISTS
                                               // of unconfigured steps, then kombu's own bindings
  std::vector<bool> step_checked_;             // per queue: some step 0..9 is not configured
};

}  // namespace ebb::scalers

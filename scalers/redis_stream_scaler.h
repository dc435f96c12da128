// Redis stream backlog for non-Celery workers: XLEN of the stream, or the pending (delivered, not
// acknowledged) count of a consumer group (XPENDING summary form).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "scalers/redis_backed.h"

namespace ebb::scalers {

struct RedisStreamConfig {
  enum class Mode { kLength, kPending };
  RedisEndpoint endpoint;
  Duration timeout = Seconds(3);
  std::string stream;
  std::string consumer_group;  // required for kPending
  Mode mode = Mode::kLength;   // default: kPending when consumerGroup is set, else kLength
};

// Fields: the Redis connection fields plus `stream` (required), `consumerGroup`, and
// `streamMetric`: "Length" (XLEN) | "Pending" (XPENDING count; needs consumerGroup).
Result<RedisStreamConfig> ParseRedisStreamConfig(const nlohmann::json& block,
                                                 std::string_view path);

class RedisStreamScaler final : public RedisBackedScaler {
 public:
  RedisStreamScaler(RedisStreamConfig config, RedisPool& pool);

  const RedisEndpoint& endpoint() const override { return config_.endpoint; }
  Duration timeout() const override { return config_.timeout; }
  Step Next(std::span<const std::vector<RedisReply>> rounds, Timestamp now) const override;
  std::string Describe() const override;

 private:
  RedisStreamConfig config_;
};

}  // namespace ebb::scalers

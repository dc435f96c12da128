#include "scalers/redis_stream_scaler.h"

#include "controller/base/text.h"

namespace ebb::scalers {

Result<RedisStreamConfig> ParseRedisStreamConfig(const nlohmann::json& block,
                                                 std::string_view path) {
  std::vector<std::string> problems;
  ConfigReader r(block, std::string(path), &problems);
  RedisStreamConfig cfg;
  ParseRedisConnection(r, &cfg.endpoint, &cfg.timeout);
  std::vector<std::string_view> known(std::begin(kRedisConnectionFields),
                                      std::end(kRedisConnectionFields));
  known.insert(known.end(),
               {"stream", "consumerGroup", "streamMetric", "target", "activationThreshold"});
  r.RejectUnknown(known);
  if (r.Has("lists") || r.Has("celery")) {
    r.Problem("stream", "set exactly one of lists, celery and stream");
  }
  if (auto s = r.String("stream", /*required=*/true)) cfg.stream = *s;
  if (auto g = r.String("consumerGroup")) {
    if (g->empty()) r.Problem("consumerGroup", "must not be empty");
    cfg.consumer_group = *g;
  }
  cfg.mode = cfg.consumer_group.empty() ? RedisStreamConfig::Mode::kLength
                                        : RedisStreamConfig::Mode::kPending;
  if (auto m = r.String("streamMetric")) {
    if (*m == "Length") {
      cfg.mode = RedisStreamConfig::Mode::kLength;
    } else if (*m == "Pending") {
      cfg.mode = RedisStreamConfig::Mode::kPending;
      if (cfg.consumer_group.empty() && !r.Has("consumerGroup")) {
        r.Problem("consumerGroup", "required when streamMetric is Pending");
      }
    } else {
      r.Problem("streamMetric", "must be Length or Pending");
    }
  }
  if (!problems.empty()) return ConfigError(problems);
  return cfg;
}

RedisStreamScaler::RedisStreamScaler(RedisStreamConfig config, RedisPool& pool)
    : RedisBackedScaler(pool), config_(std::move(config)) {}

std::string RedisStreamScaler::Describe() const {
  std::string s = "redis " + config_.endpoint.Describe() + " stream=" + SafeText(config_.stream);
  if (config_.mode == RedisStreamConfig::Mode::kPending) {
    s += " pending group=" + SafeText(config_.consumer_group);
  }
  return s;
}

RedisBackedScaler::Step RedisStreamScaler::Next(std::span<const std::vector<RedisReply>> rounds,
                                                Timestamp /*now*/) const {
  const bool pending = config_.mode == RedisStreamConfig::Mode::kPending;
  if (rounds.empty()) {
    if (pending) {
      return std::vector<RedisCommand>{{"XPENDING", config_.stream, config_.consumer_group}};
    }
    return std::vector<RedisCommand>{{"XLEN", config_.stream}};
  }
  if (rounds[0].size() != 1) {
    return Result<double>(MakeError(ErrorCode::kInternal, Describe() + ": reply count mismatch"));
  }
  const RedisReply& r = rounds[0][0];
  if (!pending) {
    return SumIntegerReplies(rounds[0], std::vector<RedisCommand>{{"XLEN", config_.stream}},
                             Describe());
  }
  const std::string where = Describe() + ": XPENDING";
  if (r.is_error()) return Result<double>(RedisReplyError(r, where));
  if (r.type != RedisReply::Type::kArray || r.elements.empty() ||
      r.elements[0].type != RedisReply::Type::kInteger || r.elements[0].integer < 0) {
    return Result<double>(MakeError(ErrorCode::kParse, where + ": unexpected reply"));
  }
  return Result<double>(static_cast<double>(r.elements[0].integer));
}

}  // namespace ebb::scalers

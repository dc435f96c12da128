// Base for scalers that read Redis. A read is a short program of pipelined rounds: the scaler says
// which commands it needs, gets the replies, and either produces its value or asks for one more
// round. Read() runs it alone; the poller runs many scalers' rounds together so that every
// command bound for one connection goes out in one pipeline.
#pragma once

#include <span>
#include <variant>
#include <vector>

#include "scalers/redis_pool.h"
#include "scalers/scaler.h"

namespace ebb::scalers {

class RedisBackedScaler : public Scaler {
 public:
  // The next round's commands, or the final value/error.
  using Step = std::variant<Result<double>, std::vector<RedisCommand>>;

  virtual const RedisEndpoint& endpoint() const = 0;
  virtual Duration timeout() const = 0;
  // `rounds` holds the replies of every round so far (empty on the first call), each in the
  // order the commands were asked for; `now` is the read's time (ReadContext::now). Must be a
  // pure function of its arguments.
  virtual Step Next(std::span<const std::vector<RedisReply>> rounds, Timestamp now) const = 0;

  RedisPool& pool() const { return *pool_; }

  Result<double> Read(const ReadContext& ctx) override;

 protected:
  explicit RedisBackedScaler(RedisPool& pool) : pool_(&pool) {}

 private:
  RedisPool* pool_;
};

// Sums integer replies (LLEN, HLEN, XLEN ...); an error reply or a non-integer fails with context.
Result<double> SumIntegerReplies(std::span<const RedisReply> replies,
                                 std::span<const RedisCommand> commands, std::string_view where);

}  // namespace ebb::scalers

#include "scalers/redis_backed.h"

#include "controller/base/text.h"

namespace ebb::scalers {

Result<double> RedisBackedScaler::Read(const ReadContext& ctx) {
  // One deadline for the whole read: every round (and any connect) spends from it.
  const SteadyTime deadline = DeadlineAfter(TimeBudget(ctx, timeout()));
  std::vector<std::vector<RedisReply>> rounds;
  for (int i = 0; i < 8; ++i) {
    Step step = Next(rounds, ctx.now);
    if (auto* done = std::get_if<Result<double>>(&step)) return std::move(*done);
    auto& commands = std::get<std::vector<RedisCommand>>(step);
    auto replies = pool().Execute(endpoint(), commands, deadline);
    if (!replies) return replies.error();
    rounds.push_back(std::move(replies).value());
  }
  return MakeError(ErrorCode::kInternal, Describe() + ": too many rounds");
}

Result<double> SumIntegerReplies(std::span<const RedisReply> replies,
                                 std::span<const RedisCommand> commands, std::string_view where) {
  double sum = 0;
  for (std::size_t i = 0; i < replies.size(); ++i) {
    const RedisReply& r = replies[i];
    std::string what = std::string(where);
    if (i < commands.size() && commands[i].size() >= 2) {
      what += ": " + commands[i][0] + " " + SafeText(commands[i][1]);
    }
    if (r.is_error()) return RedisReplyError(r, what);
    if (r.type != RedisReply::Type::kInteger) {
      return MakeError(ErrorCode::kParse, what + ": expected an integer reply");
    }
    if (r.integer < 0) return MakeError(ErrorCode::kInvalidValue, what + ": negative length");
    sum += static_cast<double>(r.integer);
  }
  return sum;
}

}  // namespace ebb::scalers

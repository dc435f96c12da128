// Redis replies (scalers/redis_*): the fuzzed bytes are a RESP stream, decoded by hiredis's reader
// as on a real connection, and fed round by round to a Redis scaler's step program (plain lists,
// a Celery queue with unacked tasks and topic bindings, a stream's length or pending count). Any
// reply sequence ends in a finite, non-negative value or a typed error whose message is valid
// UTF-8 (a Redis -ERR with a non-ASCII byte once killed the controller, issue 8).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_check.h"
#include "scalers/redis_backed.h"
#include "scalers/redis_connection.h"
#include "scalers/redis_list_scaler.h"
#include "scalers/redis_pool.h"
#include "scalers/redis_stream_scaler.h"

namespace {

using ebb::scalers::RedisReply;

// hiredis 0.14 callocs an array reply's declared element count up front. On a real connection a
// huge count ("*2000000000") is address space the kernel hands out lazily or refuses (hiredis then
// reports out of memory); under ASan the calloc is touched and takes seconds, a false timeout.
bool DeclaresHugeArray(std::string_view resp) {
  for (std::size_t i = resp.find('*'); i != std::string_view::npos; i = resp.find('*', i + 1)) {
    std::size_t digits = 0;
    while (i + 1 + digits < resp.size() && resp[i + 1 + digits] >= '0' &&
           resp[i + 1 + digits] <= '9')
      ++digits;
    if (digits > 6) return true;
  }
  return false;
}

// The scalers under test, built once from their `redis:` blocks as a document would have them.
std::vector<std::unique_ptr<ebb::scalers::RedisBackedScaler>>& Scalers() {
  static ebb::scalers::RedisPool pool;  // never connects: only Next() is called
  static auto* scalers = [] {
    using nlohmann::json;
    auto* v = new std::vector<std::unique_ptr<ebb::scalers::RedisBackedScaler>>;
    const json list = {{"address", "redis:6379"}, {"lists", {"jobs", "jobs:high"}}};
    const json celery = {{"address", "redis:6379"},
                         {"celery", {{"queues", {"celery", "reports"}}, {"includeUnacked", true}}}};
    const json length = {{"address", "redis:6379"}, {"stream", "events"}};
    const json pending = {
        {"address", "redis:6379"}, {"stream", "events"}, {"consumerGroup", "workers"}};
    for (const json* block : {&list, &celery}) {
      auto cfg = ebb::scalers::ParseRedisListConfig(*block, "spec.metrics[0].redis");
      ebb::fuzz::Check(cfg.has_value(), "fixture config refused");
      v->push_back(std::make_unique<ebb::scalers::RedisListScaler>(*cfg, pool));
    }
    for (const json* block : {&length, &pending}) {
      auto cfg = ebb::scalers::ParseRedisStreamConfig(*block, "spec.metrics[0].redis");
      ebb::fuzz::Check(cfg.has_value(), "fixture config refused");
      v->push_back(std::make_unique<ebb::scalers::RedisStreamScaler>(*cfg, pool));
    }
    return v;
  }();
  return *scalers;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ebb;
  if (size < 1) return 0;
  auto& scalers = Scalers();
  const auto& scaler = *scalers[data[0] % scalers.size()];
  if (DeclaresHugeArray(fuzz::AsText(data + 1, size - 1))) return 0;
  scalers::RespReader reader;  // the connection's own reader, fed as a socket would
  if (!reader.Feed(fuzz::AsText(data + 1, size - 1))) return 0;

  std::vector<std::vector<RedisReply>> rounds;
  // The read's time: a Celery task's ETA in the fuzzed bytes falls either side of it.
  const Timestamp now = FromUnixMillis(1'767'225'600'000);  // 2026-01-01T00:00:00Z
  for (int round = 0; round < 8; ++round) {
    auto step = scaler.Next(rounds, now);
    if (auto* done = std::get_if<Result<double>>(&step)) {
      if (*done) {
        fuzz::Check(std::isfinite(**done) && **done >= 0, "a backlog that is not a count");
      } else {
        fuzz::CheckMessage(done->error().message);
        fuzz::CheckDumps(nlohmann::json{{"message", done->error().message}});
      }
      return 0;
    }
    const auto& commands = std::get<std::vector<scalers::RedisCommand>>(step);
    fuzz::Check(!commands.empty(), "a round without commands");
    std::vector<RedisReply> replies;
    for (std::size_t i = 0; i < commands.size(); ++i) {
      auto reply = reader.Next();
      if (!reply || !*reply) return 0;  // a protocol error, or the bytes end mid-reply
      replies.push_back(std::move(**reply));
    }
    // An error reply is what the pool's Execute hands back too; the direct helpers see it here.
    for (const auto& r : replies)
      if (r.is_error())
        fuzz::CheckMessage(scalers::RedisReplyError(r, "redis://redis:6379/0").message);
    rounds.push_back(std::move(replies));
  }
  fuzz::Check(false, "a step program that does not finish in 8 rounds");
  return 0;
}

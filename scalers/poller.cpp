#include "scalers/poller.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <thread>
#include <unordered_map>

#include "scalers/http_scaler.h"
#include "scalers/prometheus_scaler.h"
#include "scalers/redis_backed.h"

namespace ebb::scalers {
namespace {

void ReadPrometheus(std::span<Scaler* const> scalers, const std::vector<std::size_t>& idx,
                    const ReadContext& ctx, const PollOptions& options,
                    std::vector<Result<double>>& out) {
  // One batch per HTTP client (normally there is one).
  std::map<net::HttpClient*, std::vector<std::size_t>> by_client;
  for (std::size_t i : idx) {
    by_client[&static_cast<PrometheusScaler*>(scalers[i])->client()].push_back(i);
  }
  for (auto& [client, members] : by_client) {
    std::vector<net::HttpRequest> requests;
    std::vector<std::size_t> sent;
    for (std::size_t i : members) {
      auto* s = static_cast<PrometheusScaler*>(scalers[i]);
      auto req = s->BuildRequest(ctx);
      if (!req) {
        out[i] = req.error();
        continue;
      }
      requests.push_back(std::move(req).value());
      sent.push_back(i);
    }
    auto responses = client->SendAll(requests, options.max_http_in_flight);
    for (std::size_t k = 0; k < sent.size(); ++k) {
      out[sent[k]] = static_cast<PrometheusScaler*>(scalers[sent[k]])->Interpret(responses[k]);
    }
  }
}

// Every HttpScaler's requests of this poll in one batch per HTTP client.
void ReadHttp(std::span<Scaler* const> scalers, const std::vector<std::size_t>& idx,
              const ReadContext& ctx, const PollOptions& options,
              std::vector<Result<double>>& out) {
  std::map<net::HttpClient*, std::vector<std::size_t>> by_client;
  for (std::size_t i : idx) {
    by_client[&static_cast<HttpScaler*>(scalers[i])->client()].push_back(i);
  }
  for (auto& [client, members] : by_client) {
    std::vector<net::HttpRequest> requests;
    std::vector<std::pair<std::size_t, std::size_t>> spans;  // scaler -> [first, count)
    for (std::size_t i : members) {
      auto reqs = static_cast<HttpScaler*>(scalers[i])->Requests(ctx);
      if (!reqs) {
        out[i] = reqs.error();
        continue;
      }
      spans.emplace_back(i, requests.size());
      for (auto& r : *reqs) requests.push_back(std::move(r));
    }
    auto responses = client->SendAll(requests, options.max_http_in_flight);
    for (std::size_t k = 0; k < spans.size(); ++k) {
      const std::size_t first = spans[k].second;
      const std::size_t end = k + 1 < spans.size() ? spans[k + 1].second : responses.size();
      out[spans[k].first] = static_cast<HttpScaler*>(scalers[spans[k].first])
                                ->Interpret(std::span(responses).subspan(first, end - first));
    }
  }
}

struct RedisState {
  std::size_t index;  // into scalers / out
  RedisBackedScaler* scaler;
  SteadyTime deadline;  // fixed when the poll starts; every round spends from it
  std::vector<std::vector<RedisReply>> rounds;
  std::vector<RedisCommand> pending;
  std::vector<std::size_t> slots;  // pending command -> position in the group's pipeline
  bool done = false;
};

struct Group {
  RedisPool* pool = nullptr;
  const RedisEndpoint* endpoint = nullptr;
  SteadyTime deadline;                 // the earliest of its members'
  std::vector<RedisCommand> commands;  // deduplicated
  std::map<RedisCommand, std::size_t> positions;
  std::vector<RedisState*> members;
  Result<std::vector<RedisReply>> replies = MakeError(ErrorCode::kInternal, "not run");
};

void ReadRedis(std::span<Scaler* const> scalers, const std::vector<std::size_t>& idx,
               const ReadContext& ctx, const PollOptions& options,
               std::vector<Result<double>>& out) {
  std::vector<RedisState> states;
  states.reserve(idx.size());
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t i : idx) {
    auto* scaler = static_cast<RedisBackedScaler*>(scalers[i]);
    states.push_back(
        RedisState{i, scaler, start + TimeBudget(ctx, scaler->timeout()), {}, {}, {}, false});
  }
  for (int round = 0; round < 8; ++round) {
    // Ask every unfinished scaler for its next step; group the commands by connection.
    std::vector<Group> groups;
    std::unordered_map<std::string, std::size_t> group_of;  // pool + endpoint key -> group
    for (RedisState& st : states) {
      if (st.done) continue;
      auto step = st.scaler->Next(st.rounds, ctx.now);
      if (auto* value = std::get_if<Result<double>>(&step)) {
        out[st.index] = std::move(*value);
        st.done = true;
        continue;
      }
      st.pending = std::move(std::get<std::vector<RedisCommand>>(step));
      const RedisEndpoint& ep = st.scaler->endpoint();
      const std::string key =
          std::to_string(reinterpret_cast<std::uintptr_t>(&st.scaler->pool())) + "|" + ep.Key();
      auto [it, inserted] = group_of.try_emplace(key, groups.size());
      if (inserted) {
        groups.emplace_back();
        groups.back().pool = &st.scaler->pool();
        groups.back().endpoint = &ep;
        groups.back().deadline = st.deadline;
      }
      Group& g = groups[it->second];
      g.deadline = std::min(g.deadline, st.deadline);
      g.members.push_back(&st);
      st.slots.clear();
      for (const RedisCommand& cmd : st.pending) {
        auto [pos, fresh] = g.positions.try_emplace(cmd, g.commands.size());
        if (fresh) g.commands.push_back(cmd);
        st.slots.push_back(pos->second);
      }
    }
    if (groups.empty()) break;
    // One pipeline per connection; a few connections at a time.
    std::atomic<std::size_t> next{0};
    auto worker = [&] {
      for (std::size_t g = next++; g < groups.size(); g = next++) {
        groups[g].replies =
            groups[g].pool->Execute(*groups[g].endpoint, groups[g].commands, groups[g].deadline);
      }
    };
    const std::size_t threads =
        std::min(groups.size(), std::max<std::size_t>(1, options.redis_parallelism));
    {
      std::vector<std::jthread> pool;
      for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
      worker();
    }
    for (Group& g : groups) {
      for (RedisState* st : g.members) {
        if (!g.replies) {
          out[st->index] = MakeError(g.replies.error().code,
                                     st->scaler->Describe() + ": " + g.replies.error().message);
          st->done = true;
          continue;
        }
        std::vector<RedisReply> mine;
        mine.reserve(st->slots.size());
        for (std::size_t pos : st->slots) mine.push_back(g.replies.value()[pos]);
        st->rounds.push_back(std::move(mine));
      }
    }
  }
  for (RedisState& st : states) {
    if (!st.done) out[st.index] = MakeError(ErrorCode::kInternal, "too many Redis rounds");
  }
}

}  // namespace

std::vector<Result<double>> ReadAll(std::span<Scaler* const> scalers, const ReadContext& ctx,
                                    PollOptions options) {
  std::vector<Result<double>> out(scalers.size(), MakeError(ErrorCode::kInternal, "not read"));
  std::vector<std::size_t> prom, http, redis, other;
  for (std::size_t i = 0; i < scalers.size(); ++i) {
    if (dynamic_cast<PrometheusScaler*>(scalers[i]) != nullptr) {
      prom.push_back(i);
    } else if (dynamic_cast<HttpScaler*>(scalers[i]) != nullptr) {
      http.push_back(i);
    } else if (dynamic_cast<RedisBackedScaler*>(scalers[i]) != nullptr) {
      redis.push_back(i);
    } else {
      other.push_back(i);
    }
  }
  {
    // The HTTP batch runs beside the Redis rounds (disjoint slots of `out`).
    std::jthread http_thread;
    if (!prom.empty() || !http.empty()) {
      http_thread = std::jthread([&] {
        if (!prom.empty()) ReadPrometheus(scalers, prom, ctx, options, out);
        if (!http.empty()) ReadHttp(scalers, http, ctx, options, out);
      });
    }
    if (!redis.empty()) ReadRedis(scalers, redis, ctx, options, out);
    for (std::size_t i : other) out[i] = scalers[i]->Read(ctx);
  }
  return out;
}

}  // namespace ebb::scalers

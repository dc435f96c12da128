#include "scalers/redis_list_scaler.h"

#include <set>

#include "controller/base/text.h"

namespace ebb::scalers {
namespace {

struct UnackedEntry {
  bool parsed = false;
  std::string exchange;
  std::string routing_key;
};

// kombu stores dumps([message._raw, exchange, routing_key]) per delivery tag.
UnackedEntry ParseUnacked(const RedisReply& value) {
  UnackedEntry e;
  if (value.type != RedisReply::Type::kString) return e;
  auto j = nlohmann::json::parse(value.str, nullptr, /*allow_exceptions=*/false);
  if (!j.is_array() || j.size() < 3 || !j[1].is_string() || !j[2].is_string()) return e;
  e.parsed = true;
  e.exchange = j[1].get<std::string>();
  e.routing_key = j[2].get<std::string>();
  return e;
}

std::vector<std::string> Split(const std::string& s, const std::string& sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const auto p = sep.empty() ? std::string::npos : s.find(sep, start);
    if (p == std::string::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, p - start));
    start = p + sep.size();
  }
}

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return SafeText(out);
}

}  // namespace

Result<RedisListConfig> ParseRedisListConfig(const nlohmann::json& block, std::string_view path) {
  std::vector<std::string> problems;
  ConfigReader r(block, std::string(path), &problems);
  RedisListConfig cfg;
  ParseRedisConnection(r, &cfg.endpoint, &cfg.timeout);
  std::vector<std::string_view> known(std::begin(kRedisConnectionFields),
                                      std::end(kRedisConnectionFields));
  known.insert(known.end(), {"lists", "celery", "target", "activationThreshold"});
  r.RejectUnknown(known);

  const bool has_lists = r.Has("lists");
  const bool has_celery = r.Has("celery");
  if (has_lists == has_celery) {
    r.Problem("lists", "set exactly one of lists and celery");
  }
  if (has_lists) {
    if (auto lists = r.StringList("lists")) cfg.lists = *lists;
  }
  if (auto c = r.Object("celery")) {
    CeleryConfig celery;
    c->RejectUnknown({"queues", "prioritySteps", "separator", "globalKeyprefix", "unackedKey",
                      "includeUnacked"});
    if (auto q = c->StringList("queues", /*required=*/true)) celery.queues = *q;
    if (c->Has("prioritySteps")) {
      const auto& steps = block.at("celery").at("prioritySteps");
      bool ok = steps.is_array() && !steps.empty();
      std::vector<int> parsed;
      for (std::size_t i = 0; ok && i < steps.size(); ++i) {
        ok = steps[i].is_number_integer() && steps[i].get<int64_t>() >= 0 &&
             steps[i].get<int64_t>() <= 255 &&
             (parsed.empty() || steps[i].get<int64_t>() > parsed.back());
        if (ok) parsed.push_back(steps[i].get<int>());
      }
      if (ok) {
        celery.priority_steps = parsed;
      } else {
        c->Problem("prioritySteps",
                   "must be a non-empty ascending list of integers from 0 to 255 (kombu default "
                   "[0, 3, 6, 9])");
      }
    }
    if (auto sep = c->String("separator")) {
      if (sep->empty()) c->Problem("separator", "must not be empty");
      celery.separator = *sep;
    }
    if (auto p = c->String("globalKeyprefix")) celery.global_keyprefix = *p;
    if (auto k = c->String("unackedKey")) {
      if (k->empty()) c->Problem("unackedKey", "must not be empty");
      celery.unacked_key = *k;
    }
    if (auto u = c->Bool("includeUnacked")) celery.include_unacked = *u;
    cfg.celery = std::move(celery);
  }
  if (!problems.empty()) return ConfigError(problems);
  return cfg;
}

std::vector<std::string> CeleryQueueKeys(const CeleryConfig& celery, const std::string& queue) {
  std::vector<std::string> keys;
  for (int step : celery.priority_steps) {
    if (step == 0) {
      keys.push_back(celery.global_keyprefix + queue);
    } else {
      keys.push_back(celery.global_keyprefix + queue + celery.separator + std::to_string(step));
    }
  }
  return keys;
}

RedisListScaler::RedisListScaler(RedisListConfig config, RedisPool& pool)
    : RedisBackedScaler(pool), config_(std::move(config)) {
  std::vector<std::string> keys;
  if (config_.celery) {
    for (const auto& q : config_.celery->queues) {
      for (auto& k : CeleryQueueKeys(*config_.celery, q)) keys.push_back(std::move(k));
    }
  } else {
    keys = config_.lists;
  }
  for (auto& k : keys) length_commands_.push_back({"LLEN", std::move(k)});
}

std::string RedisListScaler::Describe() const {
  std::string s = "redis " + config_.endpoint.Describe();
  if (config_.celery) {
    s += " celery queues=" + Join(config_.celery->queues);
    if (config_.celery->include_unacked) s += " +unacked";
  } else {
    s += " lists=" + Join(config_.lists);
  }
  return s;
}

RedisBackedScaler::Step RedisListScaler::Next(
    std::span<const std::vector<RedisReply>> rounds) const {
  const bool unacked = config_.celery && config_.celery->include_unacked;
  if (rounds.empty()) {
    std::vector<RedisCommand> cmds = length_commands_;
    if (unacked) {
      cmds.push_back({"HVALS", config_.celery->global_keyprefix + config_.celery->unacked_key});
    }
    return cmds;
  }
  const auto& first = rounds[0];
  if (first.size() != length_commands_.size() + (unacked ? 1 : 0)) {
    return Result<double>(MakeError(ErrorCode::kInternal, Describe() + ": reply count mismatch"));
  }
  auto lengths = SumIntegerReplies(std::span(first).first(length_commands_.size()),
                                   length_commands_, Describe());
  if (!lengths || !unacked) return lengths;
  return CountUnacked(first.back(), rounds, *lengths);
}

RedisBackedScaler::Step RedisListScaler::CountUnacked(
    const RedisReply& hvals, std::span<const std::vector<RedisReply>> rounds,
    double lengths) const {
  const CeleryConfig& c = *config_.celery;
  const std::string where = Describe() + ": HVALS " + SafeText(c.global_keyprefix + c.unacked_key);
  if (hvals.is_error()) return Result<double>(RedisReplyError(hvals, where));
  if (hvals.type != RedisReply::Type::kArray) {
    return Result<double>(MakeError(ErrorCode::kParse, where + ": expected an array"));
  }
  std::vector<UnackedEntry> entries;
  std::set<std::string> exchanges;
  for (const auto& v : hvals.elements) {
    entries.push_back(ParseUnacked(v));
    if (entries.back().parsed && !entries.back().exchange.empty()) {
      exchanges.insert(entries.back().exchange);
    }
  }
  // Second round: the exchanges' binding tables, to map (exchange, routing key) to queues the
  // way kombu's virtual exchange does.
  if (rounds.size() == 1 && !exchanges.empty()) {
    std::vector<RedisCommand> cmds;
    for (const auto& ex : exchanges) {
      cmds.push_back({"SMEMBERS", c.global_keyprefix + "_kombu.binding." + ex});
    }
    return cmds;
  }
  // exchange -> (routing key, queue) bindings
  std::vector<std::vector<std::pair<std::string, std::string>>> bindings(exchanges.size());
  if (rounds.size() >= 2) {
    const auto& second = rounds[1];
    if (second.size() != exchanges.size()) {
      return Result<double>(MakeError(ErrorCode::kInternal, where + ": reply count mismatch"));
    }
    for (std::size_t i = 0; i < second.size(); ++i) {
      if (second[i].is_error()) return Result<double>(RedisReplyError(second[i], where));
      for (const auto& member : second[i].elements) {
        auto parts = Split(member.str, c.separator);
        if (parts.size() == 3) bindings[i].emplace_back(parts[0], parts[2]);
      }
    }
  }
  const std::set<std::string> queues(c.queues.begin(), c.queues.end());
  double count = 0;
  for (const auto& e : entries) {
    if (!e.parsed) {
      count += 1;  // unknown payload: count it rather than hide possible work in flight
      continue;
    }
    bool mine = false;
    const auto it = exchanges.find(e.exchange);
    const std::size_t idx =
        it == exchanges.end() ? 0 : static_cast<std::size_t>(std::distance(exchanges.begin(), it));
    if (it != exchanges.end() && !bindings[idx].empty()) {
      for (const auto& [rk, queue] : bindings[idx]) {
        mine = mine || (rk == e.routing_key && queues.count(queue) > 0);
      }
    } else {
      // Default exchange or no binding table left: the routing key names the queue.
      mine = queues.count(e.routing_key) > 0;
    }
    if (mine) count += 1;
  }
  return Result<double>(lengths + count);
}

}  // namespace ebb::scalers

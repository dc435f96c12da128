#include "scalers/redis_list_scaler.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <set>

#include "controller/base/text.h"

namespace ebb::scalers {
namespace {

struct UnackedEntry {
  bool parsed = false;
  std::string exchange;
  std::string routing_key;
  std::optional<Timestamp> eta;  // Celery protocol 2 `headers.eta`, when set and readable
};

// "2026-12-01T21:50:00.123456+00:00" (Python's isoformat; "Z" too) -> a timestamp; a time
// without an offset is taken as UTC (Celery's default, enable_utc).
std::optional<Timestamp> ParseIsoTime(std::string_view t) {
  auto num = [&](std::size_t pos, std::size_t len) -> std::optional<int> {
    if (pos + len > t.size()) return std::nullopt;
    int v = 0;
    for (std::size_t i = pos; i < pos + len; ++i) {
      if (t[i] < '0' || t[i] > '9') return std::nullopt;
      v = v * 10 + (t[i] - '0');
    }
    return v;
  };
  const auto y = num(0, 4), mo = num(5, 2), d = num(8, 2), h = num(11, 2), mi = num(14, 2),
             sec = num(17, 2);
  if (!y || !mo || !d || !h || !mi || !sec || t[4] != '-' || t[7] != '-' ||
      (t[10] != 'T' && t[10] != ' ') || t[13] != ':' || t[16] != ':' || *mo < 1 || *mo > 12 ||
      *d < 1 || *d > 31 || *h > 23 || *mi > 59 || *sec > 60) {
    return std::nullopt;
  }
  std::size_t pos = 19;
  int64_t millis = 0;
  if (pos < t.size() && t[pos] == '.') {
    int digits = 0;
    for (++pos; pos < t.size() && t[pos] >= '0' && t[pos] <= '9'; ++pos, ++digits) {
      if (digits < 3) millis = millis * 10 + (t[pos] - '0');
    }
    if (digits == 0) return std::nullopt;
    for (; digits < 3; ++digits) millis *= 10;
  }
  int64_t offset_min = 0;
  if (pos < t.size()) {
    if (t[pos] == 'Z' && pos + 1 == t.size()) {
      ++pos;
    } else if ((t[pos] == '+' || t[pos] == '-') && pos + 6 == t.size() && t[pos + 3] == ':') {
      const auto oh = num(pos + 1, 2), om = num(pos + 4, 2);
      if (!oh || !om) return std::nullopt;
      offset_min = (*oh * 60 + *om) * (t[pos] == '-' ? -1 : 1);
      pos += 6;
    } else {
      return std::nullopt;
    }
  }
  const auto days =
      std::chrono::sys_days(std::chrono::year(*y) / std::chrono::month(static_cast<unsigned>(*mo)) /
                            std::chrono::day(static_cast<unsigned>(*d)));
  if (!std::chrono::year_month_day(days).ok()) return std::nullopt;
  return Timestamp(std::chrono::duration_cast<Duration>(days.time_since_epoch())) +
         Duration(((*h * 60 + *mi) * 60 + *sec) * 1000LL + millis - offset_min * 60000);
}

// kombu stores dumps([message._raw, exchange, routing_key]) per delivery tag.
UnackedEntry ParseUnacked(const RedisReply& value) {
  UnackedEntry e;
  if (value.type != RedisReply::Type::kString) return e;
  auto j = nlohmann::json::parse(value.str, nullptr, /*allow_exceptions=*/false);
  if (!j.is_array() || j.size() < 3 || !j[1].is_string() || !j[2].is_string()) return e;
  e.parsed = true;
  e.exchange = j[1].get<std::string>();
  e.routing_key = j[2].get<std::string>();
  if (j[0].is_object() && j[0].contains("headers") && j[0]["headers"].is_object()) {
    const auto& headers = j[0]["headers"];
    if (auto it = headers.find("eta"); it != headers.end() && it->is_string()) {
      e.eta = ParseIsoTime(it->get<std::string>());
    }
  }
  return e;
}

// kombu's TopicExchange turns a binding key into ^...$ with each `.`-separated word literal,
// `*` -> `.*?[^\.]` (one or more characters, the last not a dot) and `#` -> `.*?` (anything).
// Matched here without a regex engine: a memoised walk over (word, position), so hostile keys
// cost at most words x length^2 steps.
bool TopicMatches(std::string_view binding_key, std::string_view routing_key) {
  enum class Kind { kLiteral, kStar, kHash };
  struct Token {
    Kind kind;
    std::string_view text;
  };
  std::vector<Token> tokens;
  std::size_t start = 0;
  while (true) {
    const auto dot = binding_key.find('.', start);
    const std::string_view word = binding_key.substr(start, dot - start);
    if (!tokens.empty()) tokens.push_back({Kind::kLiteral, "."});
    tokens.push_back({word == "*"   ? Kind::kStar
                      : word == "#" ? Kind::kHash
                                    : Kind::kLiteral,
                      word});
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (routing_key.size() > 4096 || tokens.size() > 256) return false;
  const std::size_t n = routing_key.size();
  std::vector<int8_t> memo((tokens.size() + 1) * (n + 1), -1);
  auto match = [&](auto&& self, std::size_t t, std::size_t p) -> bool {
    if (t == tokens.size()) return p == n;
    int8_t& m = memo[t * (n + 1) + p];
    if (m >= 0) return m == 1;
    bool ok = false;
    const Token& tok = tokens[t];
    if (tok.kind == Kind::kLiteral) {
      ok = routing_key.substr(p, tok.text.size()) == tok.text &&
           self(self, t + 1, p + tok.text.size());
    } else if (tok.kind == Kind::kHash) {
      for (std::size_t q = p; q <= n && !ok; ++q) ok = self(self, t + 1, q);
    } else {
      for (std::size_t q = p + 1; q <= n && !ok; ++q) {
        ok = routing_key[q - 1] != '.' && self(self, t + 1, q);
      }
    }
    m = ok ? 1 : 0;
    return ok;
  };
  return match(match, 0, 0);
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
                      "includeUnacked", "countScheduled"});
    if (auto q = c->StringList("queues", /*required=*/true)) {
      celery.queues = *q;
      // Counted twice otherwise; and two entries are never what was meant.
      for (std::size_t i = 0; i < q->size(); ++i) {
        for (std::size_t j = 0; j < i; ++j) {
          if ((*q)[i] == (*q)[j]) {
            c->Problem("queues[" + std::to_string(i) + "]",
                       "\"" + SafeText((*q)[i]) + "\" repeats queues[" + std::to_string(j) + "]");
            break;
          }
        }
      }
    }
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
    if (auto u = c->Bool("countScheduled")) celery.count_scheduled = *u;
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
  if (!config_.celery) return;
  const CeleryConfig& c = *config_.celery;
  for (const auto& q : c.queues) {
    check_commands_.push_back({"SMEMBERS", c.global_keyprefix + "_kombu.binding." + q});
    RedisCommand exists = {"EXISTS"};
    for (int step = 0; step <= 9; ++step) {
      if (std::find(c.priority_steps.begin(), c.priority_steps.end(), step) !=
          c.priority_steps.end()) {
        continue;
      }
      exists.push_back(step == 0 ? c.global_keyprefix + q
                                 : c.global_keyprefix + q + c.separator + std::to_string(step));
    }
    // With every step 0..9 configured there is nothing to look for; EXISTS still needs a key
    // and its answer is then ignored.
    step_checked_.push_back(exists.size() > 1);
    if (exists.size() == 1) exists.push_back(c.global_keyprefix + q);
    check_commands_.push_back(std::move(exists));
  }
  check_commands_.push_back({"EXISTS", c.global_keyprefix + "_kombu.binding.celery.pidbox",
                             c.global_keyprefix + "_kombu.binding.reply.celery.pidbox",
                             c.global_keyprefix + "_kombu.binding.celeryev"});
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

RedisBackedScaler::Step RedisListScaler::Next(std::span<const std::vector<RedisReply>> rounds,
                                              Timestamp now) const {
  const bool unacked = config_.celery && config_.celery->include_unacked;
  const std::size_t hvals_at = length_commands_.size();
  const std::size_t checks_at = hvals_at + (unacked ? 1 : 0);
  if (rounds.empty()) {
    std::vector<RedisCommand> cmds = length_commands_;
    if (unacked) {
      cmds.push_back({"HVALS", config_.celery->global_keyprefix + config_.celery->unacked_key});
    }
    cmds.insert(cmds.end(), check_commands_.begin(), check_commands_.end());
    return cmds;
  }
  const auto& first = rounds[0];
  if (first.size() != checks_at + check_commands_.size()) {
    return Result<double>(MakeError(ErrorCode::kInternal, Describe() + ": reply count mismatch"));
  }
  const auto length_replies = std::span(first).first(length_commands_.size());
  auto lengths = SumIntegerReplies(length_replies, length_commands_, Describe());
  if (!lengths) return lengths;
  if (config_.celery) {
    if (auto missing = CheckQueuesFound(length_replies, std::span(first).subspan(checks_at))) {
      return Result<double>(std::move(*missing));
    }
  }
  if (!unacked) return lengths;
  return CountUnacked(first[hvals_at], rounds, *lengths, now);
}

std::optional<Error> RedisListScaler::CheckQueuesFound(std::span<const RedisReply> lengths,
                                                       std::span<const RedisReply> checks) const {
  const CeleryConfig& c = *config_.celery;
  const std::size_t steps = c.priority_steps.size();
  const RedisReply& kombu_bindings = checks.back();
  const bool prefix_in_use =
      kombu_bindings.type == RedisReply::Type::kInteger && kombu_bindings.integer > 0;
  for (std::size_t qi = 0; qi < c.queues.size(); ++qi) {
    const std::string& q = c.queues[qi];
    const std::string where = Describe() + ": queue \"" + SafeText(q) + "\"";
    const RedisReply& binding = checks[2 * qi];
    const RedisReply& other_steps = checks[2 * qi + 1];
    if (binding.is_error()) return RedisReplyError(binding, where + ": SMEMBERS");
    if (other_steps.is_error()) return RedisReplyError(other_steps, where + ": EXISTS");
    if (step_checked_[qi] && other_steps.type == RedisReply::Type::kInteger &&
        other_steps.integer > 0) {
      return MakeError(ErrorCode::kNotFound,
                       where +
                           ": kombu keeps tasks under priority steps that prioritySteps does "
                           "not list (they would not be counted); set celery.prioritySteps "
                           "to the broker's priority_steps");
    }
    // A binding member is "routing key <sep> pattern <sep> queue".
    bool bound = false;
    bool misread = false;
    for (const auto& member : binding.elements) {
      const auto parts = Split(member.str, c.separator);
      if (parts.size() != 3) {
        misread = true;
      } else if (parts[2] == q) {
        bound = true;
      }
    }
    if (!bound && misread) {
      return MakeError(ErrorCode::kNotFound,
                       where + ": its kombu binding " + SafeText(c.global_keyprefix) +
                           "_kombu.binding." + SafeText(q) +
                           " does not split into routing key, pattern and queue with the "
                           "configured separator; check celery.separator (kombu's `sep`)");
    }
    double queued = 0;
    for (std::size_t k = qi * steps; k < (qi + 1) * steps && k < lengths.size(); ++k) {
      queued += static_cast<double>(lengths[k].integer);
    }
    // Empty and unknown: either kombu writes elsewhere (a wrong prefix) or nothing ever
    // declared the queue. Only when kombu's own bindings show up under the prefix is an empty
    // queue believable without its binding (it may be bound to a differently named exchange).
    if (!bound && queued == 0 && !prefix_in_use) {
      return MakeError(ErrorCode::kNotFound,
                       where + ": no kombu binding " + SafeText(c.global_keyprefix) +
                           "_kombu.binding." + SafeText(q) +
                           " and no Celery worker bindings under this prefix, so 0 would be a "
                           "guess; check celery.globalKeyprefix (kombu's global_keyprefix), the "
                           "db and the queue name");
    }
  }
  return std::nullopt;
}

RedisBackedScaler::Step RedisListScaler::CountUnacked(
    const RedisReply& hvals, std::span<const std::vector<RedisReply>> rounds, double lengths,
    Timestamp now) const {
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
  struct Binding {
    std::string key;  // the binding's routing key (a topic pattern when `topic`)
    bool topic;       // kombu stores a regex beside the key only for topic exchanges
    std::string queue;
  };
  std::vector<std::vector<Binding>> bindings(exchanges.size());
  if (rounds.size() >= 2) {
    const auto& second = rounds[1];
    if (second.size() != exchanges.size()) {
      return Result<double>(MakeError(ErrorCode::kInternal, where + ": reply count mismatch"));
    }
    for (std::size_t i = 0; i < second.size(); ++i) {
      if (second[i].is_error()) return Result<double>(RedisReplyError(second[i], where));
      for (const auto& member : second[i].elements) {
        auto parts = Split(member.str, c.separator);
        if (parts.size() == 3) bindings[i].push_back({parts[0], !parts[1].empty(), parts[2]});
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
    // A worker holds an ETA/countdown task unacked until it is due: not work it can do now.
    if (!c.count_scheduled && e.eta && *e.eta > now) continue;
    bool mine = false;
    const auto it = exchanges.find(e.exchange);
    const std::size_t idx =
        it == exchanges.end() ? 0 : static_cast<std::size_t>(std::distance(exchanges.begin(), it));
    if (it != exchanges.end() && !bindings[idx].empty()) {
      // As kombu's lookup: a topic binding matches its pattern, any other its exact key.
      // (Redis does not record an exchange's type; a fanout exchange's bindings carry no pattern
      // and are matched like direct ones.)
      for (const auto& b : bindings[idx]) {
        if (mine || queues.count(b.queue) == 0) continue;
        mine = b.topic ? TopicMatches(b.key, e.routing_key) : b.key == e.routing_key;
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

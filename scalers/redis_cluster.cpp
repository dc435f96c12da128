#include "scalers/redis_cluster.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <thread>

#include "controller/base/text.h"
#include "scalers/redis_pool.h"

namespace ebb::scalers {
namespace {

std::string HostPortText(const HostPort& hp) {
  return hp.host.find(':') != std::string::npos ? "[" + hp.host + "]:" + std::to_string(hp.port)
                                                : hp.host + ":" + std::to_string(hp.port);
}

bool SameNode(const HostPort& a, const HostPort& b) {
  return a.port == b.port && a.host == b.host;
}

bool IsExists(const RedisCommand& cmd) {
  if (cmd.empty() || cmd[0].size() != 6) return false;
  std::string name = cmd[0];
  for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return name == "EXISTS";
}

RedisReply LocalError(const Error& e) {
  RedisReply r;
  r.type = RedisReply::Type::kError;
  r.str = e.message;
  r.local = e.code;
  return r;
}

}  // namespace

std::string ClusterConfig::Key() const {
  return enabled() ? "cluster(" + Describe() + ")" : "";
}

std::string ClusterConfig::Describe() const {
  std::string out;
  for (const auto& hp : seeds) out += (out.empty() ? "" : ",") + HostPortText(hp);
  return out;
}

void ParseClusterBlock(ConfigReader& r, ClusterConfig* out) {
  auto c = r.Object("cluster");
  if (!c) return;
  c->RejectUnknown({"addresses"});
  if (auto addresses = c->StringList("addresses", /*required=*/true)) {
    if (addresses->empty()) c->Problem("addresses", "must name at least one node");
    for (std::size_t i = 0; i < addresses->size(); ++i) {
      auto hp = ParseHostPort((*addresses)[i]);
      if (!hp) {
        c->Problem("addresses[" + std::to_string(i) + "]",
                   "must be \"host:port\" of a cluster node (e.g. \"redis-cluster-0.redis:6379\")");
      } else {
        out->seeds.push_back(*hp);
      }
    }
  }
}

uint16_t KeySlot(std::string_view key) {
  if (const auto open = key.find('{'); open != std::string_view::npos) {
    const auto close = key.find('}', open + 1);
    if (close != std::string_view::npos && close > open + 1) {
      key = key.substr(open + 1, close - open - 1);
    }
  }
  // CRC16-CCITT (XMODEM): polynomial 0x1021, initial value 0, as in the cluster spec.
  uint16_t crc = 0;
  for (char ch : key) {
    crc = static_cast<uint16_t>(crc ^ (static_cast<uint16_t>(static_cast<unsigned char>(ch)) << 8));
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 0x8000) != 0 ? static_cast<uint16_t>((crc << 1) ^ 0x1021)
                                : static_cast<uint16_t>(crc << 1);
    }
  }
  return static_cast<uint16_t>(crc % kClusterSlots);
}

uint16_t SlotMap::IndexOf(const HostPort& node) {
  for (std::size_t i = 0; i < masters.size(); ++i) {
    if (SameNode(masters[i], node)) return static_cast<uint16_t>(i);
  }
  masters.push_back(node);
  return static_cast<uint16_t>(masters.size() - 1);
}

const HostPort* SlotMap::OwnerOf(uint16_t slot) const {
  const uint16_t i = owner[slot % kClusterSlots];
  return i == kNone ? nullptr : &masters[i];
}

Result<SlotMap> ParseClusterSlots(const RedisReply& reply, const HostPort& asked) {
  if (reply.is_error()) return RedisReplyError(reply, "CLUSTER SLOTS");
  if (reply.type != RedisReply::Type::kArray) {
    return MakeError(ErrorCode::kParse, "CLUSTER SLOTS: expected an array");
  }
  SlotMap map;
  for (const RedisReply& range : reply.elements) {
    // [start, end, [ip, port, id, ...] of the master, then its replicas]
    if (range.type != RedisReply::Type::kArray || range.elements.size() < 3 ||
        range.elements[0].type != RedisReply::Type::kInteger ||
        range.elements[1].type != RedisReply::Type::kInteger ||
        range.elements[2].type != RedisReply::Type::kArray ||
        range.elements[2].elements.size() < 2 ||
        range.elements[2].elements[1].type != RedisReply::Type::kInteger) {
      return MakeError(ErrorCode::kParse, "CLUSTER SLOTS: unexpected slot range entry");
    }
    const long long start = range.elements[0].integer;  // NOLINT(google-runtime-int)
    const long long end = range.elements[1].integer;    // NOLINT(google-runtime-int)
    const auto& node = range.elements[2].elements;
    HostPort master{node[0].str, static_cast<int>(node[1].integer)};
    if (master.host.empty() || master.host == "?") master.host = asked.host;
    if (start < 0 || end >= kClusterSlots || start > end || master.port < 1 ||
        master.port > 65535) {
      return MakeError(ErrorCode::kParse, "CLUSTER SLOTS: slot range " + std::to_string(start) +
                                              "-" + std::to_string(end) + " at " +
                                              SafeText(HostPortText(master)) + " is not usable");
    }
    const uint16_t index = map.IndexOf(master);
    for (long long s = start; s <= end; ++s) {  // NOLINT(google-runtime-int)
      map.owner[static_cast<std::size_t>(s)] = index;
    }
  }
  if (map.masters.empty()) {
    return MakeError(ErrorCode::kUnavailable, "CLUSTER SLOTS: no slot is assigned to any master");
  }
  return map;
}

std::optional<Redirect> ParseRedirect(const RedisReply& reply) {
  if (!reply.is_error() || reply.local) return std::nullopt;
  const std::string_view m = reply.str;
  Redirect r;
  std::string_view rest;
  if (m.substr(0, 6) == "MOVED ") {
    rest = m.substr(6);
  } else if (m.substr(0, 4) == "ASK ") {
    r.ask = true;
    rest = m.substr(4);
  } else {
    return std::nullopt;
  }
  const auto space = rest.find(' ');
  if (space == std::string_view::npos || space == 0 || space > 5) return std::nullopt;
  int slot = 0;
  for (char c : rest.substr(0, space)) {
    if (c < '0' || c > '9') return std::nullopt;
    slot = slot * 10 + (c - '0');
  }
  if (slot >= kClusterSlots) return std::nullopt;
  r.slot = static_cast<uint16_t>(slot);
  auto to = ParseHostPort(rest.substr(space + 1));
  if (!to) return std::nullopt;
  r.to = std::move(*to);
  return r;
}

// ---- The pool's cluster route ----------------------------------------------------------------

struct RedisPool::ClusterState {
  std::mutex mu;
  std::shared_ptr<const SlotMap> map;  // null until the first CLUSTER SLOTS answer
  bool stale = true;                   // refresh before the next routing
};

std::shared_ptr<RedisPool::ClusterState> RedisPool::ClusterFor(const std::string& key) {
  std::lock_guard lock(mu_);
  auto& state = clusters_[key];
  if (!state) state = std::make_shared<ClusterState>();
  return state;
}

// One node of the cluster: the endpoint's credentials and TLS, the node's address.
static RedisEndpoint NodeEndpoint(const RedisEndpoint& cluster, const HostPort& node) {
  RedisEndpoint e = cluster;
  e.cluster = ClusterConfig{};
  e.host = node.host;
  e.port = node.port;
  return e;
}

Result<std::shared_ptr<const SlotMap>> RedisPool::RefreshSlotMap(const RedisEndpoint& endpoint,
                                                                 ClusterState& state,
                                                                 SteadyTime deadline) {
  std::shared_ptr<const SlotMap> known;
  {
    std::lock_guard lock(state.mu);
    known = state.map;
  }
  // The masters last seen first (a seed may be the node that just died), then the seeds.
  std::vector<HostPort> ask;
  if (known) ask = known->masters;
  for (const auto& s : endpoint.cluster.seeds) {
    if (std::none_of(ask.begin(), ask.end(), [&](const HostPort& a) { return SameNode(a, s); })) {
      ask.push_back(s);
    }
  }
  std::string failures;
  Error last = MakeError(ErrorCode::kUnavailable, "no node to ask");
  for (std::size_t i = 0; i < ask.size(); ++i) {
    // A node that hangs must not eat the whole read: each gets a fair share of what is left,
    // and the commands the rest.
    const auto now = std::chrono::steady_clock::now();
    const auto left = deadline - now;
    const SteadyTime until = left <= std::chrono::steady_clock::duration::zero()
                                 ? deadline
                                 : now + left / static_cast<long>(ask.size() - i + 1);  // NOLINT
    const RedisCommand slots{"CLUSTER", "SLOTS"};
    auto replies = Execute(NodeEndpoint(endpoint, ask[i]), {&slots, 1}, until);
    Result<SlotMap> map =
        replies ? ParseClusterSlots(replies->front(), ask[i]) : Result<SlotMap>(replies.error());
    if (map) {
      slot_map_refreshes_.fetch_add(1, std::memory_order_relaxed);
      auto fresh = std::make_shared<const SlotMap>(std::move(map).value());
      std::lock_guard lock(state.mu);
      state.map = fresh;
      state.stale = false;
      return fresh;
    }
    last = map.error();
    failures += (failures.empty() ? "" : "; ") + HostPortText(ask[i]) + ": " + map.error().message;
  }
  return MakeError(last.code, endpoint.Describe() + ": no cluster node answered CLUSTER SLOTS (" +
                                  SafeText(failures, 2048) + ")");
}

Result<std::vector<RedisReply>> RedisPool::ExecuteCluster(const RedisEndpoint& endpoint,
                                                          std::span<const RedisCommand> commands,
                                                          SteadyTime deadline) {
  std::shared_ptr<ClusterState> state = ClusterFor(endpoint.Key());
  std::shared_ptr<const SlotMap> shared;
  bool stale = false;
  {
    std::lock_guard lock(state->mu);
    shared = state->map;
    stale = state->stale;
  }
  if (!shared || stale) {
    auto fresh = RefreshSlotMap(endpoint, *state, deadline);
    // A failed refresh with a map at hand routes by the old one (it is mostly still right; the
    // redirects correct the rest).
    if (fresh) {
      shared = std::move(fresh).value();
    } else if (!shared) {
      return fresh.error();
    }
  }
  SlotMap map = *shared;  // redirects patch this read's copy

  // A multi-key EXISTS may span slots: one EXISTS per key, summed back below.
  struct Sub {
    RedisCommand command;
    std::size_t parent;
    uint16_t slot;
    std::optional<HostPort> ask;  // an ASK redirect: this command once to that node, after ASKING
    std::optional<RedisReply> reply;
  };
  std::vector<Sub> subs;
  for (std::size_t i = 0; i < commands.size(); ++i) {
    const RedisCommand& cmd = commands[i];
    if (IsExists(cmd) && cmd.size() > 2) {
      for (std::size_t k = 1; k < cmd.size(); ++k) {
        subs.push_back({{cmd[0], cmd[k]}, i, KeySlot(cmd[k]), std::nullopt, std::nullopt});
      }
    } else {
      subs.push_back(
          {cmd, i, cmd.size() >= 2 ? KeySlot(cmd[1]) : uint16_t{0}, std::nullopt, std::nullopt});
    }
  }

  bool refreshed_after_failure = false;
  for (int attempt = 0; attempt < 6; ++attempt) {
    // Group what is left by node (and ASKING or not): one pipeline each.
    struct Batch {
      HostPort node;
      bool asking = false;
      std::vector<std::size_t> members;  // into subs
      std::vector<RedisCommand> commands;
      Result<std::vector<RedisReply>> replies = MakeError(ErrorCode::kInternal, "not run");
    };
    std::vector<Batch> batches;
    std::map<std::string, std::size_t> batch_of;
    for (std::size_t s = 0; s < subs.size(); ++s) {
      Sub& sub = subs[s];
      if (sub.reply) continue;
      const HostPort* node = sub.ask ? &*sub.ask : map.OwnerOf(sub.slot);
      if (node == nullptr) {
        sub.reply = LocalError(
            MakeError(ErrorCode::kUnavailable, "CLUSTERDOWN slot " + std::to_string(sub.slot) +
                                                   " is served by no master (CLUSTER SLOTS)"));
        continue;
      }
      const std::string key = HostPortText(*node) + (sub.ask ? "|ask" : "");
      auto [it, fresh] = batch_of.try_emplace(key, batches.size());
      if (fresh) {
        batches.emplace_back();
        batches.back().node = *node;
        batches.back().asking = sub.ask.has_value();
      }
      Batch& b = batches[it->second];
      b.members.push_back(s);
      if (b.asking) b.commands.push_back({"ASKING"});
      b.commands.push_back(sub.command);
    }
    if (batches.empty()) break;
    {
      // The masters are asked at once; each has its own connection.
      std::vector<std::jthread> threads;
      for (std::size_t b = 1; b < batches.size(); ++b) {
        threads.emplace_back([&, b] {
          batches[b].replies =
              Execute(NodeEndpoint(endpoint, batches[b].node), batches[b].commands, deadline);
        });
      }
      batches[0].replies =
          Execute(NodeEndpoint(endpoint, batches[0].node), batches[0].commands, deadline);
    }
    bool node_failed = false;
    bool moved = false;
    for (Batch& b : batches) {
      for (std::size_t k = 0; k < b.members.size(); ++k) {
        Sub& sub = subs[b.members[k]];
        sub.ask.reset();
        if (!b.replies) {
          // The node is gone (a failover, a restart): after one fresh slot map, the commands
          // still bound for it fail with its error; the others are unaffected.
          node_failed = true;
          if (refreshed_after_failure || b.replies.error().code == ErrorCode::kTimeout) {
            sub.reply = LocalError(b.replies.error());
          }
          continue;
        }
        RedisReply reply = std::move((*b.replies)[b.asking ? 2 * k + 1 : k]);
        if (auto redirect = ParseRedirect(reply)) {
          redirects_.fetch_add(1, std::memory_order_relaxed);
          if (redirect->ask) {
            sub.ask = redirect->to;  // migrating: ask there this once; the map is unchanged
          } else {
            map.owner[redirect->slot] = map.IndexOf(redirect->to);
            moved = true;
          }
          continue;
        }
        if (reply.is_error() &&
            (reply.str.rfind("CLUSTERDOWN", 0) == 0 || reply.str.rfind("TRYAGAIN", 0) == 0)) {
          moved = true;  // the cluster is reconfiguring: read the map afresh next time
        }
        sub.reply = std::move(reply);
      }
    }
    if (moved || node_failed) {
      std::lock_guard lock(state->mu);
      state->stale = true;
    }
    if (node_failed && !refreshed_after_failure) {
      refreshed_after_failure = true;
      auto fresh = RefreshSlotMap(endpoint, *state, deadline);
      if (fresh) map = **fresh;
    }
  }
  std::vector<RedisReply> out(commands.size());
  std::vector<bool> summed(commands.size(), false);
  for (Sub& sub : subs) {
    RedisReply r = sub.reply ? std::move(*sub.reply)
                             : LocalError(MakeError(ErrorCode::kUnavailable,
                                                    "CLUSTERDOWN too many redirects for slot " +
                                                        std::to_string(sub.slot)));
    RedisReply& into = out[sub.parent];
    const bool split = IsExists(commands[sub.parent]) && commands[sub.parent].size() > 2;
    if (!split) {
      into = std::move(r);
    } else if (!summed[sub.parent]) {
      into = std::move(r);
      summed[sub.parent] = true;
    } else if (!into.is_error()) {
      if (r.is_error()) {
        into = std::move(r);
      } else {
        into.integer += r.integer;
      }
    }
  }
  return out;
}

}  // namespace ebb::scalers

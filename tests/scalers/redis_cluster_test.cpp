// Redis Cluster against a real cluster (fixtures/redis_cluster.sh: 3 masters with a replica each
// on loopback, requirepass): keys on different masters read in one pipeline per master, Celery
// queues whose checks span slots, streams, 1,000 list scalers in one batched poll, a slot
// resharded under a cached map (MOVED), a slot mid-migration (ASK), a dead master and a manual
// failover followed by the next poll; and the pure parts (slots, redirects, config problems).
#include "scalers/redis_cluster.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <sstream>
#include <thread>

#include "scalers/poller.h"
#include "scalers/redis_list_scaler.h"
#include "scalers/registry.h"
#include "tests/scalers/support.h"

using nlohmann::json;
using namespace ebb;
using namespace ebb::scalers;
using ebb::testing::At;
using ebb::testing::Shell;

namespace {

const ReadContext kCtx{At(1700000000), At(1700000000) + Seconds(5)};
constexpr const char* kPassword = "cluster-secret";

struct ClusterServers {
  ebb::testing::FixtureServers fixture{"redis_cluster.sh", kPassword};
  std::vector<int> ports = [this] {
    std::vector<int> p;
    for (int n = 1; n <= 6; ++n) p.push_back(fixture.port("NODE" + std::to_string(n) + "_PORT"));
    return p;
  }();
  std::string DirOf(int port) const {
    for (std::size_t i = 0; i < ports.size(); ++i) {
      if (ports[i] == port) return fixture.dir() + "/node" + std::to_string(i + 1);
    }
    return "";
  }
};

ClusterServers& Servers() {
  static ClusterServers s;
  return s;
}

// redis-cli with the password; -c follows redirects, so a write lands where the cluster says.
std::string Cli(int port, const std::string& args) {
  return Shell(std::string("REDISCLI_AUTH=") + kPassword + " redis-cli -c -h 127.0.0.1 -p " +
               std::to_string(port) + " " + args + " 2>&1 || true");  // a dead node answers nothing
}

// The lines on redis-cli's stdin, where "\x06" escapes are understood (not in its arguments).
std::string CliLines(int port, const std::vector<std::string>& lines) {
  char tmpl[] = "/tmp/ebb-cluster-cmds-XXXXXX";
  const int fd = ::mkstemp(tmpl);
  REQUIRE(fd >= 0);
  std::string text;
  for (const auto& l : lines) text += l + "\n";
  REQUIRE(::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
  ::close(fd);
  const std::string out =
      Shell(std::string("REDISCLI_AUTH=") + kPassword + " redis-cli -c -h 127.0.0.1 -p " +
            std::to_string(port) + " < " + tmpl + " 2>&1");
  ::unlink(tmpl);
  return out;
}

struct Node {
  std::string id;
  std::string master_id;  // a replica's master; "-" for a master
  int port = 0;
  bool master = false;
  bool failed = false;
  std::vector<std::pair<int, int>> slots;
};

// CLUSTER NODES as some live node sees it.
std::vector<Node> Nodes() {
  std::vector<Node> out;
  for (int port : Servers().ports) {
    const std::string text = Cli(port, "CLUSTER NODES");
    if (text.find("connected") == std::string::npos) continue;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
      std::istringstream f(line);
      Node n;
      std::string addr, flags, ping, pong, epoch, link;
      f >> n.id >> addr >> flags >> n.master_id >> ping >> pong >> epoch >> link;
      n.port = std::stoi(addr.substr(addr.find(':') + 1, addr.find('@') - addr.find(':') - 1));
      n.master = flags.find("master") != std::string::npos;
      n.failed = flags.find("fail") != std::string::npos;
      for (std::string range; f >> range;) {
        if (range.front() == '[') continue;  // a migration in progress
        const auto dash = range.find('-');
        const int a = std::stoi(range.substr(0, dash));
        n.slots.emplace_back(a, dash == std::string::npos ? a : std::stoi(range.substr(dash + 1)));
      }
      out.push_back(n);
    }
    return out;
  }
  return out;
}

Node OwnerOf(uint16_t slot) {
  for (const Node& n : Nodes()) {
    if (!n.master || n.failed) continue;
    for (auto [a, b] : n.slots) {
      if (slot >= a && slot <= b) return n;
    }
  }
  FAIL("no master serves slot " << slot);
  return {};
}

// One key per master: "<prefix>-<i>" for the first i landing on each.
std::map<int, std::string> KeyPerMaster(const std::string& prefix) {
  std::map<int, std::string> out;
  for (int i = 0; out.size() < 3 && i < 1000; ++i) {
    const std::string key = prefix + "-" + std::to_string(i);
    out.try_emplace(OwnerOf(KeySlot(key)).port, key);
  }
  REQUIRE(out.size() == 3);
  return out;
}

json ClusterBlock() {
  return {{"addresses", {"127.0.0.1:" + std::to_string(Servers().ports[0])}}};
}

std::unique_ptr<Scaler> Make(RedisPool& pool, json block) {
  block["cluster"] = ClusterBlock();
  ::setenv("EBB_TEST_CLUSTER_PW", kPassword, 1);
  block["passwordFromEnv"] = "EBB_TEST_CLUSTER_PW";
  ScalerDeps deps{nullptr, &pool};
  auto s = MakeScaler("Redis", block, "spec.metrics[0].redis", deps);
  if (!s) FAIL(s.error().message);
  return std::move(s).value();
}

double MustRead(Scaler& s) {
  auto v = s.Read(kCtx);
  INFO((v ? "" : v.error().message));
  REQUIRE(v.has_value());
  return *v;
}

// Waits (up to 30 s) until every live node says the cluster is ok and `port` is a master.
bool WaitForMaster(int port) {
  for (int i = 0; i < 600; ++i) {
    bool ok = Cli(port, "ROLE").rfind("master", 0) == 0;
    for (int p : Servers().ports) {
      const std::string info = Cli(p, "CLUSTER INFO");
      if (info.find("Connection refused") != std::string::npos) continue;
      ok = ok && info.find("cluster_state:ok") != std::string::npos;
    }
    if (ok) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

// Moves `slot` with its keys from master `from` to master `to`; `finish` false leaves it
// mid-migration (the source answers ASK for keys it no longer has).
void MoveSlot(uint16_t slot, const Node& from, const Node& to, const std::string& key,
              bool finish) {
  const std::string s = std::to_string(slot);
  CHECK(Cli(to.port, "CLUSTER SETSLOT " + s + " IMPORTING " + from.id) == "OK\n");
  CHECK(Cli(from.port, "CLUSTER SETSLOT " + s + " MIGRATING " + to.id) == "OK\n");
  CHECK(Cli(from.port, "MIGRATE 127.0.0.1 " + std::to_string(to.port) + " " + key +
                           " 0 5000 AUTH " + kPassword) == "OK\n");
  if (!finish) return;
  for (const Node& n : Nodes()) {
    if (n.master && !n.failed) Cli(n.port, "CLUSTER SETSLOT " + s + " NODE " + to.id);
  }
}

}  // namespace

TEST_CASE("redis cluster: key slots follow the cluster spec, hash tags included",
          "[config][cluster]") {
  // Values from the cluster spec and CLUSTER KEYSLOT.
  CHECK(KeySlot("123456789") == 12739);
  CHECK(KeySlot("foo") == 12182);
  CHECK(KeySlot("bar") == 5061);
  CHECK(KeySlot("{user1000}.following") == KeySlot("{user1000}.followers"));
  CHECK(KeySlot("{user1000}.following") == KeySlot("user1000"));
  CHECK(KeySlot("foo{}{bar}") != KeySlot("bar"));  // an empty tag: the whole key
  CHECK(KeySlot("foo{{bar}}zap") == KeySlot("{bar"));
  CHECK(KeySlot("foo{bar}{zap}") == KeySlot("bar"));

  RedisReply moved;
  moved.type = RedisReply::Type::kError;
  moved.str = "MOVED 3999 127.0.0.1:6381";
  auto r = ParseRedirect(moved);
  REQUIRE(r.has_value());
  CHECK_FALSE(r->ask);
  CHECK(r->slot == 3999);
  CHECK(r->to.host == "127.0.0.1");
  CHECK(r->to.port == 6381);
  RedisReply ask = moved;
  ask.str = "ASK 12 [::1]:7000";
  REQUIRE(ParseRedirect(ask).has_value());
  CHECK(ParseRedirect(ask)->ask);
  CHECK(ParseRedirect(ask)->to.host == "::1");
  RedisReply other = moved;
  other.str = "MOVED 99999 h:1";
  CHECK_FALSE(ParseRedirect(other).has_value());
  other.str = "ERR MOVED 1 h:1";
  CHECK_FALSE(ParseRedirect(other).has_value());
}

TEST_CASE("redis cluster: block problems are reported with field paths", "[config][cluster]") {
  auto bad = ParseRedisListConfig({{"cluster", {{"addresses", {"nohost", "h:7000"}}, {"x", 1}}},
                                   {"address", "h:6379"},
                                   {"db", 2},
                                   {"lists", {"jobs"}}},
                                  "spec.metrics[0].redis");
  REQUIRE_FALSE(bad.has_value());
  const std::string& m = bad.error().message;
  INFO(m);
  CHECK(m.find("spec.metrics[0].redis.cluster.addresses[0]: must be \"host:port\"") !=
        std::string::npos);
  CHECK(m.find("spec.metrics[0].redis.cluster.x: unknown field") != std::string::npos);
  CHECK(m.find("spec.metrics[0].redis.cluster: set one of address, sentinel and cluster") !=
        std::string::npos);
  CHECK(m.find("spec.metrics[0].redis.db: a Redis Cluster has only db 0") != std::string::npos);
  auto empty =
      ParseRedisListConfig({{"cluster", {{"addresses", json::array()}}}, {"lists", {"j"}}}, "p");
  REQUIRE_FALSE(empty.has_value());
  CHECK(empty.error().message.find("p.cluster.addresses") != std::string::npos);
  auto ok = ParseRedisListConfig({{"cluster", {{"addresses", {"a:7000", "[fd00::1]:7001"}}}},
                                  {"tls", json::object()},
                                  {"lists", {"j"}}},
                                 "p");
  REQUIRE(ok.has_value());
  CHECK(ok->endpoint.cluster.seeds.size() == 2);
  CHECK(ok->endpoint.tls->enabled);
  CHECK(ok->endpoint.Describe() == "rediss://cluster(a:7000,[fd00::1]:7001)");
}

TEST_CASE("redis cluster: keys on different masters, one pipeline per master",
          "[redis][cluster][integration]") {
  auto& s = Servers();
  const auto keys = KeyPerMaster("jobs");
  json lists = json::array();
  int n = 0;
  for (const auto& [port, key] : keys) {
    Cli(s.ports[0], "DEL " + key);
    ++n;
    std::string values;
    for (int i = 0; i < n; ++i) values += " x";
    Cli(s.ports[0], "RPUSH " + key + values);
    lists.push_back(key);
  }
  RedisPool pool;
  auto scaler = Make(pool, {{"lists", lists}});
  CHECK(MustRead(*scaler) == 6.0);  // 1 + 2 + 3
  CHECK(pool.stats().slot_map_refreshes == 1);
  CHECK(pool.stats().round_trips == 1 + 3);  // CLUSTER SLOTS, then one pipeline per master
  CHECK(MustRead(*scaler) == 6.0);
  CHECK(pool.stats().round_trips == 1 + 3 + 3);  // the map is kept
  CHECK(pool.stats().redirects == 0);

  // Streams: the length and a group's pending count.
  Cli(s.ports[0], "DEL events");
  Cli(s.ports[0], "XADD events '*' f 1");
  Cli(s.ports[0], "XADD events '*' f 2");
  Cli(s.ports[0], "XGROUP CREATE events g 0");
  Cli(s.ports[0], "XREADGROUP GROUP g c COUNT 1 STREAMS events '>'");
  CHECK(MustRead(*Make(pool, {{"stream", "events"}})) == 2.0);
  CHECK(MustRead(*Make(pool, {{"stream", "events"}, {"consumerGroup", "g"}})) == 1.0);

  // A wrong password is a permission error naming the cluster, not a value.
  ::setenv("EBB_TEST_CLUSTER_WRONG", "nope", 1);
  json wrong = {{"cluster", ClusterBlock()},
                {"passwordFromEnv", "EBB_TEST_CLUSTER_WRONG"},
                {"lists", {"jobs"}}};
  ScalerDeps deps{nullptr, &pool};
  auto w = MakeScaler("Redis", wrong, "spec.metrics[0].redis", deps);
  REQUIRE(w.has_value());
  auto denied = (*w)->Read(kCtx);
  REQUIRE_FALSE(denied.has_value());
  INFO(denied.error().message);
  CHECK(denied.error().code == ErrorCode::kPermissionDenied);
  CHECK(denied.error().message.find("cluster(127.0.0.1:") != std::string::npos);
  CHECK(denied.error().message.find("nope") == std::string::npos);
}

TEST_CASE("redis cluster: a Celery queue whose keys and checks span slots",
          "[redis][cluster][celery][integration]") {
  auto& s = Servers();
  // kombu's keys: the queue, a priority sub-queue and its binding, on different slots; the
  // checks' multi-key EXISTS would be CROSSSLOT on a cluster unless split per key.
  CliLines(s.ports[0], {"DEL work", "DEL \"work\\x06\\x163\"", "DEL _kombu.binding.work",
                        "RPUSH work a b", "RPUSH \"work\\x06\\x163\" c",
                        "SADD _kombu.binding.work \"work\\x06\\x16\\x06\\x16work\""});
  REQUIRE(KeySlot("work") != KeySlot("work\x06\x16"
                                     "3"));
  RedisPool pool;
  auto scaler = Make(pool, {{"celery", {{"queues", {"work"}}}}});
  CHECK(MustRead(*scaler) == 3.0);
  // A step prioritySteps leaves out is found on its own master.
  auto narrow = Make(pool, {{"celery", {{"queues", {"work"}}, {"prioritySteps", {0}}}}});
  auto r = narrow->Read(kCtx);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == ErrorCode::kNotFound);
}

TEST_CASE("redis cluster: 1,000 list scalers in one batched poll are one pipeline per master",
          "[redis][cluster][poller][integration]") {
  auto& s = Servers();
  for (int i = 0; i < 1000; i += 100) {
    const std::string key = "q" + std::to_string(i);
    Cli(s.ports[0], "DEL " + key);
    Cli(s.ports[0], "RPUSH " + key + " a b");
  }
  RedisPool pool;
  std::vector<std::unique_ptr<Scaler>> owned;
  std::vector<Scaler*> scalers;
  for (int i = 0; i < 1000; ++i) {
    owned.push_back(Make(pool, {{"lists", {"q" + std::to_string(i)}}}));
    scalers.push_back(owned.back().get());
  }
  auto first = ReadAll(scalers, kCtx);
  const auto before = pool.stats();
  auto values = ReadAll(scalers, kCtx);
  const auto after = pool.stats();
  for (std::size_t i = 0; i < 1000; ++i) {
    INFO(i << ": " << (values[i] ? "" : values[i].error().message));
    REQUIRE(values[i].has_value());
    CHECK(*values[i] == (i % 100 == 0 ? 2.0 : 0.0));
  }
  CHECK(after.round_trips - before.round_trips == 3);
  CHECK(after.commands - before.commands == 1000);
  CHECK(pool.connection_count() == 3);
}

TEST_CASE("redis cluster: a resharded slot (MOVED) and a slot mid-migration (ASK) are followed",
          "[redis][cluster][integration]") {
  auto& s = Servers();
  const auto keys = KeyPerMaster("moving");
  auto it = keys.begin();
  const std::string key = it->second;
  const std::string other = std::next(it)->second;
  Cli(s.ports[0], "DEL " + key);
  Cli(s.ports[0], "DEL " + other);
  Cli(s.ports[0], "RPUSH " + key + " a b c");
  Cli(s.ports[0], "RPUSH " + other + " a b c d");
  RedisPool pool;
  auto scaler = Make(pool, {{"lists", {key}}});
  CHECK(MustRead(*scaler) == 3.0);  // the map is cached now
  const uint16_t slot = KeySlot(key);
  const Node from = OwnerOf(slot);
  const Node to = OwnerOf(KeySlot(other));
  REQUIRE(from.port != to.port);

  MoveSlot(slot, from, to, key, /*finish=*/true);
  REQUIRE(OwnerOf(slot).port == to.port);
  CHECK(MustRead(*scaler) == 3.0);  // MOVED from the old master, read at the new one
  CHECK(pool.stats().redirects == 1);
  CHECK(MustRead(*scaler) == 3.0);  // a fresh map: no redirect this time
  CHECK(pool.stats().redirects == 1);
  CHECK(pool.stats().slot_map_refreshes == 2);

  // Mid-migration: the source no longer holds the key and answers ASK; the target serves it
  // only after ASKING. The map stays as it is (the slot is still the source's).
  const uint16_t slot2 = KeySlot(other);
  auto migrating = Make(pool, {{"lists", {other}}});
  CHECK(MustRead(*migrating) == 4.0);
  const Node third = [&] {
    for (const Node& n : Nodes()) {
      if (n.master && !n.failed && n.port != to.port) return n;
    }
    return Node{};
  }();
  MoveSlot(slot2, to, third, other, /*finish=*/false);
  const auto refreshes = pool.stats().slot_map_refreshes;
  CHECK(MustRead(*migrating) == 4.0);
  CHECK(pool.stats().redirects == 2);
  CHECK(MustRead(*migrating) == 4.0);
  CHECK(pool.stats().redirects == 3);  // ASK again: it moved nothing in the map
  CHECK(pool.stats().slot_map_refreshes == refreshes);
  for (const Node& n : Nodes()) {
    if (n.master && !n.failed)
      Cli(n.port, "CLUSTER SETSLOT " + std::to_string(slot2) + " NODE " + third.id);
  }
  CHECK(MustRead(*migrating) == 4.0);
}

TEST_CASE("redis cluster: a failover loses no reading beyond the failing poll",
          "[redis][cluster][failover][integration]") {
  auto& s = Servers();
  const auto keys = KeyPerMaster("fo");
  RedisPool pool;
  std::vector<std::unique_ptr<Scaler>> owned;
  std::vector<Scaler*> scalers;
  int n = 0;
  for (const auto& [port, key] : keys) {
    Cli(s.ports[0], "DEL " + key);
    std::string values;
    for (int i = 0; i <= n; ++i) values += " x";
    Cli(port, "RPUSH " + key + values);
    Cli(port, "WAIT 1 5000");  // on the replica too before its master goes
    owned.push_back(Make(pool, {{"lists", {key}}}));
    scalers.push_back(owned.back().get());
    ++n;
  }
  auto all_read = [&](const std::vector<Result<double>>& v) {
    for (std::size_t i = 0; i < v.size(); ++i) {
      INFO(i << ": " << (v[i] ? "" : v[i].error().message));
      REQUIRE(v[i].has_value());
      CHECK(*v[i] == static_cast<double>(i + 1));
    }
  };
  all_read(ReadAll(scalers, kCtx));

  // A manual failover (CLUSTER FAILOVER on a replica): the old master turns replica and answers
  // MOVED; the next poll reads every key.
  const int first_master = keys.begin()->first;
  int replica = 0;
  const Node first_owner = OwnerOf(KeySlot(keys.begin()->second));
  for (const Node& node : Nodes()) {
    if (!node.master && !node.failed && node.master_id == first_owner.id) replica = node.port;
  }
  REQUIRE(replica != 0);
  CHECK(Cli(replica, "CLUSTER FAILOVER") == "OK\n");
  REQUIRE(WaitForMaster(replica));
  for (int i = 0; i < 600 && Cli(first_master, "ROLE").rfind("slave", 0) != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  all_read(ReadAll(scalers, kCtx));

  // A master dies: the poll that meets the dead master fails for its keys only; once its
  // replica is promoted, the next poll reads every key again.
  const int victim_port = std::next(keys.begin())->first;
  Shell(ebb::testing::FixturesDir() + "/redis.sh stop " + s.DirOf(victim_port));
  auto during = ReadAll(scalers, kCtx);
  CHECK(during[0].has_value());
  CHECK(during[2].has_value());
  REQUIRE_FALSE(during[1].has_value());
  INFO(during[1].error().message);
  CHECK(during[1].error().code == ErrorCode::kUnavailable);
  CHECK(during[1].error().message.find(std::to_string(victim_port)) != std::string::npos);
  int promoted = 0;
  for (int i = 0; i < 600 && promoted == 0; ++i) {
    for (const Node& node : Nodes()) {
      if (node.master && !node.failed && node.port != victim_port) {
        for (auto [a, b] : node.slots) {
          const uint16_t slot = KeySlot(std::next(keys.begin())->second);
          if (slot >= a && slot <= b) promoted = node.port;
        }
      }
    }
    if (promoted == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  REQUIRE(promoted != 0);
  REQUIRE(WaitForMaster(promoted));
  all_read(ReadAll(scalers, kCtx));
}

TEST_CASE("redis cluster over TLS: every node verified, client certificate from a Secret",
          "[redis][cluster][tls][integration]") {
  // A cluster of its own, TLS only (bus and replication too), client certificates required.
  static ebb::testing::FixtureServers tls_cluster{"redis_cluster.sh",
                                                  std::string(kPassword) + " tls"};
  const int seed = tls_cluster.port("NODE1_PORT");
  const std::string dir = tls_cluster.dir();
  const std::string cli = std::string("REDISCLI_AUTH=") + kPassword + " redis-cli --tls --cacert " +
                          dir + "/ca.crt --cert " + dir + "/client.crt --key " + dir +
                          "/client.key -c -h 127.0.0.1 -p " + std::to_string(seed);
  // One key in each master's slot range (redis-cli --cluster create splits 16384 in three).
  std::map<int, std::string> keys;
  for (int i = 0; keys.size() < 3 && i < 1000; ++i) {
    const std::string key = "tls-" + std::to_string(i);
    keys.try_emplace(KeySlot(key) / 5461, key);
  }
  REQUIRE(keys.size() == 3);
  json lists = json::array();
  for (const auto& [range, key] : keys) {
    Shell(cli + " DEL " + key + " >/dev/null && " + cli + " RPUSH " + key + " a b >/dev/null");
    lists.push_back(key);
  }
  ebb::testing::MapSecrets secrets;
  secrets.Set("jobs", "redis-tls", "ca.crt", ebb::testing::FileText(dir + "/ca.crt"));
  secrets.Set("jobs", "redis-tls", "tls.crt", ebb::testing::FileText(dir + "/client.crt"));
  secrets.Set("jobs", "redis-tls", "tls.key", ebb::testing::FileText(dir + "/client.key"));
  secrets.Set("jobs", "redis-tls", "password", kPassword);
  secrets.Set("jobs", "other-ca", "ca.crt", ebb::testing::FileText(dir + "/client.crt"));
  json block = {{"cluster", {{"addresses", {"127.0.0.1:" + std::to_string(seed)}}}},
                {"tls", json::object()},
                {"authenticationRef",
                 {{"name", "redis-tls"},
                  {"keys",
                   {{"tls.ca", "ca.crt"},
                    {"tls.cert", "tls.crt"},
                    {"tls.key", "tls.key"},
                    {"password", "password"}}}}},
                {"lists", lists}};
  RedisPool pool;
  ScalerDeps deps{nullptr, &pool};
  deps.secrets = {&secrets, "jobs"};
  auto scaler = MakeScaler("Redis", block, "spec.metrics[0].redis", deps);
  REQUIRE(scaler.has_value());
  CHECK(MustRead(**scaler) == 6.0);
  CHECK(pool.stats().round_trips == 1 + 3);  // CLUSTER SLOTS, then one pipeline per master

  // A CA that did not sign the nodes: refused, naming where the CA came from.
  json wrong = block;
  wrong.erase("authenticationRef");
  wrong["tls"] = {{"caSecretKeyRef", {{"name", "other-ca"}, {"key", "ca.crt"}}},
                  {"certSecretKeyRef", {{"name", "redis-tls"}, {"key", "tls.crt"}}},
                  {"keySecretKeyRef", {{"name", "redis-tls"}, {"key", "tls.key"}}}};
  wrong["passwordSecretKeyRef"] = {{"name", "redis-tls"}, {"key", "password"}};
  RedisPool other;
  ScalerDeps other_deps{nullptr, &other};
  other_deps.secrets = {&secrets, "jobs"};
  auto untrusted = MakeScaler("Redis", wrong, "spec.metrics[0].redis", other_deps);
  REQUIRE(untrusted.has_value());
  auto e = (*untrusted)->Read(kCtx);
  REQUIRE_FALSE(e.has_value());
  INFO(e.error().message);
  CHECK(e.error().code == ErrorCode::kPermissionDenied);
  CHECK(e.error().message.find("spec.metrics[0].redis.tls.caSecretKeyRef") != std::string::npos);
}

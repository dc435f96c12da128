// bench_scalers [--redis-port P --prom-port Q] [--autoscalers N] [--polls K] [--in-flight M]
//
// Measures the batched poll (scalers/poller.h) against local servers:
//   1. N Redis list autoscalers (one list each) -- one poll = one pipeline on the shared connection
//   2. N Celery autoscalers (4 priority lists each)
//   3. N Prometheus instant queries with M in flight (curl multi, keep-alive)
//   4. 1. and 2. again over TLS (rediss://, verified) against a TLS-only redis-server started by
//      tests/scalers/fixtures/redis_tls.sh; the first poll includes the TLS handshake
//   5. 1. and 2. again on a Redis Cluster of 3 masters (tests/scalers/fixtures/redis_cluster.sh):
//      one pipeline per master; the first poll includes CLUSTER SLOTS and the connects
// and, for comparison, the same reads one by one through Scaler::Read. Without ports it starts
// redis-server and prometheus (with recorded history) through tests/scalers/fixtures/servers.sh
// and stops them by PID at the end.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "controller/net/curl_http_client.h"
#include "scalers/poller.h"
#include "scalers/registry.h"

using nlohmann::json;
using namespace ebb;
using namespace ebb::scalers;
using WallClock = std::chrono::steady_clock;

namespace {

double Ms(WallClock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

struct Stats {
  double min = 0, median = 0, p95 = 0, max = 0;
};
Stats Summarize(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  Stats s;
  s.min = v.front();
  s.max = v.back();
  s.median = v[v.size() / 2];
  s.p95 = v[std::min(v.size() - 1, static_cast<std::size_t>(static_cast<double>(v.size()) * 0.95))];
  return s;
}

int Run(const std::string& cmd) {
  return std::system(cmd.c_str());
}

struct Servers {
  int redis_port = 0;
  int prom_port = 0;
  std::string dir;  // non-empty: we started them
  ~Servers() {
    if (!dir.empty()) {
      Run(std::string(EBB_SCALERS_FIXTURES) + "/servers.sh stop " + dir + " >/dev/null 2>&1");
      Run("rm -rf " + dir);
    }
  }
};

// Polls `k` times; prints and returns the stats; fails loudly if any read failed or a value is off.
Stats Bench(const char* name, std::vector<Scaler*>& scalers, const ReadContext& ctx, int k,
            PollOptions opts, const std::vector<double>& expected, RedisPool* pool) {
  std::vector<double> times;
  uint64_t trips = 0;
  for (int i = 0; i < k; ++i) {
    const auto before = pool != nullptr ? pool->stats() : RedisPool::Stats{};
    const auto t0 = WallClock::now();
    auto results = ReadAll(scalers, ctx, opts);
    times.push_back(Ms(WallClock::now() - t0));
    if (pool != nullptr) trips = pool->stats().round_trips - before.round_trips;
    for (std::size_t j = 0; j < results.size(); ++j) {
      if (!results[j])
        throw std::runtime_error(std::string(name) + ": " + results[j].error().message);
      if (*results[j] != expected[j]) throw std::runtime_error(std::string(name) + ": wrong value");
    }
  }
  const Stats s = Summarize(times);
  std::printf("%-44s n=%zu polls=%d  first %.2f ms  median %.2f ms  p95 %.2f ms  max %.2f ms", name,
              scalers.size(), k, times.front(), s.median, s.p95, s.max);
  if (pool != nullptr)
    std::printf("  round trips/poll %llu", static_cast<unsigned long long>(trips));
  std::printf("\n");
  return s;
}

double OneByOne(std::vector<Scaler*>& scalers, const ReadContext& ctx) {
  const auto t0 = WallClock::now();
  for (Scaler* s : scalers) {
    if (!s->Read(ctx)) throw std::runtime_error("sequential read failed");
  }
  return Ms(WallClock::now() - t0);
}

}  // namespace

int main(int argc, char** argv) try {
  std::map<std::string, int> args = {{"--redis-port", 0},
                                     {"--prom-port", 0},
                                     {"--autoscalers", 1000},
                                     {"--polls", 20},
                                     {"--in-flight", 32}};
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!args.count(argv[i])) throw std::runtime_error(std::string("unknown flag ") + argv[i]);
    args[argv[i]] = std::stoi(argv[i + 1]);
  }
  const int n = args["--autoscalers"];
  const int polls = std::max(1, args["--polls"]);
  ::setenv("NO_PROXY", "127.0.0.1,localhost", 1);

  Servers srv;
  srv.redis_port = args["--redis-port"];
  srv.prom_port = args["--prom-port"];
  if (srv.redis_port == 0 || srv.prom_port == 0) {
    char tmpl[] = "/tmp/ebb-bench-scalers-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp");
    srv.dir = tmpl;
    if (Run(std::string(EBB_SCALERS_FIXTURES) + "/servers.sh start " + srv.dir + " >/dev/null") !=
        0) {
      throw std::runtime_error("could not start servers");
    }
    std::ifstream env(srv.dir + "/env");
    std::string line;
    while (std::getline(env, line)) {
      if (line.rfind("REDIS_PORT=", 0) == 0) srv.redis_port = std::stoi(line.substr(11));
      if (line.rfind("PROM_PORT=", 0) == 0) srv.prom_port = std::stoi(line.substr(10));
    }
  }
  std::printf("redis 127.0.0.1:%d, prometheus 127.0.0.1:%d, %d autoscalers, %d polls\n",
              srv.redis_port, srv.prom_port, n, polls);

  // Data: list i holds i % 97 items in db 11; Celery queue i has items in its priority lists.
  const std::string fill = srv.dir.empty() ? "/tmp/ebb-bench-fill.txt" : srv.dir + "/fill.txt";
  {
    std::ofstream f(fill);
    f << "FLUSHDB\n";
    for (int i = 0; i < n; ++i) {
      const int len = i % 97;
      if (len > 0) {
        f << "RPUSH list" << i;
        for (int k = 0; k < len; ++k) f << " x";
        f << "\n";
      }
      f << "RPUSH cq" << i << " a\nRPUSH \"cq" << i << "\\x06\\x163\" a b\nRPUSH \"cq" << i
        << "\\x06\\x169\" a b c\n";
    }
  }
  if (Run("redis-cli -h 127.0.0.1 -p " + std::to_string(srv.redis_port) + " -n 11 < " + fill +
          " >/dev/null") != 0) {
    throw std::runtime_error("redis-cli fill failed");
  }

  net::CurlHttpClient http;
  RedisPool pool;
  ScalerDeps deps{&http, &pool, /*prometheus_evaluate_at_now=*/true};
  const std::string addr = "127.0.0.1:" + std::to_string(srv.redis_port);
  std::vector<std::unique_ptr<Scaler>> owned;
  std::vector<Scaler*> lists, celery, prom;
  std::vector<double> want_lists, want_celery, want_prom;
  for (int i = 0; i < n; ++i) {
    auto l = MakeScaler(
        "Redis", json{{"address", addr}, {"db", 11}, {"lists", {"list" + std::to_string(i)}}},
        "bench", deps);
    auto c = MakeScaler(
        "Redis",
        json{{"address", addr}, {"db", 11}, {"celery", {{"queues", {"cq" + std::to_string(i)}}}}},
        "bench", deps);
    auto p = MakeScaler("Prometheus",
                        json{{"serverAddress", "http://127.0.0.1:" + std::to_string(srv.prom_port)},
                             {"query", "ebb_queue_depth{queue=\"mail\"} + " + std::to_string(i)}},
                        "bench", deps);
    if (!l || !c || !p) throw std::runtime_error("config");
    lists.push_back(l->get());
    celery.push_back(c->get());
    prom.push_back(p->get());
    want_lists.push_back(i % 97);
    want_celery.push_back(6);
    want_prom.push_back(1000 + 100 + i);  // sample 100 of "mail" = 1100
    owned.push_back(std::move(l).value());
    owned.push_back(std::move(c).value());
    owned.push_back(std::move(p).value());
  }
  const ReadContext ctx{FromUnixMillis((1700000000LL + 3000) * 1000), Timestamp{}};
  PollOptions opts;
  opts.max_http_in_flight = static_cast<std::size_t>(args["--in-flight"]);

  Bench("redis lists: batched poll (cold connect first)", lists, ctx, polls, opts, want_lists,
        &pool);
  Bench("redis celery (4 lists each): batched poll", celery, ctx, polls, opts, want_celery, &pool);
  std::printf("%-44s n=%zu  %.2f ms\n", "redis lists: one by one (Read)", lists.size(),
              OneByOne(lists, ctx));
  const std::string pname =
      "prometheus: batched, " + std::to_string(opts.max_http_in_flight) + " in flight";
  Bench(pname.c_str(), prom, ctx, std::max(1, polls / 4), opts, want_prom, nullptr);
  PollOptions one = opts;
  one.max_http_in_flight = 1;
  Bench("prometheus: batched, 1 in flight", prom, ctx, 1, one, want_prom, nullptr);
  std::printf("%-44s n=%zu  %.2f ms\n", "prometheus: one by one (Read)", prom.size(),
              OneByOne(prom, ctx));
  // The same 1,000 list and Celery autoscalers over TLS (rediss://, verified against the test CA)
  // on a TLS-only redis-server from tests/scalers/fixtures/redis_tls.sh.
  {
    char tmpl[] = "/tmp/ebb-bench-redis-tls-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp");
    const std::string tls_dir = tmpl;
    struct Stop {
      std::string dir;
      ~Stop() {
        Run(std::string(EBB_SCALERS_FIXTURES) + "/redis_tls.sh stop " + dir + " >/dev/null 2>&1");
        Run("rm -rf " + dir);
      }
    } stop{tls_dir};
    if (Run(std::string(EBB_SCALERS_FIXTURES) + "/redis_tls.sh start " + tls_dir + " >/dev/null") !=
        0) {
      throw std::runtime_error("could not start the TLS redis-server");
    }
    int tls_port = 0;
    std::ifstream env(tls_dir + "/env");
    std::string line;
    while (std::getline(env, line)) {
      if (line.rfind("TLS_PORT=", 0) == 0) tls_port = std::stoi(line.substr(9));
    }
    const std::string cli = "redis-cli --tls --cacert " + tls_dir + "/ca.crt -h 127.0.0.1 -p " +
                            std::to_string(tls_port) + " -n 11";
    if (Run(cli + " < " + fill + " >/dev/null") != 0) {
      throw std::runtime_error("redis-cli --tls fill failed");
    }
    RedisPool tls_pool;
    ScalerDeps tls_deps{&http, &tls_pool, true};
    const json tls = {{"caFile", tls_dir + "/ca.crt"}};
    const std::string rediss = "rediss://127.0.0.1:" + std::to_string(tls_port);
    std::vector<Scaler*> tls_lists, tls_celery;
    for (int i = 0; i < n; ++i) {
      auto l = MakeScaler("Redis",
                          json{{"address", rediss},
                               {"tls", tls},
                               {"db", 11},
                               {"lists", {"list" + std::to_string(i)}}},
                          "bench", tls_deps);
      auto c = MakeScaler("Redis",
                          json{{"address", rediss},
                               {"tls", tls},
                               {"db", 11},
                               {"celery", {{"queues", {"cq" + std::to_string(i)}}}}},
                          "bench", tls_deps);
      if (!l || !c) throw std::runtime_error("tls config");
      tls_lists.push_back(l->get());
      tls_celery.push_back(c->get());
      owned.push_back(std::move(l).value());
      owned.push_back(std::move(c).value());
    }
    Bench("redis TLS lists: batched (cold: TLS handshake)", tls_lists, ctx, polls, opts, want_lists,
          &tls_pool);
    Bench("redis TLS celery (4 lists each): batched", tls_celery, ctx, polls, opts, want_celery,
          &tls_pool);
    std::printf("%-44s n=%zu  %.2f ms\n", "redis TLS lists: one by one (Read)", tls_lists.size(),
                OneByOne(tls_lists, ctx));
  }
  // The same 1,000 list and Celery autoscalers on a 3-master Redis Cluster: each key read from
  // its slot's master, one pipeline per master per poll.
  {
    char tmpl[] = "/tmp/ebb-bench-redis-cluster-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp");
    const std::string cluster_dir = tmpl;
    struct Stop {
      std::string dir;
      ~Stop() {
        Run(std::string(EBB_SCALERS_FIXTURES) + "/redis_cluster.sh stop " + dir +
            " >/dev/null 2>&1");
        Run("rm -rf " + dir);
      }
    } stop{cluster_dir};
    if (Run(std::string(EBB_SCALERS_FIXTURES) + "/redis_cluster.sh start " + cluster_dir +
            " >/dev/null") != 0) {
      throw std::runtime_error("could not start the Redis Cluster");
    }
    int seed = 0;
    std::ifstream env(cluster_dir + "/env");
    std::string line;
    while (std::getline(env, line)) {
      if (line.rfind("NODE1_PORT=", 0) == 0) seed = std::stoi(line.substr(11));
    }
    // The same data without FLUSHDB/db 11 (a cluster has db 0 only); -c follows MOVED.
    {
      std::ifstream in(fill);
      std::ofstream out(cluster_dir + "/fill.txt");
      while (std::getline(in, line)) {
        if (line != "FLUSHDB") out << line << "\n";
      }
    }
    if (Run("redis-cli -c -h 127.0.0.1 -p " + std::to_string(seed) + " < " + cluster_dir +
            "/fill.txt >/dev/null") != 0) {
      throw std::runtime_error("redis-cli -c fill failed");
    }
    RedisPool cluster_pool;
    ScalerDeps cluster_deps{&http, &cluster_pool, true};
    const json cluster = {{"addresses", {"127.0.0.1:" + std::to_string(seed)}}};
    std::vector<Scaler*> cluster_lists, cluster_celery;
    for (int i = 0; i < n; ++i) {
      auto l =
          MakeScaler("Redis", json{{"cluster", cluster}, {"lists", {"list" + std::to_string(i)}}},
                     "bench", cluster_deps);
      auto c = MakeScaler(
          "Redis", json{{"cluster", cluster}, {"celery", {{"queues", {"cq" + std::to_string(i)}}}}},
          "bench", cluster_deps);
      if (!l || !c) throw std::runtime_error("cluster config");
      cluster_lists.push_back(l->get());
      cluster_celery.push_back(c->get());
      owned.push_back(std::move(l).value());
      owned.push_back(std::move(c).value());
    }
    Bench("redis cluster (3 masters) lists: batched", cluster_lists, ctx, polls, opts, want_lists,
          &cluster_pool);
    Bench("redis cluster celery (4 lists each): batched", cluster_celery, ctx, polls, opts,
          want_celery, &cluster_pool);
    std::printf("%-44s n=%zu  %.2f ms\n", "redis cluster lists: one by one (Read)",
                cluster_lists.size(), OneByOne(cluster_lists, ctx));
  }
  std::printf("redis connections: %zu, connects: %llu\n", pool.connection_count(),
              static_cast<unsigned long long>(pool.stats().connects));
  if (srv.dir.empty()) ::unlink(fill.c_str());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "bench_scalers: %s\n", e.what());
  return 1;
}

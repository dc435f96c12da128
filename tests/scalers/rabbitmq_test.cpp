// The RabbitMQ scaler against Debian's rabbitmq-server with the management plugin (started by the
// ctest fixture `rabbitmq_server`, fixtures/rabbitmq.sh, or by this binary when run by hand), fed
// real Celery tasks over AMQP (fixtures/rabbitmq_celery.py: Celery + py-amqp).
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <thread>

#include "controller/api/autoscaler.h"
#include "controller/net/curl_http_client.h"
#include "scalers/poller.h"
#include "scalers/rabbitmq_scaler.h"
#include "scalers/redis_pool.h"
#include "tests/support/local.h"

using nlohmann::json;
using namespace ebb;
using namespace ebb::scalers;

namespace {

const std::string kFixtures = EBB_SCALERS_FIXTURES;

struct Rabbit {
  std::string dir;
  bool own = false;
  int amqp = 0, http = 0, https = 0;
  std::string ca_file() const { return dir + "/tls/ca.crt"; }
  std::string wrong_ca_file() const { return dir + "/tls/wrong-ca.crt"; }
  // The HTTPS listener has verify_peer + fail_if_no_peer_cert: every https read needs one.
  std::string cert(const std::string& who = "client") const { return dir + "/tls/" + who + ".crt"; }
  std::string key(const std::string& who = "client") const { return dir + "/tls/" + who + ".key"; }
  ~Rabbit() {
    if (own) std::system((kFixtures + "/rabbitmq.sh stop " + dir + " >/dev/null 2>&1").c_str());
  }
};

const Rabbit& Server() {
  static Rabbit r = [] {
    Rabbit x;
    if (const char* d = std::getenv("EBB_RABBITMQ_DIR"); d != nullptr && *d != '\0') {
      x.dir = d;
    } else {
      char tmpl[] = "/tmp/ebb-rabbitmq-XXXXXX";
      REQUIRE(mkdtemp(tmpl) != nullptr);
      x.dir = tmpl;
      x.own = true;
      ebb::testing::Shell(kFixtures + "/rabbitmq.sh start " + x.dir);
    }
    std::ifstream env(x.dir + "/env");
    REQUIRE(env);
    std::map<std::string, int> ports;
    for (std::string line; std::getline(env, line);) {
      const auto eq = line.find('=');
      if (eq != std::string::npos) ports[line.substr(0, eq)] = std::stoi(line.substr(eq + 1));
    }
    x.amqp = ports["RABBITMQ_AMQP_PORT"];
    x.http = ports["RABBITMQ_HTTP_PORT"];
    x.https = ports["RABBITMQ_HTTPS_PORT"];
    REQUIRE(x.amqp > 0);
    return x;
  }();
  return r;
}

std::string Broker(const std::string& vhost = "celery") {
  return "amqp://ebb:ebb-secret@127.0.0.1:" + std::to_string(Server().amqp) + "/" + vhost;
}

std::string Celery(const std::string& args) {
  return ebb::testing::Shell("/usr/bin/python3 " + kFixtures + "/rabbitmq_celery.py " + args);
}

// A fresh queue per test: the management API is shared by every test case of a run.
std::string FreshQueue(const std::string& stem) {
  static int n = 0;
  return stem + "-" + std::to_string(::getpid()) + "-" + std::to_string(++n);
}

json Block(const std::string& queue, const std::string& mode = "QueueLength") {
  ::setenv("EBB_TEST_RABBIT_PASSWORD", "ebb-secret", 1);
  return json{{"serverAddress", "https://127.0.0.1:" + std::to_string(Server().https)},
              {"vhost", "celery"},
              {"queues", {queue}},
              {"mode", mode},
              {"username", "ebb"},
              {"passwordFromEnv", "EBB_TEST_RABBIT_PASSWORD"},
              {"tls",
               {{"caFile", Server().ca_file()},
                {"certFile", Server().cert()},
                {"keyFile", Server().key()}}}};
}

std::unique_ptr<Scaler> Make(net::HttpClient& http, const json& block) {
  ScalerDeps deps{&http, nullptr};
  auto s = MakeScaler("RabbitMQ", block, "spec.metrics[0].rabbitmq", deps);
  if (!s) FAIL(s.error().message);
  return std::move(s).value();
}

ReadContext Now() {
  const Timestamp now = FromUnixMillis(std::chrono::duration_cast<std::chrono::milliseconds>(
                                           std::chrono::system_clock::now().time_since_epoch())
                                           .count());
  return ReadContext{now, now + Seconds(5)};
}

// The management API's figures trail the broker by up to collect_statistics_interval (1 s
// here): read until `want` holds or 60 s pass; returns the last reading.
template <class Pred>
Result<double> ReadUntil(Scaler& s, Pred want) {
  Result<double> last = MakeError(ErrorCode::kInternal, "never read");
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < until) {
    last = s.Read(Now());
    if (want(last)) return last;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return last;
}

auto Is(double v) {
  return [v](const Result<double>& r) { return r.has_value() && *r == v; };
}

template <class T>
void ExpectProblems(const Result<T>& r, const std::vector<std::string>& fragments) {
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == ErrorCode::kInvalidConfig);
  for (const auto& f : fragments) {
    INFO("error was:\n" << r.error().message);
    CHECK(r.error().message.find(f) != std::string::npos);
  }
}

}  // namespace

TEST_CASE("rabbitmq config: defaults, and every problem named by its field path",
          "[rabbitmq][config]") {
  auto ok = ParseRabbitMQConfig(
      json{{"serverAddress", "https://rabbit:15671/"}, {"queues", {"celery"}}}, "p");
  REQUIRE(ok.has_value());
  CHECK(ok->server_address == "https://rabbit:15671");
  CHECK(ok->vhost == "/");
  CHECK(ok->mode == RabbitMQConfig::Mode::kQueueLength);
  CHECK_FALSE(ok->tls.insecure_skip_verify);  // verified unless asked otherwise

  const std::string p = "spec.metrics[1].rabbitmq";
  ExpectProblems(ParseRabbitMQConfig(json::object(), p),
                 {p + ".serverAddress: required", p + ".queues: required"});
  ExpectProblems(
      ParseRabbitMQConfig(json{{"serverAddress", "http://guest:guest@rabbit:15672"},
                               {"queues", {"a", "a"}},
                               {"vhost", ""},
                               {"mode", "Length"},
                               {"passwordFromEnv", "PW"},
                               {"tls", {{"caFile", "/ca"}}},
                               {"queueName", "a"}},
                          p),
      {p + ".serverAddress: must not contain credentials", p + ".queues[1]: \"a\" repeats",
       p + ".vhost: must not be empty", p + ".mode: must be one of: QueueLength, Ready",
       p + ".username: required with passwordFromEnv", p + ".queueName: unknown field"});
  ExpectProblems(ParseRabbitMQConfig(json{{"serverAddress", "http://rabbit:15672"},
                                          {"queues", {"a"}},
                                          {"tls", {{"insecureSkipVerify", true}}}},
                                     p),
                 {p + ".tls.caFile: tls settings need an https:// serverAddress"});
  ExpectProblems(ParseRabbitMQConfig(json{{"serverAddress", "rabbit:15672"}, {"queues", {"a"}}}, p),
                 {p + ".serverAddress: must be the management API's http:// or https:// URL"});
}

TEST_CASE("rabbitmq in an Autoscaler: parsed once into a typed config, problems name the object",
          "[rabbitmq][config]") {
  json doc = {{"apiVersion", "ebb.dev/v1alpha1"},
              {"kind", "Autoscaler"},
              {"metadata", {{"name", "worker"}, {"namespace", "jobs"}}},
              {"spec",
               {{"scaleTargetRef", {{"kind", "Deployment"}, {"name", "worker"}}},
                {"minReplicas", 0},
                {"maxReplicas", 10},
                {"metrics",
                 {{{"type", "RabbitMQ"},
                   {"rabbitmq",
                    {{"serverAddress", "https://rabbit:15671"},
                     {"queues", {"celery"}},
                     {"mode", "Ready"},
                     {"target", {{"type", "AverageValue"}, {"averageValue", "20"}}},
                     {"activationThreshold", "1"}}}}}}}}};
  auto a = api::ParseAutoscaler(doc);
  REQUIRE(a.has_value());
  const auto& m = a->spec.metrics.at(0);
  CHECK(m.type == decision::SourceType::kScaler);
  CHECK(m.scaler == "RabbitMQ");
  CHECK(m.name == "rabbitmq");
  CHECK(m.target.average_value_milli == 20000);
  CHECK(m.activation_threshold_milli == 1000);
  REQUIRE(a->sources.at(0).config != nullptr);
  net::CurlHttpClient http;
  ScalerDeps deps{&http, nullptr};
  auto scaler = a->sources[0].config->Make(deps);
  REQUIRE(scaler.has_value());
  auto* rabbit = dynamic_cast<RabbitMQScaler*>(scaler->get());
  REQUIRE(rabbit != nullptr);
  CHECK(rabbit->config().mode == RabbitMQConfig::Mode::kReady);

  doc["spec"]["metrics"][0]["rabbitmq"]["mode"] = "Everything";
  doc["spec"]["metrics"][0]["rabbitmq"]["target"]["type"] = "Utilization";
  auto bad = api::ParseAutoscaler(doc);
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().message.find("Autoscaler jobs/worker: spec.metrics[0].rabbitmq.mode: must be "
                                 "one of") != std::string::npos);
  CHECK(bad.error().message.find("Autoscaler jobs/worker: spec.metrics[0].rabbitmq.target.type: "
                                 "must be one of: Value, AverageValue (got \"Utilization\")") !=
        std::string::npos);
}

TEST_CASE("rabbitmq: Celery tasks sent over AMQP are the queue length, over verified https",
          "[rabbitmq][server]") {
  net::CurlHttpClient http;
  const std::string q = FreshQueue("celery");
  Celery("send " + Broker() + " " + q + " 7");
  auto s = Make(http, Block(q));
  auto r = ReadUntil(*s, Is(7));
  INFO((r ? std::to_string(*r) : r.error().message));
  CHECK(Is(7)(r));
  CHECK(s->Describe().find("ebb-secret") == std::string::npos);
  Celery("send " + Broker() + " " + q + " 5");
  CHECK(Is(12)(ReadUntil(*s, Is(12))));

  // The same over plain http, on the default vhost name spelled out.
  json plain = Block(q);
  plain["serverAddress"] = "http://127.0.0.1:" + std::to_string(Server().http);
  plain.erase("tls");
  CHECK(Is(12)(ReadUntil(*Make(http, plain), Is(12))));
}

TEST_CASE("rabbitmq: ready, unacked and both while a consumer holds tasks unacknowledged",
          "[rabbitmq][server]") {
  net::CurlHttpClient http;
  const std::string q = FreshQueue("held");
  Celery("send " + Broker() + " " + q + " 10");
  auto length = Make(http, Block(q, "QueueLength"));
  auto ready = Make(http, Block(q, "Ready"));
  auto unacked = Make(http, Block(q, "Unacked"));
  REQUIRE(Is(10)(ReadUntil(*ready, Is(10))));

  const std::string out = "/tmp/ebb-rabbit-hold-" + std::to_string(::getpid());
  FILE* holder = ::popen(("/usr/bin/python3 " + kFixtures + "/rabbitmq_celery.py hold " + Broker() +
                          " " + q + " 4 >" + out)
                             .c_str(),
                         "w");
  REQUIRE(holder != nullptr);
  bool held = false;
  for (int i = 0; i < 200 && !held; ++i) {
    std::ifstream f(out);
    std::string line;
    held = std::getline(f, line) && line == "held 4";
    if (!held) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  REQUIRE(held);
  CHECK(Is(4)(ReadUntil(*unacked, Is(4))));
  CHECK(Is(6)(ReadUntil(*ready, Is(6))));
  CHECK(Is(10)(ReadUntil(*length, Is(10))));
  ::pclose(holder);  // the connection closes: the broker puts the 4 back
  std::remove(out.c_str());
  CHECK(Is(0)(ReadUntil(*unacked, Is(0))));
  CHECK(Is(10)(ReadUntil(*ready, Is(10))));

  // Many queues of many autoscalers in one poll: one HTTP batch, values in order.
  std::vector<Scaler*> all = {length.get(), ready.get(), unacked.get()};
  json both = Block(q);
  const std::string other = FreshQueue("other");
  Celery("send " + Broker() + " " + other + " 3");
  both["queues"] = {q, other};
  auto sum = Make(http, both);
  REQUIRE(Is(13)(ReadUntil(*sum, Is(13))));
  all.push_back(sum.get());
  const auto polled = ReadAll(all, Now());
  REQUIRE(polled.size() == 4);
  CHECK(Is(10)(polled[0]));
  CHECK(Is(10)(polled[1]));
  CHECK(Is(0)(polled[2]));
  CHECK(Is(13)(polled[3]));
}

TEST_CASE("rabbitmq: publish and deliver rates while Celery tasks flow", "[rabbitmq][server]") {
  net::CurlHttpClient http;
  const std::string q = FreshQueue("rates");
  Celery("send " + Broker() + " " + q + " 1");  // declares the queue
  auto publish = Make(http, Block(q, "PublishRate"));
  auto deliver = Make(http, Block(q, "DeliverRate"));
  std::thread pump([&] { Celery("pump " + Broker() + " " + q + " 40 12"); });
  auto busy = [](const Result<double>& r) { return r.has_value() && *r > 5; };
  const auto p = ReadUntil(*publish, busy);
  const auto d = ReadUntil(*deliver, busy);
  pump.join();
  INFO((p ? std::to_string(*p) : p.error().message));
  CHECK(busy(p));
  INFO((d ? std::to_string(*d) : d.error().message));
  CHECK(busy(d));
}

TEST_CASE("rabbitmq: a missing queue, a wrong password and an unknown CA fail the reading",
          "[rabbitmq][server]") {
  net::CurlHttpClient http;
  auto missing = Make(http, Block("no-such-queue"))->Read(Now());
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().code == ErrorCode::kNotFound);
  CHECK(missing.error().message.find("no such queue in vhost \"celery\"") != std::string::npos);

  const std::string q = FreshQueue("auth");
  Celery("send " + Broker() + " " + q + " 2");
  ::setenv("EBB_TEST_RABBIT_WRONG", "not-the-password", 1);
  json wrong = Block(q);
  wrong["passwordFromEnv"] = "EBB_TEST_RABBIT_WRONG";
  auto denied = Make(http, wrong)->Read(Now());
  REQUIRE_FALSE(denied.has_value());
  CHECK(denied.error().code == ErrorCode::kPermissionDenied);
  CHECK(denied.error().message.find("not-the-password") == std::string::npos);

  // ebb may read vhost "celery" only.
  json other_vhost = Block(q);
  other_vhost["vhost"] = "/";
  auto forbidden = Make(http, other_vhost)->Read(Now());
  REQUIRE_FALSE(forbidden.has_value());
  CHECK(forbidden.error().code != ErrorCode::kInternal);

  json wrong_ca = Block(q);
  wrong_ca["tls"]["caFile"] = Server().wrong_ca_file();
  auto untrusted = Make(http, wrong_ca)->Read(Now());
  REQUIRE_FALSE(untrusted.has_value());
  json system_store = Block(q);
  system_store.erase("tls");  // the system trust store does not know the test CA
  CHECK_FALSE(Make(http, system_store)->Read(Now()).has_value());
  json skip = wrong_ca;
  skip["tls"].erase("caFile");
  skip["tls"]["insecureSkipVerify"] = true;
  CHECK(Is(2)(ReadUntil(*Make(http, skip), Is(2))));
}

TEST_CASE(
    "rabbitmq: a management listener with verify_peer and fail_if_no_peer_cert is read with "
    "tls.certFile/keyFile, and refuses none or another CA's",
    "[rabbitmq][tls]") {
  net::CurlHttpClient http;
  const std::string q = FreshQueue("mtls");
  Celery("send " + Broker() + " " + q + " 3");
  CHECK(Is(3)(ReadUntil(*Make(http, Block(q)), Is(3))));

  json none = Block(q);
  none["tls"].erase("certFile");
  none["tls"].erase("keyFile");
  auto refused = Make(http, none)->Read(Now());
  REQUIRE_FALSE(refused.has_value());
  INFO(refused.error().message);
  CHECK(refused.error().code != ErrorCode::kInternal);

  json rogue = Block(q);
  rogue["tls"]["certFile"] = Server().cert("rogue-client");
  rogue["tls"]["keyFile"] = Server().key("rogue-client");
  auto rogue_read = Make(http, rogue)->Read(Now());
  REQUIRE_FALSE(rogue_read.has_value());
  INFO(rogue_read.error().message);

  // The key file's content never reaches a message: errors name the field.
  json missing = Block(q);
  missing["tls"]["keyFile"] = Server().dir + "/tls/no-such.key";
  auto no_key = Make(http, missing)->Read(Now());
  REQUIRE_FALSE(no_key.has_value());
  INFO(no_key.error().message);
}

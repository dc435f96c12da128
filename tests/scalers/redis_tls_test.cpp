// Redis over TLS against real TLS-only redis-servers (fixtures/redis_tls.sh: certificates made by
// the openssl CLI in a temp dir): verification on by default with the hostname checked, a wrong
// CA, an expired server certificate, a wrong server name, a server that requires a client
// certificate (given, missing, signed by another CA), insecureSkipVerify, lists, Celery queues
// and streams over TLS, and the TLS handshake inside the read's one deadline.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>

#include "scalers/poller.h"
#include "scalers/registry.h"
#include "scalers/tls_config.h"
#include "tests/scalers/support.h"

using nlohmann::json;
using namespace ebb;
using namespace ebb::scalers;
using ebb::testing::At;
using ebb::testing::Shell;

namespace {

const ReadContext kCtx{At(1700000000), At(1700000000) + Seconds(5)};

struct TlsServers {
  ebb::testing::FixtureServers fixture{"redis_tls.sh"};
  std::string dir = fixture.dir();
  int tls_port = fixture.port("TLS_PORT");
  int expired_port = fixture.port("EXPIRED_PORT");
  int mtls_port = fixture.port("MTLS_PORT");
  std::string file(const std::string& name) const { return fixture.file(name); }
};

const TlsServers& Servers() {
  static const TlsServers s;
  return s;
}

// redis-cli over TLS with our client certificate (accepted by every fixture server).
void Cli(int port, const std::string& commands) {
  const auto& s = Servers();
  Shell("printf '" + commands + "' | redis-cli --tls --cacert " + s.file("ca.crt") + " --cert " +
        s.file("client.crt") + " --key " + s.file("client.key") + " -h 127.0.0.1 -p " +
        std::to_string(port) + " >/dev/null");
}

std::unique_ptr<Scaler> Make(RedisPool& pool, const json& block, const SecretScope& secrets = {}) {
  ScalerDeps deps{nullptr, &pool};
  deps.secrets = secrets;
  auto s = MakeScaler("Redis", block, "spec.metrics[0].redis", deps);
  if (!s) FAIL(s.error().message);
  return std::move(s).value();
}

std::string Rediss(int port, const std::string& host = "127.0.0.1") {
  return "rediss://" + host + ":" + std::to_string(port);
}

bool Has(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("redis tls: lists, celery and streams read over TLS with our CA, hostname checked",
          "[redis][tls][integration]") {
  const auto& s = Servers();
  Cli(s.tls_port,
      "DEL jobs\\nRPUSH jobs a b c\\nDEL celery\\nRPUSH celery t1 t2\\nDEL ev\\n"
      "XADD ev * k v\\nXADD ev * k w\\n");
  RedisPool pool;
  const json tls = {{"caFile", s.file("ca.crt")}};
  auto list = Make(pool, {{"address", Rediss(s.tls_port)}, {"tls", tls}, {"lists", {"jobs"}}});
  auto v = list->Read(kCtx);
  INFO((v ? "" : v.error().message));
  REQUIRE(v.has_value());
  CHECK(*v == 3.0);
  // A plain host:port with a tls: block is TLS too; "localhost" is one of the certificate's names.
  auto by_name = Make(
      pool,
      {{"address", "localhost:" + std::to_string(s.tls_port)}, {"tls", tls}, {"lists", {"jobs"}}});
  CHECK(by_name->Read(kCtx).value() == 3.0);
  auto celery = Make(
      pool, {{"address", Rediss(s.tls_port)}, {"tls", tls}, {"celery", {{"queues", {"celery"}}}}});
  CHECK(celery->Read(kCtx).value() == 2.0);
  auto stream = Make(pool, {{"address", Rediss(s.tls_port)}, {"tls", tls}, {"stream", "ev"}});
  CHECK(stream->Read(kCtx).value() == 2.0);
  // The batched poll goes over the same TLS connections.
  std::vector<Scaler*> all{list.get(), celery.get(), stream.get()};
  auto results = ReadAll(all, kCtx);
  CHECK(results[0].value() == 3.0);
  CHECK(results[1].value() == 2.0);
  CHECK(results[2].value() == 2.0);
  CHECK(list->Describe().find("rediss://127.0.0.1") != std::string::npos);
}

TEST_CASE("redis tls: a server not signed by the CA is refused, naming tls.caFile",
          "[redis][tls][integration]") {
  const auto& s = Servers();
  RedisPool pool;
  auto wrong = Make(pool, {{"address", Rediss(s.tls_port)},
                           {"tls", {{"caFile", s.file("wrong-ca.crt")}}},
                           {"lists", {"jobs"}}});
  auto r = wrong->Read(kCtx);
  REQUIRE_FALSE(r.has_value());
  INFO(r.error().message);
  CHECK(r.error().code == ErrorCode::kPermissionDenied);
  CHECK(Has(r.error().message, "TLS handshake"));
  CHECK(Has(r.error().message, "spec.metrics[0].redis.tls.caFile"));
  // Verified by default: without a caFile the system store does not know our CA either.
  auto system = Make(pool, {{"address", Rediss(s.tls_port)}, {"lists", {"jobs"}}});
  auto sys = system->Read(kCtx);
  REQUIRE_FALSE(sys.has_value());
  INFO(sys.error().message);
  CHECK(sys.error().code == ErrorCode::kPermissionDenied);
  CHECK(Has(sys.error().message, "system trust store"));
  // insecureSkipVerify (opt-in) reads anyway.
  auto insecure = Make(pool, {{"address", Rediss(s.tls_port)},
                              {"tls", {{"insecureSkipVerify", true}}},
                              {"lists", {"jobs"}}});
  auto i = insecure->Read(kCtx);
  INFO((i ? "" : i.error().message));
  CHECK(i.has_value());
}

TEST_CASE("redis tls: an expired server certificate is refused", "[redis][tls][integration]") {
  const auto& s = Servers();
  RedisPool pool;
  auto expired = Make(pool, {{"address", Rediss(s.expired_port)},
                             {"tls", {{"caFile", s.file("ca.crt")}}},
                             {"lists", {"jobs"}}});
  auto r = expired->Read(kCtx);
  REQUIRE_FALSE(r.has_value());
  INFO(r.error().message);
  CHECK(r.error().code == ErrorCode::kPermissionDenied);
  CHECK(Has(r.error().message, "certificate has expired"));
}

TEST_CASE("redis tls: a server name the certificate does not hold is refused, naming serverName",
          "[redis][tls][integration]") {
  const auto& s = Servers();
  RedisPool pool;
  auto other = Make(pool, {{"address", Rediss(s.tls_port)},
                           {"tls", {{"caFile", s.file("ca.crt")}, {"serverName", "redis.other"}}},
                           {"lists", {"jobs"}}});
  auto r = other->Read(kCtx);
  REQUIRE_FALSE(r.has_value());
  INFO(r.error().message);
  CHECK(r.error().code == ErrorCode::kPermissionDenied);
  CHECK(Has(r.error().message, "redis.other"));
  CHECK(Has(r.error().message, "spec.metrics[0].redis.tls.serverName"));
  // The name the certificate holds passes (SNI and check by name while dialing the IP).
  auto named = Make(pool, {{"address", Rediss(s.tls_port)},
                           {"tls", {{"caFile", s.file("ca.crt")}, {"serverName", "localhost"}}},
                           {"lists", {"jobs"}}});
  CHECK(named->Read(kCtx).has_value());
}

TEST_CASE("redis tls: client certificates -- given, missing, from another CA",
          "[redis][tls][integration][mtls]") {
  const auto& s = Servers();
  Cli(s.mtls_port, "DEL jobs\\nRPUSH jobs a b c d\\n");
  RedisPool pool;
  auto good = Make(pool, {{"address", Rediss(s.mtls_port)},
                          {"tls",
                           {{"caFile", s.file("ca.crt")},
                            {"certFile", s.file("client.crt")},
                            {"keyFile", s.file("client.key")}}},
                          {"lists", {"jobs"}}});
  auto g = good->Read(kCtx);
  INFO((g ? "" : g.error().message));
  REQUIRE(g.has_value());
  CHECK(*g == 4.0);

  auto missing = Make(pool, {{"address", Rediss(s.mtls_port)},
                             {"tls", {{"caFile", s.file("ca.crt")}}},
                             {"lists", {"jobs"}}});
  auto m = missing->Read(kCtx);
  REQUIRE_FALSE(m.has_value());
  INFO(m.error().message);
  CHECK(m.error().code == ErrorCode::kPermissionDenied);
  CHECK(Has(m.error().message, "requires a client certificate"));
  CHECK(Has(m.error().message, "spec.metrics[0].redis.tls.certFile"));

  auto rogue = Make(pool, {{"address", Rediss(s.mtls_port)},
                           {"tls",
                            {{"caFile", s.file("ca.crt")},
                             {"certFile", s.file("rogue-client.crt")},
                             {"keyFile", s.file("rogue-client.key")}}},
                           {"lists", {"jobs"}}});
  auto r = rogue->Read(kCtx);
  REQUIRE_FALSE(r.has_value());
  INFO(r.error().message);
  CHECK(r.error().code == ErrorCode::kPermissionDenied);
  CHECK(Has(r.error().message, "spec.metrics[0].redis.tls.certFile"));

  // A key that is not the certificate's is a config error naming keyFile, before any I/O.
  auto mismatched = Make(pool, {{"address", Rediss(s.mtls_port)},
                                {"tls",
                                 {{"caFile", s.file("ca.crt")},
                                  {"certFile", s.file("client.crt")},
                                  {"keyFile", s.file("rogue-client.key")}}},
                                {"lists", {"jobs"}}});
  auto k = mismatched->Read(kCtx);
  REQUIRE_FALSE(k.has_value());
  INFO(k.error().message);
  CHECK(k.error().code == ErrorCode::kInvalidConfig);
  CHECK(Has(k.error().message, "spec.metrics[0].redis.tls.keyFile"));
}

TEST_CASE("redis tls: TLS against a plain port, and plain against a TLS port, fail clearly",
          "[redis][tls][integration]") {
  const auto& s = Servers();
  RedisPool pool;
  auto tls_to_plain = Make(pool, {{"address", Rediss(ebb::testing::SharedServers().redis_port)},
                                  {"tls", {{"caFile", s.file("ca.crt")}}},
                                  {"lists", {"jobs"}}});
  auto r = tls_to_plain->Read(kCtx);
  REQUIRE_FALSE(r.has_value());
  INFO(r.error().message);
  CHECK(Has(r.error().message, "TLS"));
  auto plain_to_tls = Make(pool, {{"address", "127.0.0.1:" + std::to_string(s.tls_port)},
                                  {"lists", {"jobs"}},
                                  {"timeout", "300ms"}});
  auto p = plain_to_tls->Read(kCtx);
  REQUIRE_FALSE(p.has_value());
}

TEST_CASE(
    "redis tls: a server that accepts and never answers the handshake times out at the "
    "read's deadline",
    "[redis][tls][integration][deadline]") {
  ebb::testing::SilentListener silent;
  RedisPool pool;
  auto s = Make(pool, {{"address", Rediss(silent.port())},
                       {"tls", {{"insecureSkipVerify", true}}},
                       {"lists", {"jobs"}},
                       {"timeout", "400ms"}});
  const auto start = std::chrono::steady_clock::now();
  auto r = s->Read(kCtx);
  const auto took = std::chrono::steady_clock::now() - start;
  REQUIRE_FALSE(r.has_value());
  INFO(r.error().message);
  CHECK(r.error().code == ErrorCode::kTimeout);
  CHECK(Has(r.error().message, "TLS handshake"));
  CHECK(took >= std::chrono::milliseconds(390));
  CHECK(took < std::chrono::milliseconds(1500));
}

TEST_CASE("redis tls: a rotated client certificate is picked up on the next connect",
          "[redis][tls][integration][mtls]") {
  const auto& s = Servers();
  char tmpl[] = "/tmp/ebb-rot-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  const std::string dir = tmpl;
  // Starts with the rogue pair (refused), then the good pair is renamed over it.
  Shell("cp " + s.file("rogue-client.crt") + " " + dir + "/c.crt && cp " +
        s.file("rogue-client.key") + " " + dir + "/c.key");
  RedisPool pool;
  auto r = Make(
      pool,
      {{"address", Rediss(s.mtls_port)},
       {"tls",
        {{"caFile", s.file("ca.crt")}, {"certFile", dir + "/c.crt"}, {"keyFile", dir + "/c.key"}}},
       {"lists", {"jobs"}}});
  CHECK_FALSE(r->Read(kCtx).has_value());
  Shell("cp " + s.file("client.crt") + " " + dir + "/n.crt && cp " + s.file("client.key") + " " +
        dir + "/n.key && mv " + dir + "/n.crt " + dir + "/c.crt && mv " + dir + "/n.key " + dir +
        "/c.key");
  auto v = r->Read(kCtx);
  INFO((v ? "" : v.error().message));
  CHECK(v.has_value());
  Shell("rm -rf " + dir);
}

TEST_CASE("redis tls: a context of a rotated Secret is dropped once no connection holds it",
          "[redis][tls][secrets]") {
  const TlsServers& s = Servers();
  scalers::TlsClientConfig config;
  config.enabled = true;
  config.field = "spec.metrics[0].redis.tls";
  scalers::TlsMaterial before, after;
  before.ca_pem = ebb::testing::FileText(s.file("ca.crt"));
  after.ca_pem = ebb::testing::FileText(s.file("wrong-ca.crt"));
  std::weak_ptr<ssl_ctx_st> old;
  {
    auto ctx = scalers::ClientContext(config, before);
    REQUIRE(ctx);
    old = *ctx;
    auto again = scalers::ClientContext(config, before);
    REQUIRE(again);
    CHECK(again->get() == ctx->get());  // shared while the contents stay the same
  }
  CHECK_FALSE(old.expired());  // kept for the next connect
  SECTION("rotated with no connection holding the old one: the old context is freed") {
    auto rotated = scalers::ClientContext(config, after);
    REQUIRE(rotated);
    CHECK(old.expired());
  }
  SECTION("a context a connection still holds stays") {
    const auto held = old.lock();
    auto rotated = scalers::ClientContext(config, after);
    REQUIRE(rotated);
    CHECK_FALSE(old.expired());
    auto same = scalers::ClientContext(config, before);
    REQUIRE(same);
    CHECK(same->get() == held.get());
  }
}

TEST_CASE("redis tls: CA, client certificate, key and ACL user from Secrets of the namespace",
          "[redis][tls][integration][mtls][secrets]") {
  const auto& s = Servers();
  Cli(s.mtls_port, "DEL jobs\\nRPUSH jobs a b\\nACL SETUSER tls-reader on >tls-pw ~* +@all\\n");
  ebb::testing::MapSecrets secrets;
  for (const std::string ns : {"team-a", "team-b"}) {
    secrets.Set(ns, "redis-tls", "ca.crt", ebb::testing::FileText(s.file("ca.crt")));
    secrets.Set(ns, "redis-tls", "user", "tls-reader");
    secrets.Set(ns, "redis-tls", "password", "tls-pw");
  }
  secrets.Set("team-a", "redis-tls", "tls.crt", ebb::testing::FileText(s.file("client.crt")));
  secrets.Set("team-a", "redis-tls", "tls.key", ebb::testing::FileText(s.file("client.key")));
  // team-b's Secret of the same name holds a certificate of another CA.
  secrets.Set("team-b", "redis-tls", "tls.crt", ebb::testing::FileText(s.file("rogue-client.crt")));
  secrets.Set("team-b", "redis-tls", "tls.key", ebb::testing::FileText(s.file("rogue-client.key")));
  const json block = {{"address", Rediss(s.mtls_port)},
                      {"authenticationRef",
                       {{"name", "redis-tls"},
                        {"keys",
                         {{"tls.ca", "ca.crt"},
                          {"tls.cert", "tls.crt"},
                          {"tls.key", "tls.key"},
                          {"username", "user"},
                          {"password", "password"}}}}},
                      {"lists", {"jobs"}}};
  RedisPool pool;
  auto a = Make(pool, block, {&secrets, "team-a"});
  auto v = a->Read(kCtx);
  INFO((v ? "" : v.error().message));
  REQUIRE(v.has_value());
  CHECK(*v == 2.0);
  CHECK_FALSE(Has(a->Describe(), "tls-reader"));  // a name from a Secret is not shown

  // Same references in another namespace: another connection, with that namespace's Secret.
  auto b = Make(pool, block, {&secrets, "team-b"});
  auto rb = b->Read(kCtx);
  REQUIRE_FALSE(rb.has_value());
  INFO(rb.error().message);
  CHECK(rb.error().code == ErrorCode::kPermissionDenied);

  // The same with one ...SecretKeyRef per file; a wrong ACL password from the Secret is refused.
  secrets.Set("team-a", "other", "password", "not-tls-pw");
  json refs = {{"address", Rediss(s.mtls_port)},
               {"usernameSecretKeyRef", {{"name", "redis-tls"}, {"key", "user"}}},
               {"passwordSecretKeyRef", {{"name", "other"}, {"key", "password"}}},
               {"tls",
                {{"caSecretKeyRef", {{"name", "redis-tls"}, {"key", "ca.crt"}}},
                 {"certSecretKeyRef", {{"name", "redis-tls"}, {"key", "tls.crt"}}},
                 {"keySecretKeyRef", {{"name", "redis-tls"}, {"key", "tls.key"}}}}},
               {"lists", {"jobs"}}};
  auto wrong_pw = Make(pool, refs, {&secrets, "team-a"});
  auto w = wrong_pw->Read(kCtx);
  REQUIRE_FALSE(w.has_value());
  INFO(w.error().message);
  CHECK(w.error().code == ErrorCode::kPermissionDenied);
  CHECK_FALSE(Has(w.error().message, "not-tls-pw"));
  refs["passwordSecretKeyRef"]["name"] = "redis-tls";
  auto good = Make(pool, refs, {&secrets, "team-a"});
  auto g = good->Read(kCtx);
  INFO((g ? "" : g.error().message));
  REQUIRE(g.has_value());
  CHECK(*g == 2.0);

  // A Secret whose key is not a PEM: a config error naming the field and the Secret, not its text.
  secrets.Set("team-a", "broken", "tls.crt", "not a certificate");
  json broken = refs;
  broken["tls"]["certSecretKeyRef"]["name"] = "broken";
  auto bad = Make(pool, broken, {&secrets, "team-a"});
  auto e = bad->Read(kCtx);
  REQUIRE_FALSE(e.has_value());
  INFO(e.error().message);
  CHECK(e.error().code == ErrorCode::kInvalidConfig);
  CHECK(Has(e.error().message, "spec.metrics[0].redis.tls.certSecretKeyRef"));
  CHECK(Has(e.error().message, "Secret broken key tls.crt"));
  CHECK_FALSE(Has(e.error().message, "not a certificate"));
  // A Secret that is missing names the Secret and the key.
  json missing = refs;
  missing["tls"]["caSecretKeyRef"]["key"] = "nope";
  auto m = Make(pool, missing, {&secrets, "team-a"})->Read(kCtx);
  REQUIRE_FALSE(m.has_value());
  CHECK(Has(m.error().message, "Secret team-a/redis-tls key nope"));
}

TEST_CASE("redis tls config: schemes, the tls block and its problems with field paths",
          "[config][tls]") {
  auto parse = [](const json& block, std::string* problems) {
    std::vector<std::string> p;
    ConfigReader r(block, "spec.metrics[0].redis", &p);
    RedisEndpoint ep;
    Duration timeout{};
    ParseRedisConnection(r, &ep, &timeout);
    for (const auto& s : p) *problems += s + "\n";
    return ep;
  };
  std::string none;
  auto plain = parse({{"address", "redis://r:6379"}}, &none);
  CHECK_FALSE(plain.tls->enabled);
  auto tls = parse({{"address", "rediss://r:6380"}}, &none);
  CHECK(tls.tls->enabled);
  CHECK_FALSE(tls.tls->insecure_skip_verify);  // verified by default
  CHECK(tls.host == "r");
  CHECK(tls.port == 6380);
  auto block = parse({{"address", "r:6380"}, {"tls", json::object()}}, &none);
  CHECK(block.tls->enabled);
  CHECK(none.empty());
  CHECK(tls.Key() != plain.Key());  // never one pooled connection for both

  std::string p;
  parse({{"address", "redis://r:6379"},
         {"tls",
          {{"certFile", "/c.crt"}, {"insecureSkipVerify", true}, {"caFile", "/ca"}, {"sni", "x"}}}},
        &p);
  INFO(p);
  CHECK(Has(p, "spec.metrics[0].redis.tls: the address says redis://"));
  CHECK(Has(p, "spec.metrics[0].redis.tls.keyFile: set both certFile and keyFile"));
  CHECK(Has(p, "spec.metrics[0].redis.tls.insecureSkipVerify"));
  CHECK(Has(p, "spec.metrics[0].redis.tls.sni: unknown field"));
  // TLS files from a Secret need a TLS connection; a PEM from the environment is not offered.
  std::string a;
  parse({{"address", "redis://r:6379"},
         {"authenticationRef", {{"name", "s"}, {"keys", {{"tls.ca", "ca.crt"}}}}}},
        &a);
  CHECK(Has(a, "spec.metrics[0].redis.authenticationRef: gives TLS files"));
  std::string e;
  auto from_env = parse({{"address", "rediss://r:6380"}, {"tls", {{"caFromEnv", "CA"}}}}, &e);
  CHECK(Has(e, "spec.metrics[0].redis.tls.caFromEnv"));
  std::string both;
  parse({{"address", "r:6380"},
         {"username", "u"},
         {"usernameSecretKeyRef", {{"name", "s"}, {"key", "user"}}}},
        &both);
  CHECK(Has(both, "spec.metrics[0].redis.username: set only one of"));
  // The Secret references, not the contents, are the pooled connection's identity.
  std::string none2;
  auto by_secret = parse({{"address", "rediss://r:6380"},
                          {"tls", {{"caSecretKeyRef", {{"name", "ca"}, {"key", "ca.crt"}}}}}},
                         &none2);
  CHECK(none2.empty());
  CHECK(by_secret.tls->sources.ca.from_secret());
  CHECK(by_secret.Key() != tls.Key());
  std::string q;
  parse({{"address", "rediss://user:pw@r:6380/2"}}, &q);
  CHECK(Has(q, "spec.metrics[0].redis.address: must be"));
  CHECK_FALSE(Has(q, "pw@"));
}

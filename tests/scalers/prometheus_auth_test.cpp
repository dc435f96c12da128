// Prometheus auth and TLS against real servers (fixtures/prometheus_auth.sh): Debian's prometheus
// behind its own --web.config.file (TLS, a required client certificate, basic auth with a bcrypt
// hash), and a gateway (fixtures/header_proxy.py) that wants a bearer token and X-Scope-OrgID in
// front of the plain one. Secrets never show in errors or Describe().
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <map>

#include "controller/net/curl_http_client.h"
#include "scalers/prometheus_scaler.h"
#include "scalers/registry.h"
#include "tests/scalers/support.h"

using nlohmann::json;
using namespace ebb;
using namespace ebb::scalers;
using ebb::testing::At;
using ebb::testing::Shell;

namespace {

const ReadContext kCtx{At(1700000000), At(1700000000) + Seconds(5)};

struct AuthServers {
  // In front of the shared Prometheus: its own TLS + basic auth, and a header-checking proxy.
  ebb::testing::FixtureServers fixture{"prometheus_auth.sh",
                                       std::to_string(ebb::testing::SharedServers().prom_port)};
  std::string dir = fixture.dir();
  int prom_port = fixture.port("PROM_AUTH_PORT");
  int proxy_port = fixture.port("PROXY_PORT");
  std::string file(const std::string& name) const { return fixture.file(name); }
  std::string https() const { return "https://127.0.0.1:" + std::to_string(prom_port); }
  std::string proxy() const { return "http://127.0.0.1:" + std::to_string(proxy_port); }
};

const AuthServers& Servers() {
  static const AuthServers s;
  return s;
}

std::unique_ptr<Scaler> Make(net::HttpClient& http, const json& block,
                             const SecretScope& secrets = {}) {
  ScalerDeps deps{&http, nullptr};
  deps.secrets = secrets;
  auto s = MakeScaler("Prometheus", block, "spec.metrics[0].prometheus", deps);
  if (!s) FAIL(s.error().message);
  return std::move(s).value();
}

bool Has(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

json ClientTls(const AuthServers& s, const std::string& prefix = "") {
  return {{"caFile", s.file("ca.crt")},
          {"certFile", s.file(prefix + "client.crt")},
          {"keyFile", s.file(prefix + "client.key")}};
}

}  // namespace

TEST_CASE("prometheus auth: web.config TLS + client certificate + basic auth",
          "[prometheus][auth][tls][integration]") {
  const auto& s = Servers();
  ::setenv("EBB_TEST_PROM_AUTH_PW", "prom-secret", 1);
  ::setenv("EBB_TEST_PROM_AUTH_BAD", "not-the-secret", 1);
  net::CurlHttpClient http;
  const json auth = {{"username", "ebb"}, {"passwordFromEnv", "EBB_TEST_PROM_AUTH_PW"}};
  auto good = Make(http, {{"serverAddress", s.https()},
                          {"query", "vector(42)"},
                          {"auth", auth},
                          {"tls", ClientTls(s)}});
  auto v = good->Read(kCtx);
  INFO((v ? "" : v.error().message));
  REQUIRE(v.has_value());
  CHECK(*v == 42.0);

  // The password from a file (a mounted Secret) works the same way.
  Shell("printf 'prom-secret\\n' > " + s.file("pw"));
  auto from_file = Make(http, {{"serverAddress", s.https()},
                               {"query", "vector(5)"},
                               {"auth", {{"username", "ebb"}, {"passwordFile", s.file("pw")}}},
                               {"tls", ClientTls(s)}});
  CHECK(from_file->Read(kCtx).value() == 5.0);

  auto wrong_pw =
      Make(http, {{"serverAddress", s.https()},
                  {"query", "vector(42)"},
                  {"auth", {{"username", "ebb"}, {"passwordFromEnv", "EBB_TEST_PROM_AUTH_BAD"}}},
                  {"tls", ClientTls(s)}});
  auto w = wrong_pw->Read(kCtx);
  REQUIRE_FALSE(w.has_value());
  INFO(w.error().message);
  CHECK(w.error().code == ErrorCode::kPermissionDenied);
  CHECK_FALSE(Has(w.error().message, "not-the-secret"));
  CHECK_FALSE(Has(w.error().message, "prom-secret"));

  auto no_cert = Make(http, {{"serverAddress", s.https()},
                             {"query", "vector(42)"},
                             {"auth", auth},
                             {"tls", {{"caFile", s.file("ca.crt")}}}});
  auto n = no_cert->Read(kCtx);
  REQUIRE_FALSE(n.has_value());
  INFO(n.error().message);
  // Go's TLS stack may drop the connection without an alert libcurl reports (then curl says
  // only "getpeername() failed"), so the field is named only when an alert arrives.
  CHECK_FALSE(Has(n.error().message, "prom-secret"));

  auto rogue = Make(http, {{"serverAddress", s.https()},
                           {"query", "vector(42)"},
                           {"auth", auth},
                           {"tls", ClientTls(s, "rogue-")}});
  auto r = rogue->Read(kCtx);
  REQUIRE_FALSE(r.has_value());
  INFO(r.error().message);
  // Named when the refusal's alert reaches curl before the reset (see above).
  CHECK((Has(r.error().message, "tls.certFile") || Has(r.error().message, "reset")));

  auto wrong_ca = Make(http, {{"serverAddress", s.https()},
                              {"query", "vector(42)"},
                              {"auth", auth},
                              {"tls",
                               {{"caFile", s.file("wrong-ca.crt")},
                                {"certFile", s.file("client.crt")},
                                {"keyFile", s.file("client.key")}}}});
  auto c = wrong_ca->Read(kCtx);
  REQUIRE_FALSE(c.has_value());
  INFO(c.error().message);
  CHECK(c.error().code == ErrorCode::kPermissionDenied);
  CHECK(Has(c.error().message, "tls.caFile"));

  // insecureSkipVerify skips checking the server, not the server checking us.
  auto insecure = Make(http, {{"serverAddress", s.https()},
                              {"query", "vector(3)"},
                              {"auth", auth},
                              {"tls",
                               {{"insecureSkipVerify", true},
                                {"certFile", s.file("client.crt")},
                                {"keyFile", s.file("client.key")}}}});
  auto i = insecure->Read(kCtx);
  INFO((i ? "" : i.error().message));
  CHECK(i.has_value());
}

TEST_CASE("prometheus auth: CA, client certificate, key and basic-auth user from Secrets",
          "[prometheus][auth][tls][integration][secrets]") {
  const auto& s = Servers();
  ebb::testing::MapSecrets secrets;
  secrets.Set("obs", "prom", "ca.crt", ebb::testing::FileText(s.file("ca.crt")));
  secrets.Set("obs", "prom", "tls.crt", ebb::testing::FileText(s.file("client.crt")));
  secrets.Set("obs", "prom", "tls.key", ebb::testing::FileText(s.file("client.key")));
  secrets.Set("obs", "prom", "user", "ebb");
  secrets.Set("obs", "prom", "password", "prom-secret");
  net::CurlHttpClient http;
  const json block = {{"serverAddress", s.https()},
                      {"query", "vector(7)"},
                      {"authenticationRef",
                       {{"name", "prom"},
                        {"keys",
                         {{"tls.ca", "ca.crt"},
                          {"tls.cert", "tls.crt"},
                          {"tls.key", "tls.key"},
                          {"auth.username", "user"},
                          {"auth.password", "password"}}}}}};
  auto p = Make(http, block, {&secrets, "obs"});
  auto v = p->Read(kCtx);
  INFO((v ? "" : v.error().message));
  REQUIRE(v.has_value());
  CHECK(*v == 7.0);

  // The same through one ...SecretKeyRef per field; a wrong user from the Secret is refused.
  secrets.Set("obs", "prom", "other-user", "intruder");
  json refs = {{"serverAddress", s.https()},
               {"query", "vector(8)"},
               {"auth",
                {{"usernameSecretKeyRef", {{"name", "prom"}, {"key", "other-user"}}},
                 {"passwordSecretKeyRef", {{"name", "prom"}, {"key", "password"}}}}},
               {"tls",
                {{"caSecretKeyRef", {{"name", "prom"}, {"key", "ca.crt"}}},
                 {"certSecretKeyRef", {{"name", "prom"}, {"key", "tls.crt"}}},
                 {"keySecretKeyRef", {{"name", "prom"}, {"key", "tls.key"}}}}}};
  auto w = Make(http, refs, {&secrets, "obs"})->Read(kCtx);
  REQUIRE_FALSE(w.has_value());
  CHECK(w.error().code == ErrorCode::kPermissionDenied);
  refs["auth"]["usernameSecretKeyRef"]["key"] = "user";
  auto g = Make(http, refs, {&secrets, "obs"})->Read(kCtx);
  INFO((g ? "" : g.error().message));
  REQUIRE(g.has_value());
  CHECK(*g == 8.0);

  // A CA Secret of the wrong CA: the server is not trusted, and the field is named.
  secrets.Set("obs", "wrong", "ca.crt", ebb::testing::FileText(s.file("wrong-ca.crt")));
  json wrong_ca = refs;
  wrong_ca["tls"]["caSecretKeyRef"]["name"] = "wrong";
  auto c = Make(http, wrong_ca, {&secrets, "obs"})->Read(kCtx);
  REQUIRE_FALSE(c.has_value());
  INFO(c.error().message);
  CHECK(c.error().code == ErrorCode::kPermissionDenied);
  CHECK(Has(c.error().message, "tls.caSecretKeyRef"));
  CHECK_FALSE(Has(c.error().message, "BEGIN CERTIFICATE"));
  // A missing key names the Secret and the key; an http:// address refuses the TLS keys.
  json missing = refs;
  missing["tls"]["keySecretKeyRef"]["key"] = "nope";
  auto m = Make(http, missing, {&secrets, "obs"})->Read(kCtx);
  REQUIRE_FALSE(m.has_value());
  CHECK(Has(m.error().message, "Secret obs/prom key nope"));
  json plain = block;
  plain["serverAddress"] = "http://127.0.0.1:9";
  auto parsed = ParsePrometheusConfig(plain, "spec.metrics[0].prometheus");
  REQUIRE_FALSE(parsed.has_value());
  CHECK(Has(parsed.error().message, "authenticationRef: gives TLS files"));
}

TEST_CASE("prometheus auth: a gateway wanting a bearer token and a tenant header",
          "[prometheus][auth][integration]") {
  const auto& s = Servers();
  net::CurlHttpClient http;
  Shell("printf 'tenant-token-1\\n' > " + s.file("token"));
  Shell("printf 'tenant-token-1\\n' > " + s.file("sa-token"));
  auto by_file = Make(http, {{"serverAddress", s.proxy()},
                             {"query", "vector(7)"},
                             {"namespace", "tenant-a"},
                             {"auth", {{"bearerTokenFile", s.file("sa-token")}}}});
  auto v = by_file->Read(kCtx);
  INFO((v ? "" : v.error().message));
  REQUIRE(v.has_value());
  CHECK(*v == 7.0);

  // Rotation (a projected service-account token is rewritten in place): both sides move to a new
  // token; the next read sends the new one (the old one is now refused).
  Shell("printf 'tenant-token-2\\n' > " + s.file("token"));
  CHECK_FALSE(by_file->Read(kCtx).has_value());
  Shell("printf 'tenant-token-2\\n' > " + s.file("sa-token.new") + " && mv " +
        s.file("sa-token.new") + " " + s.file("sa-token"));
  auto rotated = by_file->Read(kCtx);
  INFO((rotated ? "" : rotated.error().message));
  CHECK(rotated.has_value());

  ::setenv("EBB_TEST_PROM_TOKEN", "tenant-token-2", 1);
  // The tenant as a custom header (X-Scope-OrgID by hand) and the token from the env.
  auto by_env = Make(http, {{"serverAddress", s.proxy()},
                            {"query", "vector(8)"},
                            {"customHeaders", {{"X-Scope-OrgID", "tenant-a"}}},
                            {"auth", {{"bearerTokenFromEnv", "EBB_TEST_PROM_TOKEN"}}},
                            {"method", "POST"}});
  auto e = by_env->Read(kCtx);
  INFO((e ? "" : e.error().message));
  CHECK(e.has_value());

  auto wrong_tenant = Make(http, {{"serverAddress", s.proxy()},
                                  {"query", "vector(8)"},
                                  {"namespace", "tenant-b"},
                                  {"auth", {{"bearerTokenFromEnv", "EBB_TEST_PROM_TOKEN"}}}});
  auto t = wrong_tenant->Read(kCtx);
  REQUIRE_FALSE(t.has_value());
  INFO(t.error().message);
  CHECK(t.error().code == ErrorCode::kPermissionDenied);
  CHECK(Has(t.error().message, "X-Scope-OrgID"));

  ::setenv("EBB_TEST_PROM_TOKEN", "tenant-token-1", 1);
  auto stale = Make(http, {{"serverAddress", s.proxy()},
                           {"query", "vector(8)"},
                           {"namespace", "tenant-a"},
                           {"auth", {{"bearerTokenFromEnv", "EBB_TEST_PROM_TOKEN"}}}});
  auto st = stale->Read(kCtx);
  REQUIRE_FALSE(st.has_value());
  CHECK(st.error().code == ErrorCode::kPermissionDenied);
  for (const std::string& m : {st.error().message, t.error().message, stale->Describe()}) {
    CHECK_FALSE(Has(m, "tenant-token"));
  }
}

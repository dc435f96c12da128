// kube::SecretCache against the real API server, as the controller's service account: a Secret's
// key read, cached for its ttl (one GET however many reads), a rotation followed after the ttl,
// and every failure naming what is wrong without the value: no Secret, no key, no RBAC.
#include "controller/kube/secret_cache.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "controller/kube/kube_config.h"
#include "tests/kube/kube_support.h"

using namespace ebb;
using namespace ebb::testing;

namespace {

kube::KubeConfig SaConfig() {
  auto c = kube::ResolveKubeConfig(TheCluster().sa_kubeconfig(), "");
  REQUIRE(c);
  return *c;
}

void PutSecret(const std::string& ns, const std::string& name, const std::string& key,
               const std::string& value) {
  ApplyYaml("apiVersion: v1\nkind: Secret\nmetadata: {name: " + name +
                "}\ntype: Opaque\nstringData: {" + key + ": \"" + value + "\"}\n",
            ns);
}

}  // namespace

TEST_CASE("SecretCache reads a key of a Secret, once per ttl, and follows a rotation",
          "[kube][secrets]") {
  const std::string ns = NewNamespace("secret-cache");
  ApplySecretsReaderRbac(ns);
  PutSecret(ns, "redis-auth", "password", "first-Value");
  kube::KubeClient client(SaConfig());
  kube::SecretCache cache(client, Duration(1500));
  // RBAC reaches the authorizer a moment after the write.
  REQUIRE(WaitFor(
      [&] {
        kube::SecretCache fresh(client, Duration(1));
        return fresh.Read(ns, "redis-auth", "password").has_value();
      },
      Seconds(15)));
  auto v = cache.Read(ns, "redis-auth", "password");
  REQUIRE(v);
  CHECK(*v == "first-Value");
  for (int i = 0; i < 20; ++i)
    CHECK(cache.Read(ns, "redis-auth", "password").value() == "first-Value");
  CHECK(cache.fetches() == 1);  // 21 reads, one GET

  PutSecret(ns, "redis-auth", "password", "second-Value");
  CHECK(cache.Read(ns, "redis-auth", "password").value() == "first-Value");  // within the ttl
  std::this_thread::sleep_for(std::chrono::milliseconds(1600));
  CHECK(cache.Read(ns, "redis-auth", "password").value() == "second-Value");
  CHECK(cache.fetches() == 2);
}

TEST_CASE("SecretCache failures name the cause, never a value: no Secret, no key, forbidden",
          "[kube][secrets]") {
  const std::string ns = NewNamespace("secret-errors");
  const std::string other = NewNamespace("secret-norbac");
  ApplySecretsReaderRbac(ns);
  PutSecret(ns, "present", "password", "hunter2-value");
  PutSecret(other, "present", "password", "hunter2-value");
  kube::KubeClient client(SaConfig());
  REQUIRE(WaitFor(
      [&] {
        kube::SecretCache fresh(client, Duration(1));
        return fresh.Read(ns, "present", "password").has_value();
      },
      Seconds(15)));
  kube::SecretCache cache(client, Duration(1));

  auto missing = cache.Read(ns, "absent", "password");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == ErrorCode::kNotFound);
  CHECK(missing.error().message == "the Secret does not exist");

  auto no_key = cache.Read(ns, "present", "passwd");
  REQUIRE_FALSE(no_key);
  CHECK(no_key.error().code == ErrorCode::kNotFound);
  CHECK(no_key.error().message == "the Secret has no such key");

  // The Role is in `ns` only: the same Secret one namespace over is forbidden.
  auto forbidden = cache.Read(other, "present", "password");
  REQUIRE_FALSE(forbidden);
  CHECK(forbidden.error().code == ErrorCode::kPermissionDenied);
  INFO(forbidden.error().message);
  CHECK(forbidden.error().message.find("get on secrets in namespace " + other) !=
        std::string::npos);
  CHECK(forbidden.error().message.find("manifests/components/secrets-reader") != std::string::npos);
  for (const auto* e : {&missing, &no_key, &forbidden}) {
    CHECK(e->error().message.find("hunter2") == std::string::npos);
  }
}

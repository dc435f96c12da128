// KEDA credentials -> the Autoscaler's credential fields. KEDA reads Secrets (through a
// TriggerAuthentication) or the target container's env. A TriggerAuthentication's Secret key
// (secretTargetRef) becomes a *SecretKeyRef field: the Secret is in the Autoscaler's namespace and
// the controller reads it there (with components/secrets-reader); the warning also gives the env
// route for installs without that RBAC. A ClusterTriggerAuthentication's Secret (in KEDA's
// namespace) and the target's env become a *FromEnv field naming an env var of the controller.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "controller/convert/common.h"

namespace ebb::convert {

// Where a TriggerAuthentication takes one trigger parameter from.
struct AuthSource {
  enum class Kind { kSecret, kTargetEnv, kUnsupported };
  Kind kind = Kind::kUnsupported;
  std::string secret, key;  // kSecret
  std::string env;          // kTargetEnv: an env var of the target's container
  std::string what;         // kUnsupported: "HashiCorp Vault", "pod identity", ...
};

// Parameter -> source; the key "*" holds a provider that serves every parameter (Vault, ...).
std::map<std::string, AuthSource> AuthParameters(const nlohmann::json& trigger_auth);

// SECRET_KEY in upper case, every other character '_': the controller's env var for a Secret key.
std::string EnvName(const std::string& s);

// How one trigger parameter maps onto the converted metric's block.
struct Credential {
  std::string param;  // KEDA's parameter name ("password")
  std::string
      env_field;  // the block's *FromEnv field ("passwordFromEnv", "auth.bearerTokenFromEnv")
                  // or "" when ebb cannot take it from the environment
  std::string otherwise;  // what to do instead when it is not carried ("set redis.address")
  // A field only a Secret of the Autoscaler's namespace can fill (a TLS file: no env form),
  // e.g. "tls.caSecretKeyRef"; used when env_field is "" and the source is such a Secret.
  std::string secret_field = "";
};

// Carries `trigger`'s authenticationRef (looked up in `auths`, the TriggerAuthentications next
// to the ScaledObject `ns`) into `block`; warns for every parameter it sets (the env var to give
// the controller) and every one it cannot carry.
void CarryAuth(Converter& c, const nlohmann::json& trigger, const std::string& ns,
               const std::vector<nlohmann::json>& auths, const std::string& at,
               const std::vector<Credential>& fields, nlohmann::ordered_json& block);

// "auth.passwordFromEnv" -> "auth.passwordSecretKeyRef".
std::string SecretKeyRefField(const std::string& env_field);

// Sets a dotted field ("auth.passwordFromEnv") of `block`.
void SetPath(nlohmann::ordered_json& block, const std::string& dotted,
             const nlohmann::ordered_json& value);

}  // namespace ebb::convert

#include "controller/convert/keda_auth.h"

#include <cctype>

namespace ebb::convert {

using nlohmann::json;
using nlohmann::ordered_json;

std::string EnvName(const std::string& s) {
  std::string out;
  for (char ch : s) {
    const auto u = static_cast<unsigned char>(ch);
    out += std::isalnum(u) ? static_cast<char>(std::toupper(u)) : '_';
  }
  return out;
}

std::map<std::string, AuthSource> AuthParameters(const json& ta) {
  std::map<std::string, AuthSource> out;
  const json spec = ta.is_object() ? ta.value("spec", json::object()) : json::object();
  if (!spec.is_object()) return out;
  const json secrets = spec.value("secretTargetRef", json::array());
  for (const auto& s : secrets.is_array() ? secrets : json::array()) {
    AuthSource src;
    src.kind = AuthSource::Kind::kSecret;
    src.secret = StringField(s, "name");
    src.key = StringField(s, "key");
    out[StringField(s, "parameter")] = src;
  }
  const json envs = spec.value("env", json::array());
  for (const auto& e : envs.is_array() ? envs : json::array()) {
    AuthSource src;
    src.kind = AuthSource::Kind::kTargetEnv;
    src.env = StringField(e, "name");
    out[StringField(e, "parameter")] = src;
  }
  for (const char* provider : {"hashiCorpVault", "azureKeyVault", "awsSecretManager",
                               "gcpSecretManager", "configMapTargetRef", "podIdentity"}) {
    if (spec.contains(provider)) out["*"] = {AuthSource::Kind::kUnsupported, "", "", "", provider};
  }
  return out;
}

std::string SecretKeyRefField(const std::string& env_field) {
  const std::string suffix = "FromEnv";
  if (env_field.size() < suffix.size() ||
      env_field.compare(env_field.size() - suffix.size(), suffix.size(), suffix) != 0) {
    return env_field + "SecretKeyRef";
  }
  return env_field.substr(0, env_field.size() - suffix.size()) + "SecretKeyRef";
}

void SetPath(ordered_json& block, const std::string& dotted, const ordered_json& value) {
  ordered_json* at = &block;
  size_t start = 0;
  for (size_t dot = dotted.find('.'); dot != std::string::npos; dot = dotted.find('.', start)) {
    at = &(*at)[dotted.substr(start, dot - start)];
    start = dot + 1;
  }
  (*at)[dotted.substr(start)] = value;
}

void CarryAuth(Converter& c, const json& t, const std::string& ns, const std::vector<json>& auths,
               const std::string& at, const std::vector<Credential>& fields, ordered_json& block) {
  if (!t.contains("authenticationRef")) return;
  const json ref = t["authenticationRef"];
  const std::string name = StringField(ref, "name");
  std::string kind = StringField(ref, "kind");
  if (kind.empty()) kind = "TriggerAuthentication";
  const std::string what = at + ": authenticationRef " + kind + "/" + name;
  const json* found = nullptr;
  for (const json& a : auths) {
    const json md = a.is_object() ? a.value("metadata", json::object()) : json::object();
    // A TriggerAuthentication serves its own namespace; a ClusterTriggerAuthentication all.
    const std::string a_ns = StringField(md, "namespace");
    if (StringField(a, "kind") == kind && StringField(md, "name") == name &&
        (kind != "TriggerAuthentication" || a_ns.empty() || ns.empty() || a_ns == ns)) {
      found = &a;
    }
  }
  if (found == nullptr) {
    std::string mapping;
    for (const auto& f : fields) {
      mapping += (mapping.empty() ? "" : "; ") + f.param + " -> " +
                 (f.env_field.empty() ? f.otherwise : f.env_field);
    }
    c.Warn(what +
           " is not in the input, so its credentials are not carried over: convert it "
           "together with the ScaledObject (-f both files), or set the fields yourself (" +
           mapping + ")");
    return;
  }
  auto given = AuthParameters(*found);
  if (auto all = given.find("*"); all != given.end()) {
    c.Warn(what + " uses " + all->second.what +
           ", which ebb does not read; give the ebb controller the secrets as env vars or files "
           "and set the metric's *FromEnv/*File fields");
    given.erase(all);
  }
  for (const auto& [param, src] : given) {
    const Credential* field = nullptr;
    for (const auto& f : fields)
      if (f.param == param) field = &f;
    const std::string from = src.kind == AuthSource::Kind::kSecret
                                 ? "Secret " + src.secret + " key " + src.key
                                 : "the target container's env var " + src.env;
    if (field == nullptr) {
      c.Warn(what + ": parameter \"" + param + "\" (" + from +
             ") has no ebb equivalent; not carried over");
      continue;
    }
    const bool own_secret =
        src.kind == AuthSource::Kind::kSecret && kind == "TriggerAuthentication";
    if (field->env_field.empty() && !(own_secret && !field->secret_field.empty())) {
      c.Warn(what + ": parameter \"" + param + "\" (" + from +
             ") is not carried over: " + field->otherwise);
      continue;
    }
    if (field->env_field.empty()) {
      ordered_json secret_ref = ordered_json::object();
      secret_ref["name"] = src.secret;
      secret_ref["key"] = src.key;
      SetPath(block, field->secret_field, secret_ref);
      c.Warn(what + ": parameter \"" + param + "\" (" + from + ") is now " + field->secret_field +
             ": {name: " + src.secret + ", key: " + src.key +
             "}, read by the controller in the Autoscaler's namespace: it needs get on Secrets "
             "there (manifests/components/secrets-reader)");
      continue;
    }
    if (own_secret) {
      // The Secret is in the ScaledObject's namespace, where the Autoscaler goes: the controller
      // reads it there, as KEDA did (no copy, no controller restart on rotation).
      const std::string ref_field = SecretKeyRefField(field->env_field);
      ordered_json secret_ref = ordered_json::object();
      secret_ref["name"] = src.secret;
      secret_ref["key"] = src.key;
      SetPath(block, ref_field, secret_ref);
      const std::string env = EnvName(src.secret + "_" + src.key);
      c.Warn(what + ": parameter \"" + param + "\" (" + from + ") is now " + ref_field +
             ": {name: " + src.secret + ", key: " + src.key +
             "}, read by the controller in the Autoscaler's namespace: it needs get on Secrets "
             "there (manifests/components/secrets-reader). Without that RBAC, set " +
             field->env_field + ": " + env +
             " instead and give the controller's container env: [{name: " + env +
             ", valueFrom: {secretKeyRef: {name: " + src.secret + ", key: " + src.key +
             "}}}] with the Secret copied into the controller's namespace");
    } else if (src.kind == AuthSource::Kind::kSecret) {
      // A ClusterTriggerAuthentication's Secret lives in KEDA's namespace, which an Autoscaler's
      // reference (its own namespace only) cannot name: the env route.
      const std::string env = EnvName(src.secret + "_" + src.key);
      SetPath(block, field->env_field, env);
      c.Warn(what + ": parameter \"" + param + "\" (" + from + ") is now " + field->env_field +
             ": " + env +
             ", an env var of the ebb controller. Add it to the controller's "
             "container (env: [{name: " +
             env + ", valueFrom: {secretKeyRef: {name: " + src.secret + ", key: " + src.key +
             "}}}]) with the Secret copied into the "
             "controller's namespace");
    } else {
      SetPath(block, field->env_field, src.env);
      c.Warn(what + ": parameter \"" + param + "\" (" + from + ") is now " + field->env_field +
             ": " + src.env +
             ", an env var of the ebb controller (KEDA read the target "
             "container's); add it to the controller's Deployment");
    }
  }
}

}  // namespace ebb::convert

#include "controller/kube/kube_config.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "controller/api/documents.h"
#include "controller/base/text.h"

namespace ebb::kube {
namespace {

namespace fs = std::filesystem;

Result<std::string> ReadFile(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return MakeError(ErrorCode::kNotFound, what + ": cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string Str(const YAML::Node& n, const char* key) {
  return n && n[key] && n[key].IsScalar() ? n[key].as<std::string>() : std::string();
}

YAML::Node FindNamed(const YAML::Node& list, const std::string& name) {
  if (!list || !list.IsSequence()) return YAML::Node();
  for (const auto& item : list) {
    if (item.IsMap() && Str(item, "name") == name) return item;
  }
  return YAML::Node();
}

}  // namespace

Result<std::string> DecodeBase64(const std::string& text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    if (c == '=' || c == '\n' || c == '\r' || c == ' ') continue;
    const int v = value(c);
    if (v < 0) return MakeError(ErrorCode::kParse, "invalid base64 character");
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFFu));
    }
  }
  return out;
}

namespace {

Result<KubeConfig> FromYaml(const YAML::Node& root, const std::string& path,
                            const std::string& context) {
  const std::string where = "kubeconfig " + path;
  std::string ctx_name = context.empty() ? Str(root, "current-context") : context;
  if (ctx_name.empty())
    return MakeError(ErrorCode::kInvalidConfig, where + ": current-context: not set");
  YAML::Node ctx = FindNamed(root["contexts"], ctx_name)["context"];
  if (!ctx)
    return MakeError(ErrorCode::kInvalidConfig,
                     where + ": contexts: no context named \"" + ctx_name + "\"");
  const std::string cluster_name = Str(ctx, "cluster");
  const std::string user_name = Str(ctx, "user");
  YAML::Node cluster = FindNamed(root["clusters"], cluster_name)["cluster"];
  if (!cluster)
    return MakeError(ErrorCode::kInvalidConfig,
                     where + ": clusters: no cluster named \"" + cluster_name + "\"");
  YAML::Node user = FindNamed(root["users"], user_name)["user"];  // may be absent: anonymous

  const fs::path base = fs::path(path).parent_path();
  auto resolve = [&](const std::string& p) {
    if (p.empty() || fs::path(p).is_absolute()) return p;
    return (base / p).string();
  };

  KubeConfig c;
  c.source = where + " (context " + ctx_name + ")";
  c.server = Str(cluster, "server");
  while (!c.server.empty() && c.server.back() == '/') c.server.pop_back();
  if (c.server.empty())
    return MakeError(ErrorCode::kInvalidConfig,
                     where + ": clusters[" + cluster_name + "].cluster.server: not set");
  if (const std::string ns = Str(ctx, "namespace"); !ns.empty()) c.namespace_name = ns;
  c.insecure_skip_tls_verify =
      cluster["insecure-skip-tls-verify"] && cluster["insecure-skip-tls-verify"].as<bool>(false);
  auto blob = [&](const YAML::Node& n, const char* key, const std::string& field,
                  std::string& out) -> Result<void> {
    const std::string data = Str(n, key);
    if (data.empty()) return {};
    auto decoded = DecodeBase64(data);
    if (!decoded)
      return MakeError(ErrorCode::kInvalidConfig, where + ": " + field + ": not base64");
    out = std::move(*decoded);
    return {};
  };
  if (auto r = blob(cluster, "certificate-authority-data",
                    "clusters[" + cluster_name + "].cluster.certificate-authority-data", c.ca_pem);
      !r)
    return r.error();
  c.ca_file = resolve(Str(cluster, "certificate-authority"));
  if (user) {
    const std::string u = "users[" + user_name + "].user.";
    c.token = Str(user, "token");
    c.token_file = resolve(Str(user, "tokenFile"));
    if (auto r =
            blob(user, "client-certificate-data", u + "client-certificate-data", c.client_cert_pem);
        !r)
      return r.error();
    if (auto r = blob(user, "client-key-data", u + "client-key-data", c.client_key_pem); !r)
      return r.error();
    c.client_cert_file = resolve(Str(user, "client-certificate"));
    c.client_key_file = resolve(Str(user, "client-key"));
    if (user["exec"] || user["auth-provider"])
      return MakeError(ErrorCode::kInvalidConfig,
                       where + ": " + u +
                           "exec/auth-provider: credential plugins are not "
                           "supported; use a token, tokenFile or client certificate");
  }
  return c;
}

}  // namespace

Result<KubeConfig> LoadKubeconfig(const std::string& path, const std::string& context) {
  auto text = api::ReadDocumentFile(path);
  if (!text) return MakeError(ErrorCode::kInvalidConfig, "kubeconfig " + text.error().message);
  // The limits every document has (size, nesting, aliases, duplicate keys) before yaml-cpp
  // builds its own tree.
  if (auto checked = api::ParseDocuments(*text, path); !checked) {
    return MakeError(ErrorCode::kInvalidConfig, "kubeconfig " + checked.error().message);
  }
  try {
    return FromYaml(YAML::Load(*text), path, context);
  } catch (const YAML::Exception& e) {
    // A member of the wrong kind (a list where a mapping belongs, a mapping for a name).
    return MakeError(ErrorCode::kInvalidConfig, "kubeconfig " + path + ": malformed at line " +
                                                    std::to_string(e.mark.line + 1) + ": " +
                                                    SafeText(e.msg));
  }
}

Result<KubeConfig> LoadInCluster(const std::string& sa_dir) {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (!host || !*host || !port || !*port)
    return MakeError(ErrorCode::kInvalidConfig,
                     "in-cluster config: KUBERNETES_SERVICE_HOST/PORT are not set");
  KubeConfig c;
  c.source = "in-cluster";
  std::string h = host;
  if (h.find(':') != std::string::npos) h = "[" + h + "]";  // IPv6 service address
  c.server = "https://" + h + ":" + port;
  c.token_file = sa_dir + "/token";
  if (auto t = ReadFile(c.token_file, "in-cluster config"); !t) return t.error();
  c.ca_file = sa_dir + "/ca.crt";
  if (auto ns = ReadFile(sa_dir + "/namespace", "in-cluster config"); ns)
    c.namespace_name = Trim(*ns);
  return c;
}

Result<KubeConfig> ResolveKubeConfig(const std::string& kubeconfig_flag,
                                     const std::string& context) {
  if (!kubeconfig_flag.empty()) return LoadKubeconfig(kubeconfig_flag, context);
  if (const char* env = std::getenv("KUBECONFIG"); env && *env) {
    std::stringstream list(env);
    std::string entry;
    while (std::getline(list, entry, ':')) {
      if (!entry.empty() && fs::exists(entry)) return LoadKubeconfig(entry, context);
    }
  }
  if (const char* host = std::getenv("KUBERNETES_SERVICE_HOST"); host && *host)
    return LoadInCluster();
  if (const char* home = std::getenv("HOME"); home && *home) {
    const std::string p = std::string(home) + "/.kube/config";
    if (fs::exists(p)) return LoadKubeconfig(p, context);
  }
  return MakeError(ErrorCode::kInvalidConfig,
                   "no Kubernetes configuration: pass --kubeconfig, set KUBECONFIG, or run in a "
                   "pod");
}

}  // namespace ebb::kube

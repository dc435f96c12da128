// Where the API server is and how to authenticate: from a kubeconfig file (out of cluster) or
// from the pod's service account (in cluster). Secrets stay in memory and are never logged.
#pragma once

#include <string>

#include "controller/base/result.h"

namespace ebb::kube {

struct KubeConfig {
  std::string server;  // "https://127.0.0.1:6443", no trailing slash
  // Bearer token given inline; when token_file is set the client re-reads it as it rotates.
  std::string token;
  std::string token_file;
  // PEM blobs (kubeconfig *-data fields, decoded) or file paths; the blob wins when both are set.
  std::string ca_pem, ca_file;
  std::string client_cert_pem, client_cert_file;
  std::string client_key_pem, client_key_file;
  bool insecure_skip_tls_verify = false;
  std::string namespace_name = "default";  // the context's namespace, or the pod's own
  std::string source;  // "kubeconfig /path (context x)" or "in-cluster", for logs
};

// Reads `path` (a kubeconfig), using `context` or else its current-context. Relative file paths
// in it resolve against the kubeconfig's folder, as kubectl does. Errors name the file and field.
Result<KubeConfig> LoadKubeconfig(const std::string& path, const std::string& context = "");

// In-cluster: KUBERNETES_SERVICE_HOST/PORT and the service account files under `sa_dir`.
Result<KubeConfig> LoadInCluster(
    const std::string& sa_dir = "/var/run/secrets/kubernetes.io/serviceaccount");

// client-go's order: the --kubeconfig flag, then $KUBECONFIG (first existing entry), then
// in-cluster when KUBERNETES_SERVICE_HOST is set, then ~/.kube/config.
Result<KubeConfig> ResolveKubeConfig(const std::string& kubeconfig_flag,
                                     const std::string& context = "");

// RFC 4648 base64 (kubeconfig *-data fields); nullopt-like error on bad input.
Result<std::string> DecodeBase64(const std::string& text);

}  // namespace ebb::kube

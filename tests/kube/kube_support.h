// Test support for tests against the real API server started by the ctest fixture `kube_cluster`
// (tests/support/kube/cluster.sh). Run by hand: EBB_KUBE_CLUSTER_DIR=/tmp/x after
// `cluster.sh start /tmp/x`.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "controller/base/time.h"
#include "controller/kube/kube_client.h"
#include "tests/support/local.h"

namespace ebb::testing {

struct Cluster {
  std::string dir;
  std::string admin_kubeconfig() const { return dir + "/admin.kubeconfig"; }
  std::string sa_kubeconfig() const { return dir + "/sa.kubeconfig"; }
  std::string cert_kubeconfig() const { return dir + "/cert-admin.kubeconfig"; }
  std::string Env(const std::string& key) const;  // from DIR/env
};
const Cluster& TheCluster();
std::string RepoDir();
// A client as cluster-admin (test setup) -- never the code under test's identity.
kube::KubeClient& Admin();

// Creates a fresh namespace "prefix-<random>" and returns its name.
std::string NewNamespace(const std::string& prefix);
// Applies (create or replace) every document of a YAML/JSON file or string.
void ApplyYaml(const std::string& yaml_text, const std::string& ns = "");
void InstallCrds();  // manifests/base/crd.yaml + a WorkerPool test kind, waits until Established
nlohmann::json Deployment(const std::string& name, int replicas);
int32_t SpecReplicas(const std::string& ns, const std::string& deployment);
nlohmann::json GetObject(const std::string& path);
// A Deployment of `n` pods marked Running and Ready since long ago (no kubelet here), whose
// scale's status.selector is set; returns the pods' names.
std::vector<std::string> ReadyDeployment(const std::string& ns, const std::string& name, int n);
// What the test metrics server answers for namespace `ns` from now on:
// {"<pod>": {"<container>": {"cpu": "180m", ...}}} (tests/support/kube/metrics_server.py).
void WritePodMetrics(const std::string& ns, const nlohmann::json& usage);
// What manifests/components/sharding grants, bound to the tests' controller identity
// (ebb-system/ebb).
void ApplyShardingRbac();
// What manifests/components/secrets-reader-namespaced grants (`get` on Secrets), in namespace
// `ns` instead of `apps`, bound to the tests' controller identity (ebb-system/ebb).
void ApplySecretsReaderRbac(const std::string& ns);

// Polls `pred` every 100 ms until it returns true or `timeout` passes.
bool WaitFor(const std::function<bool()>& pred, Duration timeout);

// A child process with stdout+stderr to a file; killed by PID in the destructor.
class Process {
 public:
  Process(const std::vector<std::string>& argv, const std::string& log_file,
          const std::vector<std::string>& extra_env = {});
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  void Signal(int sig);
  int Wait();  // exit status (or 128+signal)
  bool running();
  pid_t pid() const { return pid_; }
  std::string log() const;

 private:
  pid_t pid_ = -1;
  std::string log_file_;
  bool reaped_ = false;
  int status_ = 0;
};

// A redis-server on a free loopback port in its own folder (tests/scalers/fixtures/redis.sh).
class Redis {
 public:
  Redis();
  ~Redis();
  void Stop();
  void Start();
  std::string Cli(const std::string& args) const;
  int port() const { return port_; }

 private:
  int port_;
  std::string dir_;
  bool running_ = false;
};

}  // namespace ebb::testing

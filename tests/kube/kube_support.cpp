#include "tests/kube/kube_support.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "controller/api/documents.h"

extern char** environ;

namespace ebb::testing {

std::string RepoDir() {
  return EBB_REPO_DIR;
}

const Cluster& TheCluster() {
  static const Cluster c = [] {
    Cluster cl;
    const char* d = std::getenv("EBB_KUBE_CLUSTER_DIR");
    if (!d || !*d) throw std::runtime_error("EBB_KUBE_CLUSTER_DIR is not set (ctest sets it)");
    cl.dir = d;
    return cl;
  }();
  return c;
}

std::string Cluster::Env(const std::string& key) const {
  std::ifstream in(dir + "/env");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(key + "=", 0) == 0) return line.substr(key.size() + 1);
  return "";
}

kube::KubeClient& Admin() {
  static kube::KubeClient* c = [] {
    auto cfg = kube::LoadKubeconfig(TheCluster().admin_kubeconfig());
    if (!cfg) throw std::runtime_error(cfg.error().message);
    return new kube::KubeClient(*cfg);  // lives for the whole test binary
  }();
  return *c;
}

std::string NewNamespace(const std::string& prefix) {
  static std::mt19937 rng{std::random_device{}()};
  const std::string name = prefix + "-" + std::to_string(rng() % 1000000);
  auto r =
      Admin().Post("/api/v1/namespaces",
                   {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name}}}});
  if (!r) throw std::runtime_error(r.error().message);
  return name;
}

namespace {

// "apps/v1" + "Deployment" -> collection path (only the kinds the tests use).
std::string CollectionPath(const nlohmann::json& doc, const std::string& ns) {
  const std::string av = doc.value("apiVersion", "");
  const std::string kind = doc.value("kind", "");
  std::string plural;
  for (char c : kind)
    plural.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  plural += plural.back() == 's' ? "es" : "s";
  if (kind == "CustomResourceDefinition") plural = "customresourcedefinitions";
  const bool core = av.find('/') == std::string::npos;
  std::string p = core ? "/api/" + av : "/apis/" + av;
  const bool cluster_scoped = kind == "CustomResourceDefinition" || kind == "Namespace" ||
                              kind == "ClusterRole" || kind == "ClusterRoleBinding" ||
                              kind == "APIService";
  if (!cluster_scoped) p += "/namespaces/" + ns;
  return p + "/" + plural;
}

}  // namespace

void ApplyYaml(const std::string& yaml_text, const std::string& ns) {
  auto docs = api::ParseDocuments(yaml_text, "test yaml");
  if (!docs) throw std::runtime_error(docs.error().message);
  for (nlohmann::json j : *docs) {
    if (!j.is_object()) continue;
    std::string n = ns;
    if (n.empty()) n = j["metadata"].value("namespace", "default");
    if (!ns.empty() && j.value("kind", "") != "CustomResourceDefinition")
      j["metadata"]["namespace"] = ns;
    const std::string path = CollectionPath(j, n);
    auto r = Admin().Post(path, j);
    // It exists: replace it. Tests running in parallel (and kubectl apply in the manifests test)
    // update shared objects such as the CRD too, so a stale resourceVersion is retried.
    for (int attempt = 0; attempt < 10 && !r && r.error().code == ErrorCode::kConflict; ++attempt) {
      const std::string obj = path + "/" + j["metadata"].value("name", "");
      auto cur = Admin().Get(obj);
      if (!cur) throw std::runtime_error(cur.error().message);
      j["metadata"]["resourceVersion"] = (*cur)["metadata"]["resourceVersion"];
      r = Admin().Put(obj, j);
    }
    if (!r) throw std::runtime_error("apply: " + r.error().message);
  }
}

void InstallCrds() {
  // The shipped CRD (schema, defaults, printer columns), so the tests see what users install,
  // plus a test kind with a scale subresource to show that any scalable kind works.
  for (const char* file :
       {"/manifests/base/crd.yaml", "/tests/kube/fixtures/workerpool-crd.yaml"}) {
    std::ifstream in(RepoDir() + file);
    if (!in) throw std::runtime_error(std::string("cannot read ") + RepoDir() + file);
    std::stringstream s;
    s << in.rdbuf();
    ApplyYaml(s.str());
  }
  for (const char* name : {"autoscalers.ebb.dev", "workerpools.test.ebb.dev"}) {
    const bool ok = WaitFor(
        [&] {
          auto c = Admin().Get(
              std::string("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/") + name);
          if (!c) return false;
          for (const auto& cond : (*c)["status"].value("conditions", nlohmann::json::array()))
            if (cond.value("type", "") == "Established" && cond.value("status", "") == "True")
              return true;
          return false;
        },
        Seconds(30));
    if (!ok) throw std::runtime_error(std::string("CRD not established: ") + name);
  }
  // Discovery of the new group lags establishment a little.
  WaitFor([] { return Admin().Get("/apis/ebb.dev/v1alpha1").has_value(); }, Seconds(10));
}

nlohmann::json Deployment(const std::string& name, int replicas) {
  nlohmann::json container = {{"name", "main"}, {"image", "busybox"}};
  container["resources"]["requests"] = {{"cpu", "100m"}, {"memory", "64Mi"}};
  nlohmann::json d = {{"apiVersion", "apps/v1"}, {"kind", "Deployment"}};
  d["metadata"]["name"] = name;
  d["spec"]["replicas"] = replicas;
  d["spec"]["selector"]["matchLabels"]["app"] = name;
  d["spec"]["template"]["metadata"]["labels"]["app"] = name;
  d["spec"]["template"]["spec"]["containers"] = nlohmann::json::array({container});
  return d;
}

nlohmann::json GetObject(const std::string& path) {
  auto r = Admin().Get(path);
  if (!r) throw std::runtime_error(r.error().message);
  return *r;
}

int32_t SpecReplicas(const std::string& ns, const std::string& deployment) {
  auto r = Admin().Get("/apis/apps/v1/namespaces/" + ns + "/deployments/" + deployment + "/scale");
  if (!r) return -1;
  return (*r)["spec"].value("replicas", 0);
}

bool WaitFor(const std::function<bool()>& pred, Duration timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (pred()) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

Process::Process(const std::vector<std::string>& argv, const std::string& log_file,
                 const std::vector<std::string>& extra_env)
    : log_file_(log_file) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_store;
  for (char** e = environ; *e; ++e) env_store.emplace_back(*e);
  for (const auto& e : extra_env) env_store.push_back(e);
  std::vector<char*> env;
  for (auto& e : env_store) env.push_back(e.data());
  env.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  if (posix_spawn(&pid_, args[0], &fa, nullptr, args.data(), env.data()) != 0)
    throw std::runtime_error("cannot start " + argv[0]);
  posix_spawn_file_actions_destroy(&fa);
}

Process::~Process() {
  if (!reaped_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    (void)Wait();
  }
}

void Process::Signal(int sig) {
  if (!reaped_) kill(pid_, sig);
}

int Process::Wait() {
  if (!reaped_) {
    waitpid(pid_, &status_, 0);
    reaped_ = true;
  }
  return WIFEXITED(status_) ? WEXITSTATUS(status_) : 128 + WTERMSIG(status_);
}

bool Process::running() {
  if (reaped_) return false;
  if (waitpid(pid_, &status_, WNOHANG) == pid_) {
    reaped_ = true;
    return false;
  }
  return true;
}

std::string Process::log() const {
  std::ifstream in(log_file_);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

Redis::Redis() : port_(FreePort()) {
  dir_ = TheCluster().dir + "/redis-" + std::to_string(port_);
  Start();
}

Redis::~Redis() {
  Stop();
}

void Redis::Start() {
  Shell(RepoDir() + "/tests/scalers/fixtures/redis.sh start " + std::to_string(port_) + " " + dir_);
  running_ = true;
}

void Redis::Stop() {
  if (!running_) return;
  Shell(RepoDir() + "/tests/scalers/fixtures/redis.sh stop " + dir_);
  running_ = false;
}

std::string Redis::Cli(const std::string& args) const {
  return Shell("redis-cli -p " + std::to_string(port_) + " " + args);
}

}  // namespace ebb::testing

namespace ebb::testing {

std::vector<std::string> ReadyDeployment(const std::string& ns, const std::string& name, int n) {
  auto created =
      Admin().Post("/apis/apps/v1/namespaces/" + ns + "/deployments", Deployment(name, n));
  if (!created) throw std::runtime_error(created.error().message);
  std::vector<std::string> pods;
  const bool listed = WaitFor(
      [&] {
        pods.clear();
        const auto list = GetObject("/api/v1/namespaces/" + ns + "/pods");
        for (const auto& p : list["items"]) {
          // Another Deployment's pods in the namespace are not this one's.
          const std::string pod = p["metadata"]["name"];
          if (pod.rfind(name + "-", 0) == 0) pods.push_back(pod);
        }
        return static_cast<int>(pods.size()) == n;
      },
      Seconds(20));
  if (!listed) throw std::runtime_error("deployment " + name + ": its pods never appeared");
  const std::string long_ago = "2020-01-01T00:00:00Z";
  for (const auto& p : pods) {
    nlohmann::json st;
    st["status"]["phase"] = "Running";
    st["status"]["startTime"] = long_ago;
    st["status"]["conditions"] = nlohmann::json::array(
        {{{"type", "Ready"}, {"status", "True"}, {"lastTransitionTime", long_ago}}});
    auto patched = Admin().MergePatch("/api/v1/namespaces/" + ns + "/pods/" + p + "/status", st);
    if (!patched) throw std::runtime_error(patched.error().message);
  }
  // The scale's status.selector (the pods' selector) is set once the controller manager saw it.
  const bool selected = WaitFor(
      [&] {
        return GetObject("/apis/apps/v1/namespaces/" + ns + "/deployments/" + name + "/scale")
                   .value("status", nlohmann::json::object())
                   .value("selector", "") != "";
      },
      Seconds(20));
  if (!selected) throw std::runtime_error("deployment " + name + ": no scale selector");
  return pods;
}

void WritePodMetrics(const std::string& ns, const nlohmann::json& usage) {
  std::ofstream(TheCluster().Env("POD_METRICS_FILE") + ".d/" + ns + ".json") << usage.dump();
}

void ApplyShardingRbac() {
  std::ifstream in(RepoDir() + "/manifests/components/sharding/rbac-sharding.yaml");
  std::stringstream text;
  text << in.rdbuf();
  if (text.str().empty()) throw std::runtime_error("manifests/components/sharding: no Role");
  ApplyYaml(text.str(), "ebb-system");
  ApplyYaml(R"(apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: ebb-sharding-test, namespace: ebb-system}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: ebb-sharding}
subjects: [{kind: ServiceAccount, name: ebb, namespace: ebb-system}]
)");
}

void ApplySecretsReaderRbac(const std::string& ns) {
  std::ifstream in(RepoDir() +
                   "/manifests/components/secrets-reader-namespaced/rbac-secrets-reader.yaml");
  std::stringstream text;
  text << in.rdbuf();
  std::string yaml = text.str();
  if (yaml.find("namespace: apps") == std::string::npos) {
    throw std::runtime_error("manifests/components/secrets-reader-namespaced: no Role in apps");
  }
  // The shipped objects, moved to `ns` and bound to the tests' service account.
  yaml = std::regex_replace(yaml, std::regex("namespace: apps"), "namespace: " + ns);
  yaml = std::regex_replace(yaml, std::regex("name: ebb-controller"), "name: ebb");
  ApplyYaml(yaml);
}

}  // namespace ebb::testing

#!/usr/bin/env bash
# usage: bench/controller/run.sh BUILD_DIR [N] [INTERVAL] [MEASURE_SECONDS]
# Starts its own API server (tests/support/kube/cluster.sh, cached build) and redis-server,
# installs the test CRDs, runs bench.py (its environment knobs: BENCH_QPS, BENCH_REPLICAS,
# BENCH_SHARDS, BENCH_LEASE; see bench.py), and stops everything by PID.
# BENCH_DIR=/tmp/x: keep the cluster, redis and the created objects there (not stopped at the
# end); a later run with the same BENCH_DIR and N reuses them instead of creating 2N objects.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); repo=$(cd "$here/../.." && pwd)
build=${1:?BUILD_DIR}; shift
if [[ -n ${BENCH_DIR:-} ]]; then
  dir=$BENCH_DIR; mkdir -p "$dir"
else
  dir=$(mktemp -d /tmp/ebb-bench.XXXXXX)
  trap '"$repo/tests/scalers/fixtures/redis.sh" stop "$dir/redis" || true; "$repo/tests/support/kube/cluster.sh" stop "$dir/cluster" || true' EXIT
fi
if [[ -f $dir/redis-port ]] && kill -0 "$(cat "$dir/cluster/apiserver.pid" 2>/dev/null)" 2>/dev/null; then
  port=$(cat "$dir/redis-port")
  echo "reusing the cluster and redis in $dir" >&2
else
  "$repo/tests/support/kube/cluster.sh" start "$dir/cluster" >&2
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "$repo/tests/scalers/fixtures/redis.sh" start "$port" "$dir/redis"
  echo "$port" > "$dir/redis-port"
  # CRDs through the API (no kubectl needed): a minimal Autoscaler CRD (schema preserves unknown
  # fields; tests/kube uses the shipped manifests/base/crd.yaml) and the WorkerPool test kind.
  # The service account may list and watch WorkerPools, as the shipped ClusterRole lets it list
  # and watch Deployments (docs/reference.md, "API-server load"): without it the target cache
  # cannot start and every reconcile GETs the /scale subresource.
  python3 - "$dir/cluster" "$repo/tests/kube/fixtures/crd.json" <<'PY'
import json, ssl, sys, urllib.request, time
cdir, crd_file = sys.argv[1], sys.argv[2]
env = dict(l.strip().split("=", 1) for l in open(f"{cdir}/env") if "=" in l)
token = open(f"{cdir}/pki/tokens.csv").read().split(",")[0]
ctx = ssl.create_default_context(cafile=env["KUBE_CA"])
def post(path, body):
    req = urllib.request.Request(env["KUBE_SERVER"] + path, data=json.dumps(body).encode(), method="POST",
                                 headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    urllib.request.urlopen(req, context=ctx)
for crd in json.load(open(crd_file)):
    post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd)
post("/apis/rbac.authorization.k8s.io/v1/clusterroles",
     {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
      "metadata": {"name": "ebb-bench-workerpools-watch"},
      "rules": [{"apiGroups": ["test.ebb.dev"], "resources": ["workerpools"], "verbs": ["list", "watch"]}]})
post("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
     {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
      "metadata": {"name": "ebb-bench-workerpools-watch"},
      "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "ebb-bench-workerpools-watch"},
      "subjects": [{"kind": "ServiceAccount", "name": "ebb", "namespace": "ebb-system"}]})
# --shards lists the group's Leases (manifests/components/sharding grants it the same way).
post("/apis/rbac.authorization.k8s.io/v1/namespaces/ebb-system/roles",
     {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "ebb-bench-shard-leases"},
      "rules": [{"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["get", "list", "watch", "create", "update"]}]})
post("/apis/rbac.authorization.k8s.io/v1/namespaces/ebb-system/rolebindings",
     {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "ebb-bench-shard-leases"},
      "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "ebb-bench-shard-leases"},
      "subjects": [{"kind": "ServiceAccount", "name": "ebb", "namespace": "ebb-system"}]})
time.sleep(3)  # established + discovery
PY
fi
python3 "$here/bench.py" "$build/controller/ebb" "$dir/cluster" "$port" "$@"

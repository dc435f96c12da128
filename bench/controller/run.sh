#!/usr/bin/env bash
# usage: bench/controller/run.sh BUILD_DIR [N] [INTERVAL] [MEASURE_SECONDS]
# Starts its own API server (tests/support/kube/cluster.sh, cached build) and redis-server,
# installs the test CRDs, runs bench.py, and stops everything by PID.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); repo=$(cd "$here/../.." && pwd)
build=${1:?BUILD_DIR}; shift
dir=$(mktemp -d /tmp/ebb-bench.XXXXXX)
trap '"$repo/tests/scalers/fixtures/redis.sh" stop "$dir/redis" || true; "$repo/tests/support/kube/cluster.sh" stop "$dir/cluster" || true' EXIT
"$repo/tests/support/kube/cluster.sh" start "$dir/cluster" >&2
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$repo/tests/scalers/fixtures/redis.sh" start "$port" "$dir/redis"
KUBECONFIG="$dir/cluster/admin.kubeconfig"
# CRDs through the API (no kubectl needed): a minimal Autoscaler CRD (schema preserves unknown
# fields; tests/kube uses the shipped manifests/base/crd.yaml) and the WorkerPool test kind.
python3 - "$dir/cluster" "$repo/tests/kube/fixtures/crd.json" <<'PY'
import json, ssl, sys, urllib.request, time
cdir, crd_file = sys.argv[1], sys.argv[2]
env = dict(l.strip().split("=", 1) for l in open(f"{cdir}/env") if "=" in l)
token = open(f"{cdir}/pki/tokens.csv").read().split(",")[0]
ctx = ssl.create_default_context(cafile=env["KUBE_CA"])
for crd in json.load(open(crd_file)):
    req = urllib.request.Request(env["KUBE_SERVER"] + "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
                                 data=json.dumps(crd).encode(), method="POST",
                                 headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    urllib.request.urlopen(req, context=ctx)
time.sleep(3)  # established + discovery
PY
python3 "$here/bench.py" "$build/controller/ebb" "$dir/cluster" "$port" "$@"

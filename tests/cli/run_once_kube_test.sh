#!/usr/bin/env bash
# ebb run --once --dry-run with a cluster (fixture kube_cluster): the current replicas are the
# target's live scale, Resource metrics are read from metrics.k8s.io for the target's pods, and
# nothing is patched.
ebb=$1; here=$2
source "$here/lib.sh"
cdir=${EBB_KUBE_CLUSTER_DIR:?set by the kube_cluster fixture}
kubeconfig=$cdir/admin.kubeconfig
k() { kubectl --kubeconfig "$kubeconfig" --request-timeout=30s "$@"; }
ns=cli-once-$$
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no </dev/null >"$tmp/redis.log" 2>&1 &
redis_pid=$!
trap 'kill $redis_pid 2>/dev/null || true; k delete namespace "$ns" --wait=false >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done
for i in $(seq 12); do redis-cli -p "$port" rpush jobs "task$i" >/dev/null; done
k create namespace "$ns" >/dev/null
k -n "$ns" create deployment worker --image=registry.invalid/worker:1 --replicas=3 >/dev/null
cat >"$tmp/a.yaml" <<YAML
apiVersion: ebb.dev/v1alpha1
kind: Autoscaler
metadata: {name: worker, namespace: $ns}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: worker}
  maxReplicas: 20
  metrics:
    - type: Redis
      name: backlog
      redis: {address: "127.0.0.1:$port", lists: [jobs], target: {type: AverageValue, averageValue: "2"}}
    - type: Resource
      resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}
YAML
expect_rc 0 "$ebb" run --once --dry-run -f "$tmp/a.yaml" --kubeconfig "$kubeconfig"
[ "$(json_get "$tmp/out" 'j["currentReplicas"]')" = 3 ] || fail "not the live scale: $(cat "$tmp/out")"
[ "$(json_get "$tmp/out" 'j["metrics"][0]["reading"]')" = 12.0 ] || fail "backlog: $(cat "$tmp/out")"
# The cpu metric went to the cluster (its pods never run here, so it has no usage), not to
# "this run has no Kubernetes" as without a cluster.
cpu_error=$(json_get "$tmp/out" 'j["metrics"][1].get("error", "")')
[ -n "$cpu_error" ] || fail "cpu: $(cat "$tmp/out")"
! grep -q "which this run has no" <<<"$cpu_error" || fail "cpu not read from the cluster: $cpu_error"
# Dry run: the Deployment keeps its 3 replicas though 12 tasks / 2 per replica asks for 6.
[ "$(json_get "$tmp/out" 'j["desiredReplicas"]')" = 6 ] || fail "desired: $(cat "$tmp/out")"
[ "$(k -n "$ns" get deployment worker -o jsonpath='{.spec.replicas}')" = 3 ] || fail "patched"
# Without a cluster the same file needs --replicas, and cpu cannot be read.
expect_rc 0 "$ebb" run --once --dry-run -f "$tmp/a.yaml" --replicas 5
[ "$(json_get "$tmp/out" 'j["currentReplicas"]')" = 5 ] || fail "--replicas: $(cat "$tmp/out")"
# A target that does not exist: its line says so, exit 1.
sed -i 's/name: worker}/name: missing}/' "$tmp/a.yaml"
expect_rc 1 "$ebb" run --once --dry-run -f "$tmp/a.yaml" --kubeconfig "$kubeconfig"
[ "$(json_get "$tmp/out" 'j["reason"]')" = Error ] || fail "missing target: $(cat "$tmp/out")"
grep -q "scale" "$tmp/out" || fail "missing target: $(cat "$tmp/out")"
echo "cli run --once --kubeconfig: ok"

#!/usr/bin/env bash
# ebb run --once --dry-run against a real redis-server: values read back, a dead source is in the
# output (exit 0 while one metric reads; 3 once every metric failed), a bad spec exits 2, other
# kinds of documents are skipped.
ebb=$1; here=$2
source "$here/lib.sh"
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no </dev/null >"$tmp/redis.log" 2>&1 &
redis_pid=$!
trap 'kill $redis_pid 2>/dev/null || true; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done
for i in $(seq 23); do redis-cli -p "$port" rpush jobs "task$i" >/dev/null; done
cat >"$tmp/a.yaml" <<YAML
apiVersion: ebb.dev/v1alpha1
kind: Autoscaler
metadata: {name: worker}
spec:
  scaleTargetRef: {kind: Deployment, name: worker}
  maxReplicas: 20
  behavior: {scaleUp: {policies: [{type: Pods, value: 100, periodSeconds: 15}]}}
  metrics:
    - type: Redis
      name: backlog
      redis: {address: "127.0.0.1:$port", lists: [jobs], target: {type: AverageValue, averageValue: "5"}}
    - type: Prometheus
      name: rps
      prometheus: {serverAddress: "http://127.0.0.1:1", query: "sum(rate(x[1m]))", target: {type: Value, value: "10"}}
YAML
expect_rc 0 "$ebb" run --once --dry-run -f "$tmp/a.yaml" --replicas 2
[ "$(json_get "$tmp/out" 'j["metrics"][0]["reading"]')" = 23.0 ] || fail "backlog reading: $(cat "$tmp/out")"
[ "$(json_get "$tmp/out" 'j["desiredReplicas"]')" = 5 ] || fail "desired: $(cat "$tmp/out")"
[ "$(json_get "$tmp/out" 'j["metrics"][1]["status"]')" = Failed ] || fail "dead prometheus not reported"
# Controller-level settings: 23 over 4 replicas is 15% above target: out of the default 10%
# tolerance band (-> 5), inside a 20% one (holds at 4); upstream's flag name works too.
expect_rc 0 "$ebb" run --once --dry-run -f "$tmp/a.yaml" --replicas 4
[ "$(json_get "$tmp/out" 'j["desiredReplicas"]')" = 5 ] || fail "default tolerance: $(cat "$tmp/out")"
expect_rc 0 "$ebb" run --once --dry-run -f "$tmp/a.yaml" --replicas 4 --tolerance 0.2
[ "$(json_get "$tmp/out" 'j["desiredReplicas"]')" = 4 ] || fail "--tolerance 0.2: $(cat "$tmp/out")"
expect_rc 0 "$ebb" run --once --dry-run -f "$tmp/a.yaml" --replicas 4 --horizontal-pod-autoscaler-tolerance 0.2
[ "$(json_get "$tmp/out" 'j["desiredReplicas"]')" = 4 ] || fail "upstream flag name: $(cat "$tmp/out")"
EBB_TOLERANCE=0.2 expect_rc 0 "$ebb" run --once --dry-run -f "$tmp/a.yaml" --replicas 4
[ "$(json_get "$tmp/out" 'j["desiredReplicas"]')" = 4 ] || fail "EBB_TOLERANCE=0.2: $(cat "$tmp/out")"
EBB_TOLERANCE=0.2 expect_rc 0 "$ebb" run --once --dry-run -f "$tmp/a.yaml" --replicas 4 --tolerance=0.1
[ "$(json_get "$tmp/out" 'j["desiredReplicas"]')" = 5 ] || fail "flag over env: $(cat "$tmp/out")"
expect_rc 2 "$ebb" run --once --dry-run -f "$tmp/a.yaml" --replicas 4 --tolerance=-1
expect_rc 2 "$ebb" run --once --dry-run -f "$tmp/a.yaml" --replicas 4 --tolerance -1
grep -q -- "--tolerance: must be a number >= 0" "$tmp/err" || fail "bad tolerance: $(cat "$tmp/err")"
# Redis gone: every metric failed: exit 3 (documented), the line still printed, no scale-down on
# missing data
kill $redis_pid; wait $redis_pid 2>/dev/null || true
expect_rc 3 "$ebb" run --once --dry-run -f "$tmp/a.yaml" --replicas 7
[ "$(json_get "$tmp/out" 'j["desiredReplicas"]')" = 7 ] || fail "scaled on missing data: $(cat "$tmp/out")"
[ "$(json_get "$tmp/out" 'j["reason"]')" = FailedGetMetrics ] || fail "reason: $(cat "$tmp/out")"
# bad spec: exit 2 with the field path
sed -i 's/lists: \[jobs\], //' "$tmp/a.yaml"
expect_rc 2 "$ebb" run --once --dry-run -f "$tmp/a.yaml" --replicas 2
grep -q "spec.metrics\[0\].redis" "$tmp/err" || fail "field path missing: $(cat "$tmp/err")"
# The bundled example holds a Simulation beside its Autoscaler: skipped, as validate does. Its
# Redis (redis:6379) is not there: every metric failed, exit 3.
expect_rc 3 "$ebb" run --once --dry-run -f "$here/../../examples/celery-worker.yaml" --replicas 2 --timeout 3
[ "$(json_get "$tmp/out" 'j["name"]')" = celery-worker ] || fail "example: $(cat "$tmp/out")"
[ "$(json_get "$tmp/out" 'j["metrics"][0]["status"]')" = Failed ] || fail "example: $(cat "$tmp/out")"
! grep -q Simulation "$tmp/err" || fail "the Simulation document was not skipped: $(cat "$tmp/err")"
# Flag combinations: --once needs --dry-run and -f; --replicas and a cluster exclude each other;
# --once's flags are refused without it.
expect_rc 2 "$ebb" run --once -f "$tmp/a.yaml" --replicas 2
grep -q -- "--once: only with --dry-run" "$tmp/err" || fail "$(cat "$tmp/err")"
expect_rc 2 "$ebb" run --once --dry-run --replicas 2
grep -q -- "-f FILE is required" "$tmp/err" || fail "$(cat "$tmp/err")"
expect_rc 2 "$ebb" run --once --dry-run -f "$tmp/a.yaml" --replicas 2 --kubeconfig /nonexistent
grep -q -- "not both" "$tmp/err" || fail "$(cat "$tmp/err")"
expect_rc 2 "$ebb" run --replicas 2
grep -q -- "--replicas: only with --once" "$tmp/err" || fail "$(cat "$tmp/err")"
echo "cli run --once: ok"

#!/usr/bin/env bash
# `ebb convert` as a user runs it: every fixture's output passes `ebb validate`, warnings go to
# stderr, nothing convertible exits 2, and a ScaledObject whose Redis password comes from a Secret
# through a TriggerAuthentication reads a password-protected redis-server once converted.
set -euo pipefail
ebb=$1; here=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
for f in "$here"/fixtures/*.yaml; do
  name=$(basename "$f" .yaml)
  [ "$name" = keda-unsupported-only ] && continue
  "$ebb" convert -f "$f" >"$tmp/$name.yaml" 2>"$tmp/$name.err" || fail "$name: exit $?: $(cat "$tmp/$name.err")"
  grep -q '^kind: Autoscaler$' "$tmp/$name.yaml" || fail "$name: no Autoscaler in the output"
  "$ebb" validate -f "$tmp/$name.yaml" >/dev/null 2>"$tmp/err" || fail "$name: ebb validate: $(cat "$tmp/err")"
  grep -q '^warning: ' "$tmp/$name.err" || fail "$name: no warning on stderr"
done
# -o FILE, several inputs, stdin
"$ebb" convert -f "$here/fixtures/hpa-v1.yaml" -f - -o "$tmp/two.yaml" <"$here/fixtures/hpa-v2beta2.yaml" 2>/dev/null
[ "$(grep -c '^kind: Autoscaler$' "$tmp/two.yaml")" = 2 ] || fail "-o with two inputs: $(cat "$tmp/two.yaml")"
"$ebb" validate -f "$tmp/two.yaml" >/dev/null
rc=0
"$ebb" convert -f "$here/fixtures/keda-unsupported-only.yaml" >"$tmp/out" 2>"$tmp/err" || rc=$?
[ "$rc" = 2 ] || fail "nothing convertible: exit $rc, want 2"
grep -q 'aws-sqs-queue' "$tmp/err" || fail "unsupported trigger not named: $(cat "$tmp/err")"
[ ! -s "$tmp/out" ] || fail "output for nothing convertible: $(cat "$tmp/out")"
# Credentials carried: KEDA's Secret key becomes passwordSecretKeyRef (the controller reads the
# Secret on a cluster); run --once without one says so and fails the metric (exit 3). The env
# route the warning gives instead (passwordFromEnv, filled from the Secret) reads the protected
# Redis; without the env var: NOAUTH, exit 3.
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --requirepass 's3cret' \
  </dev/null >"$tmp/redis.log" 2>&1 &
redis_pid=$!
trap 'kill $redis_pid 2>/dev/null || true; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do redis-cli -p "$port" -a s3cret --no-auth-warning ping >/dev/null 2>&1 && break; sleep 0.05; done
for i in 1 2 3 4 5 6 7; do redis-cli -p "$port" -a s3cret --no-auth-warning rpush tasks "t$i" >/dev/null; done
cat >"$tmp/keda.yaml" <<YAML
apiVersion: keda.sh/v1alpha1
kind: TriggerAuthentication
metadata: {name: redis-auth, namespace: jobs}
spec:
  secretTargetRef:
    - {parameter: password, name: redis-secret, key: password}
---
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: {name: worker, namespace: jobs}
spec:
  scaleTargetRef: {name: worker}
  minReplicaCount: 1
  triggers:
    - type: redis
      metadata: {address: "127.0.0.1:$port", listName: tasks, listLength: "2"}
      authenticationRef: {name: redis-auth}
YAML
"$ebb" convert -f "$tmp/keda.yaml" -o "$tmp/worker.yaml" 2>"$tmp/err" || fail "convert: $(cat "$tmp/err")"
grep -q 'passwordSecretKeyRef: {name: redis-secret, key: password}' "$tmp/worker.yaml" ||
  grep -A2 'passwordSecretKeyRef:' "$tmp/worker.yaml" | tr -d ' \n' | grep -q 'passwordSecretKeyRef:name:redis-secretkey:password' ||
  fail "password not carried: $(cat "$tmp/worker.yaml")"
grep -q 'secretKeyRef: {name: redis-secret, key: password}' "$tmp/err" || fail "no env instructions: $(cat "$tmp/err")"
grep -q 'passwordFromEnv: REDIS_SECRET_PASSWORD' "$tmp/err" || fail "no env route: $(cat "$tmp/err")"
"$ebb" validate -f "$tmp/worker.yaml" >/dev/null || fail "converted Secret reference does not validate"
rc=0
"$ebb" run --once --dry-run -f "$tmp/worker.yaml" --replicas 1 >"$tmp/out" 2>"$tmp/err" || rc=$?
[ "$rc" = 3 ] || fail "Secret reference without a cluster: exit $rc, want 3: $(cat "$tmp/out")"
grep -q 'Secret references need a cluster' "$tmp/out" "$tmp/err" ||
  fail "no word on the cluster a Secret reference needs: $(cat "$tmp/out" "$tmp/err")"
grep -q 'Secret jobs/redis-secret key password' "$tmp/out" "$tmp/err" ||
  fail "the Secret and key are not named: $(cat "$tmp/out" "$tmp/err")"
# The env route, as the warning gives it.
/usr/bin/python3 - "$tmp/worker.yaml" <<'PY'
import re, sys
p = sys.argv[1]
s = open(p).read()
s, n = re.subn(r"passwordSecretKeyRef:(\s*\{[^}]*\}|(\n\s+(name|key): \S+)+)", "passwordFromEnv: REDIS_SECRET_PASSWORD", s)
assert n == 1, s
open(p, "w").write(s)
PY
REDIS_SECRET_PASSWORD=s3cret "$ebb" run --once --dry-run -f "$tmp/worker.yaml" --replicas 1 >"$tmp/out" 2>"$tmp/err" ||
  fail "run --once with the password: exit $?: $(cat "$tmp/out" "$tmp/err")"
grep -q '"reading":7.0' "$tmp/out" || fail "protected list not read: $(cat "$tmp/out")"
rc=0
"$ebb" run --once --dry-run -f "$tmp/worker.yaml" --replicas 1 >"$tmp/out" 2>"$tmp/err" || rc=$?
[ "$rc" = 3 ] || fail "without the env var: exit $rc, want 3 (every metric failed): $(cat "$tmp/out")"
echo "cli convert: ok"

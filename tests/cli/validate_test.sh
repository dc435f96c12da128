#!/usr/bin/env bash
# ebb validate: every problem with its field path, exit 2; the bundled examples are valid.
ebb=$1; here=$2
source "$here/lib.sh"
for f in "$here"/../../examples/*.yaml; do
  expect_rc 0 "$ebb" validate -f "$f"
done
cat >"$tmp/bad.yaml" <<'YAML'
apiVersion: ebb.dev/v1alpha1
kind: Autoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {kind: Deployment, name: web}
  maxReplicas: 5
  behavior:
    scaleDown:
      policies:
        - {type: Pods, value: 1, periodSeconds: 60}
        - {type: Percent, value: 10, periodSeconds: 3600}
---
apiVersion: ebb.dev/v1alpha1
kind: Autoscaler
metadata: {name: other}
spec: {scaleTargetRef: {kind: Deployment, name: x}, minReplicas: 3, maxReplicas: 2}
YAML
expect_rc 2 "$ebb" validate -f "$tmp/bad.yaml"
grep -q "spec.behavior.scaleDown.policies\[1\].periodSeconds: 3600 is out of range \[1, 1800\]" "$tmp/err" ||
  fail "policy period not reported: $(cat "$tmp/err")"
grep -q "(document 2): Autoscaler default/other: spec.maxReplicas" "$tmp/err" ||
  fail "second document not reported: $(cat "$tmp/err")"
# One pass: the spec's errors and the scaler blocks' errors of one document together (before, the
# redis block was judged only once the spec was fixed).
cat >"$tmp/both.yaml" <<'YAML'
apiVersion: ebb.dev/v1alpha1
kind: Autoscaler
metadata: {name: both, namespace: jobs}
spec:
  scaleTargetRef: {kind: Deployment, name: w}
  minReplicas: 3
  maxReplicas: 2
  metrics:
    - type: Redis
      redis: {lists: [jobs], target: {type: AverageValue, averageValue: "5"}}
    - type: External
      external: {metric: {name: q}, target: {type: AverageValue, averageValue: 0.5}}
---
apiVersion: ebb.dev/v1alpha1
kind: Simulation
metadata: {name: ignored}
spec: {}
YAML
expect_rc 2 "$ebb" validate -f "$tmp/both.yaml"
grep -q "Autoscaler jobs/both: spec.maxReplicas" "$tmp/err" || fail "spec error missing: $(cat "$tmp/err")"
grep -q "Autoscaler jobs/both: spec.metrics\[0\].redis.address" "$tmp/err" ||
  fail "scaler block error missing: $(cat "$tmp/err")"
# A YAML float quantity is rejected as the CRD's int-or-string rejects it; quoted it is fine.
grep -q "spec.metrics\[1\].external.target.averageValue: must be an integer or a string" "$tmp/err" ||
  fail "YAML float quantity accepted: $(cat "$tmp/err")"
[ "$(grep -c "Autoscaler jobs/both" "$tmp/err")" = 3 ] || fail "not exactly three problems: $(cat "$tmp/err")"
! grep -q "Simulation" "$tmp/err" || fail "Simulation document judged: $(cat "$tmp/err")"
echo "cli validate: ok"

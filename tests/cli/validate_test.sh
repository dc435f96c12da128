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
echo "cli validate: ok"

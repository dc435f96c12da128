#!/usr/bin/env bash
# The alerts: docs/operating.md's "Alerts" block and the shipped PrometheusRule are the same rules,
# promtool accepts them, every ebb_* series they name is one ebb exports, and a few fire on the
# series ebb writes (promtool's rule unit tests, with the labels ebb sets).
# usage: alerts_test.sh   (needs promtool, yq)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
command -v promtool >/dev/null || { echo "SKIP: no promtool"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL $*"; fails=$((fails + 1)); }

# The first ```yaml block after "## Alerts".
awk '/^## Alerts/ {a=1} a && /^```yaml/ {b=1; next} b && /^```/ {exit} b' \
  "$root/docs/operating.md" >"$tmp/doc-rules.yaml"
[ -s "$tmp/doc-rules.yaml" ] || fail "docs/operating.md: no yaml block under ## Alerts"
rule="$root/manifests/components/prometheus-operator/prometheusrule.yaml"
yq -S . "$tmp/doc-rules.yaml" >"$tmp/doc.json"
yq -S .spec "$rule" >"$tmp/rule.json"
diff -u "$tmp/doc.json" "$tmp/rule.json" >"$tmp/diff" ||
  fail "the PrometheusRule differs from docs/operating.md's alerts:$(echo; cat "$tmp/diff")"
promtool check rules "$tmp/doc-rules.yaml" || fail "promtool check rules"

# Every ebb_* name an alert uses is registered in metrics/ (histograms by their base name).
exported=$(grep -ho '"ebb_[a-z_]*"' "$root"/metrics/*.cpp | tr -d '"' | sort -u)
for name in $(yq -r '.groups[].rules[].expr' "$tmp/doc-rules.yaml" | grep -o 'ebb_[a-z_]*' | sort -u); do
  base=${name%_bucket}
  grep -qx "$base" <<<"$exported" || fail "alerts use $name, which ebb does not export"
done

cat >"$tmp/tests.yaml" <<'EOT'
rule_files: [doc-rules.yaml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'ebb_scaler_errors_total{namespace="shop",autoscaler="worker",metric="backlog",pod="ebb-0"}'
        values: '0+2x30'
      - series: 'ebb_autoscaler_current_replicas{namespace="shop",autoscaler="worker",pod="ebb-0"}'
        values: '3x30'
      - series: 'ebb_autoscaler_desired_replicas{namespace="shop",autoscaler="worker",pod="ebb-0"}'
        values: '6x30'
      - series: 'ebb_autoscaler_dry_run{namespace="shop",autoscaler="worker",pod="ebb-0"}'
        values: '0x30'
      - series: 'ebb_autoscaler_current_replicas{namespace="shop",autoscaler="shadow",pod="ebb-0"}'
        values: '3x30'
      - series: 'ebb_autoscaler_desired_replicas{namespace="shop",autoscaler="shadow",pod="ebb-0"}'
        values: '6x30'
      - series: 'ebb_autoscaler_dry_run{namespace="shop",autoscaler="shadow",pod="ebb-0"}'
        values: '1x30'
      - series: 'ebb_autoscaler_condition{namespace="shop",autoscaler="worker",condition="Ready",status="false",pod="ebb-0"}'
        values: '1x30'
    alert_rule_test:
      - eval_time: 20m
        alertname: EbbMetricReadsFailing
        exp_alerts:
          - exp_labels: {namespace: shop, autoscaler: worker, metric: backlog}
            exp_annotations:
              summary: "shop/worker: backlog cannot be read (see the ScalingActive condition)"
      # A shadow (dry-run) Autoscaler differs from its target by design: no alert for it.
      - eval_time: 20m
        alertname: EbbNotReachingDesired
        exp_alerts:
          - exp_labels: {namespace: shop, autoscaler: worker, pod: ebb-0}
            exp_annotations:
              summary: "shop/worker: the target does not follow ebb (another HPA? a GitOps tool resetting replicas? quota?)"
      - eval_time: 20m
        alertname: EbbAutoscalerNotReady
        exp_alerts:
          - exp_labels: {namespace: shop, autoscaler: worker, condition: Ready, status: "false", pod: ebb-0}
            exp_annotations:
              summary: "shop/worker is not Ready (kubectl describe eas: conditions and Events say why)"
EOT
(cd "$tmp" && promtool test rules tests.yaml) || fail "promtool test rules"
echo "alerts: $fails failures"
[ "$fails" -eq 0 ]

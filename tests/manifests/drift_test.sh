#!/usr/bin/env bash
# The CRD schema and ebb's own validation must not drift: both judge the same cases.
#   cases/valid/*.yaml    ebb validate accepts, the CRD schema accepts, and ebb still accepts the
#                         object the CRD's defaults filled in, with the same summary.
#   cases/invalid/*.yaml  one problem each; ebb validate rejects and the CRD schema rejects,
#                         except the cases listed below.
# usage: drift_test.sh EBB EBB_SPEC_DUMP
set -euo pipefail
ebb=$1
spec_dump=$2
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

# Rules the CRD's structural schema cannot express (cross-field checks need CEL, which a 1.20 API
# server lacks; annotations are outside the schema; durations and header names are strings):
# ebb rejects these and the API server accepts them, so `ebb validate` belongs in CI before apply.
EBB_ONLY=(
  max-below-min                   # maxReplicas >= minReplicas
  idle-not-below-min              # idleReplicas < minReplicas
  min-zero-cpu-only               # minReplicas 0 needs a metric that can become inactive
  duplicate-metric-names          # metric names (explicit or derived) are unique
  paused-annotation-yes           # ebb.dev/paused is "true" or "false"
  paused-replicas-above-max       # ebb.dev/paused-replicas <= maxReplicas
  paused-replicas-not-a-number    # ebb.dev/paused-replicas is an integer string
  prometheus-timeout-700s         # a duration string's value is at most 600 s
  prometheus-authorization-header # Authorization belongs in auth:, not customHeaders
  authentication-ref-unknown-field # keys name the block's secret fields (they differ by block)
  password-env-and-secret         # one source per secret field
  redis-tls-cert-secret-without-key # a client certificate needs its key (file or Secret form)
)
# Cases the CRD rejects but ebb validate accepts: none. (Since ebb validate runs the scalers'
# parsers on prometheus:/redis: blocks, it judges those fields too.) Keep the list: a case that
# has to go here is a finding to write down, not to hide.
SCALER_ONLY=()
listed() { local x=$1; shift; for e in "$@"; do [ "$e" = "$x" ] && return 0; done; return 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/defaulted"
"$here/npm-tools.sh" "$tmp/js"
node "$tmp/js/crd-verdicts.mjs" "$root/manifests/base/crd.yaml" "$tmp/defaulted" \
  "$here"/cases/valid/*.yaml "$here"/cases/invalid/*.yaml >"$tmp/crd"

fails=0
fail() { echo "FAIL $*"; fails=$((fails + 1)); }
crd_verdict() { awk -v f="$1" '$1 == f {print $2}' "$tmp/crd"; }
crd_reason() { awk -v f="$1" '$1 == f {$1 = ""; $2 = ""; print}' "$tmp/crd"; }

n=0
for f in "$here"/cases/valid/*.yaml; do
  n=$((n + 1))
  name=$(basename "$f" .yaml)
  "$ebb" validate -f "$f" >"$tmp/out" 2>"$tmp/err" || fail "valid/$name: ebb rejects: $(cat "$tmp/err")"
  [ "$(crd_verdict "$f")" = accept ] || fail "valid/$name: the CRD rejects:$(crd_reason "$f")"
  if [ -f "$tmp/defaulted/$name.yaml" ]; then
    # Same defaults: what the API server stores (the CRD's defaults filled in) must parse to
    # exactly the same Autoscaler, field by field, as the case as written.
    "$spec_dump" "$f" >"$tmp/spec1" 2>&1 || fail "valid/$name: ebb_spec_dump: $(cat "$tmp/spec1")"
    "$spec_dump" "$tmp/defaulted/$name.yaml" >"$tmp/spec2" 2>&1 ||
      fail "valid/$name: ebb rejects the CRD-defaulted object: $(cat "$tmp/spec2")"
    cmp -s "$tmp/spec1" "$tmp/spec2" ||
      fail "valid/$name: the CRD's defaults differ from ebb's:
      as written:    $(cat "$tmp/spec1")
      CRD-defaulted: $(cat "$tmp/spec2")"
  fi
done
for f in "$here"/cases/invalid/*.yaml; do
  n=$((n + 1))
  name=$(basename "$f" .yaml)
  rc=0
  "$ebb" validate -f "$f" >/dev/null 2>"$tmp/err" || rc=$?
  if [ "$rc" -eq 0 ]; then
    listed "$name" ${SCALER_ONLY[@]+"${SCALER_ONLY[@]}"} || fail "invalid/$name: ebb validate accepts it"
  elif listed "$name" ${SCALER_ONLY[@]+"${SCALER_ONLY[@]}"}; then
    fail "invalid/$name: ebb validate now rejects it: remove it from SCALER_ONLY"
  elif [ "$rc" -ne 2 ] || ! grep -qE "Autoscaler apps/$name: (spec|metadata)\." "$tmp/err"; then
    # A rejection counts only as a validation error naming this object and a field.
    fail "invalid/$name: not a validation error naming the field (exit $rc): $(cat "$tmp/err")"
  fi
  if [ "$(crd_verdict "$f")" = accept ]; then
    listed "$name" "${EBB_ONLY[@]}" || fail "invalid/$name: the CRD accepts it"
  elif listed "$name" "${EBB_ONLY[@]}"; then
    fail "invalid/$name: the CRD now rejects it ($(crd_reason "$f")): remove it from EBB_ONLY"
  fi
done
for name in "${EBB_ONLY[@]}" ${SCALER_ONLY[@]+"${SCALER_ONLY[@]}"}; do
  [ -f "$here/cases/invalid/$name.yaml" ] || fail "listed case $name.yaml does not exist"
done
echo "drift: $n cases, $fails failures"
[ "$fails" -eq 0 ]

#!/usr/bin/env bash
# `ebb convert` as a user runs it: every fixture's output passes `ebb validate`, warnings go to
# stderr, nothing convertible exits 2.
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
echo "cli convert: ok"

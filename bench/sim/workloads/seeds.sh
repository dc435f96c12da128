#!/bin/sh
# A policy and the ideal draw by draw: replays the tuned Autoscaler with its Simulation (the file
# `ebb tune --out` writes) and the Autoscaler as given (for the ideal within the bounds as given,
# as `ebb tune` plans it) through `ebb simulate`, once per seed, the Simulations' `seed:`
# replaced, and prints per seed the policy's replica-hours and wait at the SLO's percentile, the
# ideal planned on that same draw, and the ratio. The ideal is clairvoyant on the draw it is
# judged on; a policy is not: this shows how both move from draw to draw.
#   bench/sim/workloads/seeds.sh EBB_BINARY TUNED.yaml GIVEN.yaml RECORDING SEED...
# Needs jq. Run from the directory the Simulations' relative paths (workloads-data/) resolve in.
set -eu
usage="usage: seeds.sh EBB_BINARY TUNED.yaml GIVEN.yaml RECORDING SEED..."
ebb=${1:?$usage}
tuned=${2:?$usage}
given=${3:?$usage}
rec=${4:?$usage}
shift 4
for f in "$tuned" "$given"; do
  grep -q '^  seed: ' "$f" || { echo "$f: no '  seed: N' line in its Simulation" >&2; exit 2; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "| seed | policy replica-h | policy wait | SLO | ideal replica-h | ideal wait | policy / ideal |"
echo "|---|---|---|---|---|---|---|"
for seed in "$@"; do
  sed "s/^  seed: .*/  seed: $seed/" "$tuned" > "$tmp/t.yaml"
  sed "s/^  seed: .*/  seed: $seed/" "$given" > "$tmp/g.yaml"
  if ! "$ebb" simulate -f "$tmp/t.yaml" --metrics "$rec" --json > "$tmp/t.json" ||
     ! "$ebb" simulate -f "$tmp/g.yaml" --metrics "$rec" --json > "$tmp/g.json"; then
    echo "| $seed | ebb simulate failed |"
    continue
  fi
  jq -r -s --arg seed "$seed" '
    def r1: . * 10 | round / 10;
    def r2: . * 100 | round / 100;
    .[0] as $t | .[1].slo.ideal as $id |
    "| \($seed) | \($t.replicaHours | r1) | \($t.slo.policyWaitSeconds | r1) s | "
    + (if $t.slo.met then "met" else "missed" end)
    + " | \($id.replicaHours | r1) | \($id.waitSeconds | r1) s | "
    + "\($t.replicaHours / $id.replicaHours | r2)x |"
  ' "$tmp/t.json" "$tmp/g.json"
done

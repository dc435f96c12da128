#!/bin/sh
# A policy and its ideal draw by draw: replays an Autoscaler with its Simulation (the file
# `ebb tune --out` writes) through `ebb simulate` once per seed, the Simulation's `seed:`
# replaced, and prints per seed the policy's replica-hours and wait at the SLO's percentile, the
# ideal planned on that same draw, and the ratio. The ideal is clairvoyant on the draw it is
# judged on; a policy is not: this shows how both move from draw to draw.
#   bench/sim/workloads/seeds.sh EBB_BINARY TUNED.yaml RECORDING SEED...
# Needs jq. Run from the directory the Simulation's relative paths (workloads-data/) resolve in.
set -eu
ebb=${1:?usage: seeds.sh EBB_BINARY TUNED.yaml RECORDING SEED...}
tuned=${2:?usage: seeds.sh EBB_BINARY TUNED.yaml RECORDING SEED...}
rec=${3:?usage: seeds.sh EBB_BINARY TUNED.yaml RECORDING SEED...}
shift 3
grep -q '^  seed: ' "$tuned" || { echo "$tuned: no '  seed: N' line in the Simulation" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "| seed | policy replica-h | policy p-wait | SLO | ideal replica-h | ideal p-wait | policy / ideal |"
echo "|---|---|---|---|---|---|---|"
for seed in "$@"; do
  sed "s/^  seed: .*/  seed: $seed/" "$tuned" > "$tmp/s.yaml"
  code=0
  "$ebb" simulate -f "$tmp/s.yaml" --metrics "$rec" --json > "$tmp/s.json" || code=$?
  if [ "$code" -ne 0 ] && [ "$code" -ne 3 ]; then
    echo "| $seed | ebb simulate failed ($code) |"
    continue
  fi
  jq -r --arg seed "$seed" '
    def r1: . * 10 | round / 10;
    def r2: . * 100 | round / 100;
    "| \($seed) | \(.replicaHours | r1) | \(.slo.policyWaitSeconds | r1) s | "
    + (if .slo.met then "met" else "missed" end)
    + " | \(.slo.ideal.replicaHours | r1) | \(.slo.ideal.waitSeconds | r1) s | "
    + "\(.slo.ideal.policyOverIdeal | r2)x |"
  ' "$tmp/s.json"
done

#!/bin/sh
# The issue-11 goal table: per workload, the ideal schedule, the tuned policy, HPA's and KEDA's
# defaults and the bundled example policy, from `ebb tune --json` (which tunes on the first 75 %,
# or less, of the recording, then runs all of them on the whole recording), and whether the goal holds:
# the tuned policy meets the SLO (whole recording and held-out part) at <= 1.15x the ideal,
# with >= 25 % fewer replica-hours than the HPA and KEDA defaults and fewer scale events per
# hour than the bundled example policy. "ideal at the tuned events/h" is the ideal with its
# levels merged down to the tuned policy's scale events per hour (HoldIdeal): what scaling that
# seldom costs even clairvoyantly, for reading the rest of the distance. The held-out column
# names the share held out (ebb tune moves the split earlier when maxReplicas cannot meet the
# SLO on the last part).
#   bench/sim/workloads/run.sh EBB_BINARY TRACES_DIR [WORKLOAD ...]
# EBB_BINARY is `ebb` or `bench_tune` (both take `tune ARGS`). Needs jq. Writes workloads-data/
# (derive.sh) and the raw JSON (workloads-data/W.json) in the current directory.
set -eu
ebb=${1:?usage: run.sh EBB_BINARY TRACES_DIR [WORKLOAD ...]}
traces=${2:?usage: run.sh EBB_BINARY TRACES_DIR [WORKLOAD ...]}
shift 2
here=$(cd "$(dirname "$0")" && pwd)
"$here/derive.sh" "$traces" workloads-data > /dev/null
[ $# -gt 0 ] || set -- celery nasa llm alibaba
echo "| workload (SLO p99) | ideal (work bound) | ideal at the tuned events/h | tuned | held out | HPA default | KEDA default | bundled example | goal | tune time |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for w in "$@"; do
  start=$(date +%s)
  code=0
  "$ebb" tune -f "$here/$w.yaml" --metrics "workloads-data/$w.csv" --json > "workloads-data/$w.json" || code=$?
  end=$(date +%s)
  if [ "$code" = 1 ] || [ "$code" = 2 ] || [ "$code" -gt 3 ]; then
    echo "| $w | ebb tune failed ($code) |"
    continue
  fi
  jq -r --arg w "$w" --arg t "$((end - start)) s" '
    def r1: . * 10 | round / 10;
    def r2: . * 100 | round / 100;
    (.comparison[1].ideal) as $id |
    def cell(i): (.comparison[i]) as $c |
      "\($c.replicaHours | r1) h (\($c.replicaHours / $id.replicaHours | r2)x, "
      + (if $c.sloMet then "met" else "missed" end)
      + ", \($c.scaleEventsPerHour | r1) ev/h)";
    .comparison as $c |
    ($c[0].replicaHours) as $tuned |
    ([ (if $c[0].sloMet then empty else "SLO missed" end),
       (if .heldOut.slo.met then empty else "held-out missed" end),
       (if $tuned <= 1.15 * $id.replicaHours then empty
        else "\($tuned / $id.replicaHours | r2)x ideal" end),
       (if $tuned <= 0.75 * $c[2].replicaHours then empty else "not 25 % under HPA" end),
       (if $tuned <= 0.75 * $c[3].replicaHours then empty else "not 25 % under KEDA" end),
       (if $c[0].scaleEventsPerHour < $c[1].scaleEventsPerHour then empty
        else "events/h not below the example" end) ] | join("; ")) as $miss |
    "| \($w) (\(.slo.waitSeconds) s) | \($id.replicaHours | r1) h"
    + (if $id.met then "" else " (missed)" end) + " (\($id.workBoundReplicaHours | r1) h) | "
    + (if .idealAtTunedEvents then (.idealAtTunedEvents as $h |
        "\($h.replicaHours | r1) h at \($h.scaleEventsPerHour | r1) ev/h (tuned \($h.tunedOverIt | r2)x it)")
       else "-" end) + " | "
    + cell(0) + " | " + (if .heldOut.slo.met then "met" else "missed" end)
    + " (\(.heldOut.slo.policyWaitSeconds | r1) s, last \(.holdout.used * 100 | round) %"
    + (if .heldOut.slo.ideal.met == false then "; its ideal misses too" else "" end) + ") | "
    + cell(2) + " | " + cell(3) + " | " + cell(1) + " | "
    + (if $miss == "" then "met" else "not met: " + $miss end) + " | \($t) |"
  ' "workloads-data/$w.json"
done

#!/bin/sh
# The issue-11 goal table: per workload, the ideal schedule, the tuned policy, HPA's and KEDA's
# defaults and the bundled example policy, from `ebb tune --json` (which runs all of them on the
# whole recording after tuning on its first 75 %).
#   bench/sim/workloads/run.sh EBB_BINARY TRACES_DIR [WORKLOAD ...]
# Needs jq. Writes workloads-data/ (derive.sh) in the current directory.
set -eu
ebb=${1:?usage: run.sh EBB_BINARY TRACES_DIR [WORKLOAD ...]}
traces=${2:?usage: run.sh EBB_BINARY TRACES_DIR [WORKLOAD ...]}
shift 2
here=$(cd "$(dirname "$0")" && pwd)
"$here/derive.sh" "$traces" workloads-data > /dev/null
[ $# -gt 0 ] || set -- celery nasa llm alibaba
echo "| workload (SLO p99) | ideal | tuned | HPA default | KEDA default | bundled example | tune time |"
echo "|---|---|---|---|---|---|---|"
for w in "$@"; do
  start=$(date +%s)
  code=0
  "$ebb" tune -f "$here/$w.yaml" --metrics "workloads-data/$w.csv" --json > "workloads-data/$w.json" || code=$?
  end=$(date +%s)
  if [ "$code" -gt 3 ] || [ "$code" = 1 ] || [ "$code" = 2 ]; then
    echo "| $w | ebb tune failed ($code) |"
    continue
  fi
  jq -r --arg w "$w" --arg t "$((end - start)) s" '
    def cell(i): (.comparison[i]) as $c | (.comparison[1].ideal.replicaHours) as $id |
      "\($c.replicaHours * 10 | round / 10) h (\($c.replicaHours / $id * 100 | round / 100)x, "
      + (if $c.sloMet then "met" else "missed" end)
      + ", \($c.scaleEventsPerHour * 10 | round / 10) ev/h)";
    "| \($w) (\(.slo.waitSeconds) s) | \(.comparison[1].ideal.replicaHours * 10 | round / 10) h | "
    + cell(0) + " | " + cell(2) + " | " + cell(3) + " | " + cell(1) + " | \($t) |"
  ' "workloads-data/$w.json"
done

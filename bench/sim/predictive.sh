#!/bin/sh
# Reactive vs reactive + predictive (issue 11 item 5) on seasonal traces from ../shared/traces,
# at the same SLO: per workload and mode, the arrival-rate target is swept and the cheapest
# policy meeting the SLO is reported (replica-hours, p99 wait), with every run below it.
#
#   bench/sim/predictive.sh EBB_BINARY TRACES_DIR [WORKLOAD ...]   (celery alibaba; also nasa)
#   EBB_BENCH_U="0.6 0.8" bench/sim/predictive.sh ...             (fewer targets)
#
# Both modes run the same Autoscaler: the workload's backlog metric (its bench/sim/workloads
# policy) plus the queue's arrival rate (Prometheus rate() over 60 s) with an AverageValue target
# of u x one replica's throughput; "predictive" adds `predictive: {lookaheadSeconds: 60}` (the
# 45 s start-up plus one 15 s tick) to the arrival rate. Needs jq. Writes workloads-data/ in the
# current directory (bench/sim/workloads/derive.sh, plus the NASA July per-minute trace).
set -eu
ebb=${1:?usage: predictive.sh EBB_BINARY TRACES_DIR [WORKLOAD ...]}
traces=${2:?usage: predictive.sh EBB_BINARY TRACES_DIR [WORKLOAD ...]}
shift 2
here=$(cd "$(dirname "$0")" && pwd)
out=workloads-data
"$here/workloads/derive.sh" "$traces" "$out" > /dev/null
# nasa-jul: NASA-KSC HTTP July 1995 per minute x100 (27.6 days, diurnal and weekly), t = 0 at
# 1995-07-01 00:00 EDT (04:00 UTC).
awk -F, 'NR > 1 { printf "%d,backlog,%d\n", 804571200 + $1, $2 * 100 }' \
  "$traces/nasa_http_1995/nasa_jul95_per_minute.csv" > "$out/nasa-jul.csv"
[ $# -gt 0 ] || set -- celery alibaba

# workload -> min max backlog-target per-replica-throughput slo model
params() {
  case $1 in
    celery) echo "1 20 5 0.5 120 {type: queue, queueModel: pool, intervalSeconds: 60, serviceRate: 0.5}" ;;
    alibaba) echo "0 20 4 0.0346 120 {type: queue, queueModel: pool, intervalSeconds: 60, reading: backlogAndInFlight, serviceTime: {distribution: recorded, file: $out/alibaba-durations.csv}}" ;;
    nasa) echo "1 80 160 16 10 {type: queue, queueModel: pool, intervalSeconds: 60, concurrency: 4, serviceTime: {distribution: lognormal, meanSeconds: 0.25, cv: 1}}" ;;
  esac
}
recording() { [ "$1" = nasa ] && echo "$out/nasa-jul.csv" || echo "$out/$1.csv"; }

spec() {  # workload mode u
  set -- "$1" "$2" "$3" $(params "$1")
  w=$1 mode=$2 u=$3 min=$4 max=$5 backlog=$6 rate=$7 slo=$8
  shift 8
  model=$*
  target=$(awk -v u="$u" -v r="$rate" 'BEGIN { printf "%dm", u * r * 1000 + 0.5 }')
  predictive=""
  [ "$mode" = predictive ] && predictive="      predictive: {lookaheadSeconds: 60}"
  cat <<YAML
apiVersion: ebb.dev/v1alpha1
kind: Autoscaler
metadata: {name: $w}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: $w}
  minReplicas: $min
  maxReplicas: $max
  pollingInterval: 15
  metrics:
    - type: External
      name: backlog
      external: {metric: {name: backlog}, target: {type: AverageValue, averageValue: "$backlog"}}
    - type: External
      name: arrivals
      external: {metric: {name: arrivals}, target: {type: AverageValue, averageValue: "$target"}}
$predictive
  behavior:
    scaleUp:
      stabilizationWindowSeconds: 60
      policies: [{type: Percent, value: 100, periodSeconds: 15}]
    scaleDown:
      stabilizationWindowSeconds: 300
      policies: [{type: Percent, value: 10, periodSeconds: 60}]
---
apiVersion: ebb.dev/v1alpha1
kind: Simulation
metadata: {name: $w}
spec:
  autoscaler: $w
  initialReplicas: 1
  startupDelaySeconds: 45
  costPerReplicaHour: 0.048
  seed: 1
  slo: {waitSeconds: $slo, percentile: 99}
  models:
    backlog: $model
    arrivals: {type: arrivalRate, of: backlog, windowSeconds: 60}
YAML
}

echo "| workload (SLO p99) | mode | cheapest meeting the SLO: u, replica-hours, p99 wait, scale events/h | all runs (u: h / p99 s) |"
echo "|---|---|---|---|"
for w in "$@"; do
  slo=$(params "$w" | awk '{print $5}')
  for mode in reactive predictive; do
    best="" all=""
    for u in ${EBB_BENCH_U:-0.5 0.6 0.7 0.8 0.9 1.0}; do
      f="$out/predictive-$w-$mode-$u"
      spec "$w" "$mode" "$u" > "$f.yaml"
      "$ebb" simulate -f "$f.yaml" --metrics "$(recording "$w")" --json > "$f.json"
      row=$(jq -r --arg u "$u" '"\($u) \(.replicaHours) \(.slo.policyWaitSeconds) \(.slo.met) \(.scaleEventsPerHour)"' "$f.json")
      h=$(echo "$row" | awk '{printf "%.0f", $2}')
      p=$(echo "$row" | awk '{printf "%.1f", $3}')
      all="$all $u: $h / $p;"
      if [ "$(echo "$row" | awk '{print $4}')" = true ]; then
        if [ -z "$best" ] || [ "$(echo "$row $best" | awk '{print ($2 < $7)}')" = 1 ]; then best=$row; fi
      fi
    done
    if [ -n "$best" ]; then
      cell=$(echo "$best" | awk '{printf "u %s: **%.0f h**, %.1f s, %.1f ev/h", $1, $2, $3, $5}')
    else
      cell="none met the SLO"
    fi
    echo "| $w ($slo s) | $mode | $cell |$all |"
  done
done
